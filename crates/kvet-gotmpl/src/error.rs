//! Parse and execution errors, displayed as Go's `text/template` formats them.

use std::fmt;

/// Any error from parsing or executing templates.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A template failed to parse.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// A template failed while executing.
    #[error(transparent)]
    Exec(#[from] ExecError),
}

/// A template that failed to parse; displays as Go does: `template: NAME:LINE: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template: {name}:{line}: {message}")]
pub struct ParseError {
    /// The name the text was parsed under.
    pub name: String,
    /// 1-based line of the offending token.
    pub line: u32,
    /// 1-based column (in characters) of the offending token.
    pub column: u32,
    /// Byte offset of the offending token.
    pub offset: u32,
    /// Go's message text, without the location prefix.
    pub message: String,
}

/// What kind of failure stopped an execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecErrorKind {
    /// An evaluation error, as Go's `text/template` reports it.
    Eval,
    /// The template call depth limit was reached.
    DepthLimit,
    /// The output size limit was reached.
    OutputLimit,
    /// The evaluation step budget ran out.
    StepLimit,
}

/// Where in a template an execution error happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorLocation {
    /// The source the node was parsed from (Go's `ParseName`).
    pub source: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
    /// Byte offset in the source.
    pub offset: u32,
    /// Go's column: the 0-based byte offset within the line.
    pub go_column: u32,
    /// The node's text (Go's error context, for example `.Values.x`).
    pub context: String,
}

/// A template that failed while executing; displays as Go does:
/// `template: SOURCE:LINE:COL: executing "NAME" at <CONTEXT>: MESSAGE`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ExecError {
    /// The kind of failure.
    pub kind: ExecErrorKind,
    /// The template being executed (empty for errors outside any template).
    pub template: String,
    /// The node being evaluated, if any.
    pub location: Option<Box<ErrorLocation>>,
    /// The message (for function errors, `error calling NAME: …`).
    pub message: String,
    /// The error of a nested execution (`include`, `tpl`) that caused this one.
    pub inner: Option<Box<ExecError>>,
}

impl ExecError {
    /// The innermost error in a chain of nested executions: where the real fault is.
    pub fn innermost(&self) -> &ExecError {
        let mut e = self;
        while let Some(i) = &e.inner {
            e = i;
        }
        e
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(loc) => write!(
                f,
                "template: {}:{}:{}: executing {} at <{}>: {}",
                loc.source,
                loc.line,
                loc.go_column,
                crate::gofmt::quote(&self.template, false),
                loc.context,
                self.message
            ),
            None if self.template.is_empty() => write!(f, "template: {}", self.message),
            None => write!(f, "template: {}: {}", self.template, self.message),
        }
    }
}

/// An error returned by a template function; the engine reports it as `error calling NAME: …`.
#[derive(Debug, Clone, PartialEq)]
pub struct FuncError {
    /// The message.
    pub message: String,
    /// The nested execution error this wraps, if the function executed a template.
    pub inner: Option<Box<ExecError>>,
    /// Whether the error is a resource limit that must not be caught or rewrapped as a plain error.
    pub(crate) limit: Option<ExecErrorKind>,
}

impl FuncError {
    /// An error with a message.
    pub fn new(message: impl Into<String>) -> FuncError {
        FuncError {
            message: message.into(),
            inner: None,
            limit: None,
        }
    }
}

impl fmt::Display for FuncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for FuncError {}

impl From<String> for FuncError {
    fn from(s: String) -> FuncError {
        FuncError::new(s)
    }
}

impl From<&str> for FuncError {
    fn from(s: &str) -> FuncError {
        FuncError::new(s)
    }
}

impl From<ExecError> for FuncError {
    fn from(e: ExecError) -> FuncError {
        let limit = match e.innermost().kind {
            ExecErrorKind::Eval => None,
            k => Some(k),
        };
        FuncError {
            message: e.to_string(),
            inner: Some(Box::new(e)),
            limit,
        }
    }
}

impl From<ParseError> for FuncError {
    fn from(e: ParseError) -> FuncError {
        FuncError::new(e.to_string())
    }
}

impl From<Error> for FuncError {
    fn from(e: Error) -> FuncError {
        match e {
            Error::Parse(p) => p.into(),
            Error::Exec(x) => x.into(),
        }
    }
}
