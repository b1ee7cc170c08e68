//! The function registry: name → function, each family of functions in its own file
//! with a `register(&mut FuncMap)` that lists its names (`builtin.rs` holds Go's own).
//!
//! A family file looks like this:
//!
//! ```
//! use kvet_gotmpl::{FuncMap, ParamType as T, Params, Value};
//!
//! pub fn register(m: &mut FuncMap) {
//!     m.register("upper", Params::fixed(&[T::String]), |_, a| {
//!         Ok(Value::from(a[0].as_str().unwrap_or_default().to_uppercase()))
//!     });
//! }
//! # let mut m = FuncMap::new();
//! # register(&mut m);
//! # assert!(m.contains("upper"));
//! ```
//!
//! The engine checks arity and argument types against [`Params`] before the call, with
//! Go's messages (`wrong number of args for upper: want 1 got 2`, `wrong type for value;
//! expected string; got float64`), and reports an `Err` as `error calling upper: …`.
//! `and` and `or` are special forms evaluated lazily by the engine.

mod builtin;
pub mod helm;
pub mod sprig;
mod sprig_crypto;
mod sprig_dates;
mod sprig_defaults;
mod sprig_dicts;
pub(crate) mod sprig_encoding;
mod sprig_lists;
mod sprig_math;
mod sprig_misc;
mod sprig_regex;
mod sprig_semver;
mod sprig_strings;
mod toml;

pub use helm::HelmEnv;
pub use sprig::{seeded_random, Clock, RandomSource, SprigEnv, Timestamp, Zone};
pub use sprig_dates::{as_time, GoTime};

use crate::error::{Error, ExecError, FuncError};
use crate::template::Limits;
use crate::value::Value;
use crate::Rendered;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// The Go parameter type a function declares; the engine checks and converts arguments
/// against it the way Go's `text/template` does, with Go's error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamType {
    /// `interface{}`: any value; a missing value arrives as `Nil`.
    Any,
    /// `reflect.Value`: any value; a missing value arrives as `Missing`.
    Value,
    /// `string`.
    String,
    /// `int`.
    Int,
    /// `float64`.
    Float,
    /// `bool`.
    Bool,
    /// `[]interface{}`.
    List,
    /// `map[string]interface{}`.
    Map,
}

impl ParamType {
    /// The Go type name, as error messages show it.
    pub fn go_name(self) -> &'static str {
        match self {
            ParamType::Any => "interface {}",
            ParamType::Value => "reflect.Value",
            ParamType::String => "string",
            ParamType::Int => "int",
            ParamType::Float => "float64",
            ParamType::Bool => "bool",
            ParamType::List => "[]interface {}",
            ParamType::Map => "map[string]interface {}",
        }
    }

    /// Whether Go allows nil for this type.
    pub(crate) fn can_be_nil(self) -> bool {
        matches!(
            self,
            ParamType::Any | ParamType::Value | ParamType::List | ParamType::Map
        )
    }

    /// Whether a value of this dynamic type is assignable to the parameter.
    pub(crate) fn accepts(self, v: &Value) -> bool {
        match self {
            ParamType::Any | ParamType::Value => true,
            ParamType::String => matches!(v, Value::String(_)),
            ParamType::Int => matches!(v, Value::Int(_)),
            ParamType::Float => matches!(v, Value::Float(_)),
            ParamType::Bool => matches!(v, Value::Bool(_)),
            ParamType::List => matches!(v, Value::List(_)),
            ParamType::Map => matches!(v, Value::Map(_)),
        }
    }

    /// The zero value Go passes for a nil argument.
    pub(crate) fn nil_value(self) -> Value {
        match self {
            ParamType::Value => Value::Missing,
            ParamType::List => Value::list(Vec::new()),
            ParamType::Map => Value::Map(crate::Map::new()),
            _ => Value::Nil,
        }
    }
}

/// A function's parameter list: fixed parameters, then optionally a variadic one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Params {
    /// Types of the fixed parameters.
    pub fixed: Vec<ParamType>,
    /// Type of each variadic argument, if the function is variadic.
    pub variadic: Option<ParamType>,
}

impl Params {
    /// Exactly these parameters.
    pub fn fixed(types: &[ParamType]) -> Params {
        Params {
            fixed: types.to_vec(),
            variadic: None,
        }
    }

    /// These parameters followed by any number of `rest`.
    pub fn variadic(types: &[ParamType], rest: ParamType) -> Params {
        Params {
            fixed: types.to_vec(),
            variadic: Some(rest),
        }
    }

    /// The type of argument `i` of `n` in all.
    pub(crate) fn type_at(&self, i: usize) -> ParamType {
        self.fixed
            .get(i)
            .copied()
            .or(self.variadic)
            .unwrap_or(ParamType::Any)
    }
}

/// The signature of a native template function.
pub type NativeFn =
    dyn Fn(&mut CallContext<'_>, Vec<Value>) -> Result<Value, FuncError> + Send + Sync;

#[derive(Clone)]
pub(crate) enum FnImpl {
    Native(Arc<NativeFn>),
    And,
    Or,
}

/// A template function: its parameters and its implementation.
#[derive(Clone)]
pub struct Function {
    /// The declared parameters, checked before each call.
    pub params: Params,
    pub(crate) imp: FnImpl,
}

impl Function {
    /// A function with these parameters.
    pub fn new(
        params: Params,
        f: impl Fn(&mut CallContext<'_>, Vec<Value>) -> Result<Value, FuncError> + Send + Sync + 'static,
    ) -> Function {
        Function {
            params,
            imp: FnImpl::Native(Arc::new(f)),
        }
    }

    /// Calls the function with arguments already checked against its parameters.
    pub fn call(&self, ctx: &mut CallContext<'_>, args: Vec<Value>) -> Result<Value, FuncError> {
        match &self.imp {
            FnImpl::Native(f) => f(ctx, args),
            FnImpl::And => Ok(args
                .iter()
                .find(|a| !a.is_true())
                .or(args.last())
                .cloned()
                .unwrap_or(Value::Missing)),
            FnImpl::Or => Ok(args
                .iter()
                .find(|a| a.is_true())
                .or(args.last())
                .cloned()
                .unwrap_or(Value::Missing)),
        }
    }
}

impl fmt::Debug for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Function({:?})", self.params)
    }
}

