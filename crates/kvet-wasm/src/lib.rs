//! kvet's engine behind a wasm-bindgen API: files in, findings out, nothing uploaded.
//!
//! `check(files, options)` returns the document `kvet check --output json` prints for the same
//! tree; `render(files, options)` renders a chart as `helm template` does; `about()` lists the
//! embedded Kubernetes versions and built-in policies. Errors are thrown as JS `Error`s whose
//! message names the file and line; a panic is turned into a readable message too (see
//! [`take_panic`]).

pub mod api;

pub use api::ApiError;

use kvet_engine::files::FileSet;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

thread_local! {
    /// The message of the last panic, kept for the JS side: a panic traps the instance, and
    /// the trap itself says only "unreachable".
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs the panic hook that keeps each panic's message and location for [`take_panic`].
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        let message = if let Some(s) = info.payload().downcast_ref::<&str>() {
            (*s).to_owned()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "panic".to_owned()
        };
        let at = info
            .location()
            .map(|l| format!(" (at {}:{})", l.file(), l.line()))
            .unwrap_or_default();
        LAST_PANIC.with(|p| *p.borrow_mut() = Some(format!("kvet internal error: {message}{at}")));
    }));
}

/// The message of the panic that trapped the last call, if any (cleared on read).
#[wasm_bindgen(js_name = takePanic)]
pub fn take_panic() -> Option<String> {
    LAST_PANIC.with(|p| p.borrow_mut().take())
}

fn js_error(e: ApiError) -> JsValue {
    let err = js_sys::Error::new(&e.display());
    let set = |k: &str, v: JsValue| {
        let _ = js_sys::Reflect::set(&err, &JsValue::from_str(k), &v);
    };
    set("kvetMessage", JsValue::from_str(&e.message));
    if let Some(f) = &e.file {
        set("file", JsValue::from_str(f));
    }
    if e.line > 0 {
        set("line", JsValue::from_f64(e.line as f64));
        set("column", JsValue::from_f64(e.column.max(1) as f64));
    }
    err.into()
}

/// Reads `{path: string | Uint8Array}` (or a `Map` of the same) into a file set.
fn file_set(files: &JsValue) -> Result<FileSet, ApiError> {
    let entries = if files.is_instance_of::<js_sys::Map>() {
        js_sys::Array::from(&files.clone().unchecked_into::<js_sys::Map>().entries())
    } else if files.is_object() {
        js_sys::Object::entries(files.unchecked_ref())
    } else {
        return Err(ApiError {
            message: "files must be an object mapping paths to text or bytes".into(),
            file: None,
            line: 0,
            column: 0,
        });
    };
    let mut set = FileSet::new();
    for entry in entries.iter() {
        let pair: js_sys::Array = entry.unchecked_into();
        let path = pair.get(0).as_string().unwrap_or_default();
        let value = pair.get(1);
        let bytes: Vec<u8> = if let Some(s) = value.as_string() {
            s.into_bytes()
        } else if value.is_instance_of::<js_sys::Uint8Array>() {
            value.unchecked_into::<js_sys::Uint8Array>().to_vec()
        } else if value.is_instance_of::<js_sys::ArrayBuffer>() {
            js_sys::Uint8Array::new(&value).to_vec()
        } else {
            return Err(ApiError {
                message: "each file must be a string, Uint8Array or ArrayBuffer".into(),
                file: Some(path),
                line: 0,
                column: 0,
            });
        };
        set.insert(&path, bytes).map_err(|m| ApiError {
            message: m,
            file: None,
            line: 0,
            column: 0,
        })?;
    }
    Ok(set)
}

fn options(options: &JsValue) -> Result<serde_json::Value, ApiError> {
    if options.is_undefined() || options.is_null() {
        return Ok(serde_json::Value::Null);
    }
    let text = js_sys::JSON::stringify(options)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| ApiError {
            message: "options must be JSON-like".into(),
            file: Some("options".into()),
            line: 0,
            column: 0,
        })?;
    serde_json::from_str(&text).map_err(|e| ApiError {
        message: e.to_string(),
        file: Some("options".into()),
        line: 0,
        column: 0,
    })
}

fn to_js(v: &serde_json::Value) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(&v.to_string())
}

fn today() -> kvet_engine::Date {
    let ms = js_sys::Date::now();
    kvet_engine::Date::from_unix_days((ms / 86_400_000.0).floor() as i64)
}

/// Checks `files` with `options`; returns the `kvet check --output json` document.
#[wasm_bindgen]
pub fn check(files: JsValue, opts: JsValue) -> Result<JsValue, JsValue> {
    let set = file_set(&files).map_err(js_error)?;
    let o = options(&opts).map_err(js_error)?;
    let report = api::check(&set, &o, today()).map_err(js_error)?;
    to_js(&report)
}

/// Renders the chart `options.chart` among `files`, as `helm template` does.
#[wasm_bindgen]
pub fn render(files: JsValue, opts: JsValue) -> Result<JsValue, JsValue> {
    let set = file_set(&files).map_err(js_error)?;
    let o = options(&opts).map_err(js_error)?;
    to_js(&api::render(&set, &o).map_err(js_error)?)
}

/// Compiles what checks with `options` need (built-in policies, common kinds' validators) on
/// a sample, so the first real check is quick. Errors are left to that check.
#[wasm_bindgen]
pub fn warm(opts: JsValue) {
    if let Ok(o) = options(&opts) {
        api::warm(&o, today());
    }
}

/// How many checkers and policy sets the checks have built so far: `{checkers, policies}`
/// (what warming and the caches spare shows as counts that stay the same).
#[wasm_bindgen]
pub fn compilations() -> Result<JsValue, JsValue> {
    let c = api::compilations();
    to_js(&serde_json::json!({ "checkers": c.checkers, "policies": c.policies }))
}

/// The embedded Kubernetes versions and the built-in policies.
#[wasm_bindgen]
pub fn about() -> Result<JsValue, JsValue> {
    to_js(&api::about())
}
