//! Structured logs: one JSON object per line on stderr (or a test buffer). Request lines carry
//! the request's identity and verdict, never the object's content.

use serde_json::{Map, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Where log lines go.
#[derive(Clone, Default)]
pub enum LogTarget {
    /// Standard error (the default).
    #[default]
    Stderr,
    /// A shared buffer (tests).
    Buffer(Arc<Mutex<Vec<u8>>>),
    /// Nowhere.
    Off,
}

/// Writes JSON log lines.
#[derive(Clone, Default)]
pub struct Logger {
    target: LogTarget,
}

/// `2025-01-31T12:34:56.789Z`.
fn timestamp() -> String {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs();
    let date = kvet_engine::Date::from_unix_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{date}T{:02}:{:02}:{:02}.{:03}Z",
        s / 3600,
        s / 60 % 60,
        s % 60,
        d.subsec_millis()
    )
}

impl Logger {
    /// A logger writing to `target`.
    pub fn new(target: LogTarget) -> Self {
        Logger { target }
    }

    /// Logs `msg` at `level` with `fields`.
    pub fn log(&self, level: &str, msg: &str, fields: Value) {
        if matches!(self.target, LogTarget::Off) {
            return;
        }
        let mut m = Map::new();
        m.insert("ts".into(), timestamp().into());
        m.insert("level".into(), level.into());
        m.insert("msg".into(), msg.into());
        if let Value::Object(f) = fields {
            m.extend(f);
        }
        let mut line = Value::Object(m).to_string();
        line.push('\n');
        match &self.target {
            LogTarget::Stderr => {
                let _ = std::io::stderr().lock().write_all(line.as_bytes());
            }
            LogTarget::Buffer(b) => {
                if let Ok(mut b) = b.lock() {
                    b.extend_from_slice(line.as_bytes());
                }
            }
            LogTarget::Off => {}
        }
    }

    /// Logs at info level.
    pub fn info(&self, msg: &str, fields: Value) {
        self.log("info", msg, fields);
    }

    /// Logs at warn level.
    pub fn warn(&self, msg: &str, fields: Value) {
        self.log("warn", msg, fields);
    }

    /// Logs at error level.
    pub fn error(&self, msg: &str, fields: Value) {
        self.log("error", msg, fields);
    }
}
