//! Go's `text/template`, faithfully: the same parsing, evaluation, printing and error
//! texts, plus what Go lacks: exact source positions on every node, a source map from
//! each output byte back to the template position that produced it, and resource limits.
//!
//! ```
//! use kvet_gotmpl::{Templates, Value};
//!
//! let mut t = Templates::new();
//! t.parse("hello", "Hello, {{ .name }}!\n").unwrap();
//! let data = Value::map([("name".to_string(), Value::from("world"))]);
//! let out = t.execute("hello", &data).unwrap();
//! assert_eq!(out.text, "Hello, world!\n");
//! let loc = out.source_map.lookup(7).unwrap(); // the "w" of "world"
//! assert_eq!((loc.source, loc.line, loc.column), ("hello", 1, 11));
//! ```
//!
//! Functions are registered by family (`funcs/<family>.rs`, each with a
//! `register(&mut FuncMap)`); a function receives a [`CallContext`] through which it can
//! execute other templates, as Helm's `include` and `tpl` need.

#![warn(missing_docs)]

mod ast;
mod error;
mod exec;
pub mod funcs;
pub mod gofmt;
mod lex;
mod parse;
mod pos;
mod sourcemap;
mod template;
mod value;
pub mod yaml;

pub use error::{Error, ErrorLocation, ExecError, ExecErrorKind, FuncError, ParseError};
pub use funcs::{
    CallContext, FuncMap, Function, HelmEnv, ParamType, Params, SprigEnv, Timestamp, Zone,
};
pub use pos::Pos;
pub use sourcemap::{Segment, SourceLocation, SourceMap};
pub use template::{render_str, Limits, MissingKey, Rendered, Templates};
pub use value::{HostObject, Map, Str, Value};
