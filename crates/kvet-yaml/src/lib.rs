//! Multi-document YAML (and JSON) parsed into `serde_json::Value`s with a span for every node.
//!
//! Scalars resolve as Kubernetes' own reader does (sigs.k8s.io/yaml over go-yaml v2, YAML 1.1
//! rules), so what kvet validates is what the API server would receive. Parsing is bounded:
//! nesting depth, alias expansion and document size each have a limit that yields a located
//! error rather than a hang or a crash.

mod parse;
pub mod resolve;
mod span;

pub use parse::{
    parse_one, parse_stream, Document, DuplicateKey, ErrorKind, Limits, Stream, YamlError,
};
pub use span::{escape_token, Located, Pos, Span, SpanMap, SpanTree};