/// Named functions available to templates; always includes Go's builtins
/// (`and`, `or`, `not`, `len`, `index`, `slice`, `print*`, `html`, `js`, `urlquery`,
/// comparisons, `call`), which later registrations may replace.
#[derive(Clone, Debug)]
pub struct FuncMap {
    funcs: HashMap<String, Arc<Function>>,
}

impl Default for FuncMap {
    fn default() -> Self {
        FuncMap::new()
    }
}

impl FuncMap {
    /// A map holding Go's builtin functions.
    pub fn new() -> FuncMap {
        let mut m = FuncMap {
            funcs: HashMap::new(),
        };
        builtin::register(&mut m);
        m
    }

    /// Go's builtins, sprig and Helm's functions with a deterministic environment
    /// (clock fixed at 2024-01-01T00:00:00Z, seeded randomness): for tests and examples.
    pub fn helm() -> FuncMap {
        FuncMap::helm_with(&HelmEnv::fixed(1_704_067_200, 0x6b76_6574))
    }

    /// Go's builtins, sprig (without `env`/`expandenv`) and Helm's functions, taking time,
    /// randomness and the local zone from `env`.
    pub fn helm_with(env: &HelmEnv) -> FuncMap {
        let mut m = FuncMap::new();
        sprig::register(&mut m, &env.sprig);
        helm::register(&mut m, env);
        m
    }

    /// Go's builtins and sprig's functions (Helm's `env`/`expandenv` excluded).
    pub fn sprig(env: &SprigEnv) -> FuncMap {
        let mut m = FuncMap::new();
        sprig::register(&mut m, env);
        m
    }

    /// Adds or replaces function `name`.
    pub fn insert(&mut self, name: impl Into<String>, f: Function) {
        self.funcs.insert(name.into(), Arc::new(f));
    }

    /// Adds or replaces function `name` with these parameters.
    pub fn register(
        &mut self,
        name: &str,
        params: Params,
        f: impl Fn(&mut CallContext<'_>, Vec<Value>) -> Result<Value, FuncError> + Send + Sync + 'static,
    ) {
        self.insert(name, Function::new(params, f));
    }

    /// The function `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Function>> {
        self.funcs.get(name)
    }

    /// Whether `name` is defined.
    pub fn contains(&self, name: &str) -> bool {
        self.funcs.contains_key(name)
    }

    /// Removes function `name`.
    pub fn remove(&mut self, name: &str) -> Option<Arc<Function>> {
        self.funcs.remove(name)
    }

    /// The defined names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.funcs.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }
}

/// What the engine offers a running function.
pub(crate) trait Engine {
    fn execute_template(&mut self, name: &str, data: Value) -> Result<Rendered, ExecError>;
    fn parse_and_execute(&mut self, name: &str, text: &str, data: Value)
        -> Result<Rendered, Error>;
    fn limits(&self) -> &Limits;
    fn charge(&mut self, steps: u64) -> Result<(), FuncError>;
    fn template_name(&self) -> &str;
    fn depth(&self) -> usize;
}

/// The execution context a function runs in: it can execute other templates
/// (Helm's `include`, `tpl`) and charge work to the step budget.
pub struct CallContext<'a> {
    pub(crate) engine: &'a mut dyn Engine,
}

impl CallContext<'_> {
    /// Executes the named template of the running set with `data` as dot, into a string
    /// with its source map (Helm's `include`).
    pub fn execute_template(&mut self, name: &str, data: Value) -> Result<Rendered, ExecError> {
        self.engine.execute_template(name, data)
    }

    /// Parses `text` as a template named `name` in a copy of the running set (so its
    /// `define`s see, and shadow, the set's templates) and executes it (Helm's `tpl`).
    pub fn parse_and_execute(
        &mut self,
        name: &str,
        text: &str,
        data: Value,
    ) -> Result<Rendered, Error> {
        self.engine.parse_and_execute(name, text, data)
    }

    /// The resource limits of this execution.
    pub fn limits(&self) -> &Limits {
        self.engine.limits()
    }

    /// Charges `steps` units of work to the step budget; errors when it runs out.
    pub fn charge(&mut self, steps: u64) -> Result<(), FuncError> {
        self.engine.charge(steps)
    }

    /// The name of the template being executed.
    pub fn template_name(&self) -> &str {
        self.engine.template_name()
    }

    /// How many template calls and function-driven executions enclose this call.
    pub fn depth(&self) -> usize {
        self.engine.depth()
    }
}

/// Go's `prepareArg` for `call`: checks one argument against a parameter type.
pub(crate) fn prepare_arg(v: Value, t: ParamType) -> Result<Value, String> {
    let v = match v {
        Value::Nil => Value::Missing,
        v => v,
    };
    if let Value::Missing = v {
        if !t.can_be_nil() {
            return Err(format!("value is nil; should be of type {}", t.go_name()));
        }
        return Ok(t.nil_value());
    }
    if t.accepts(&v) {
        return Ok(v);
    }
    Err(format!(
        "value has type {}; should be {}",
        v.type_name(),
        t.go_name()
    ))
}
