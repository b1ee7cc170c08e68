//! Parse trees, with Go's node texts (used in execution error messages).

use crate::pos::{LineIndex, Pos};
use std::fmt::{self, Write};
use std::sync::Arc;

/// One parsed source text.
#[derive(Debug)]
pub(crate) struct Source {
    /// The name given to `parse` (Go's `ParseName`).
    pub name: Arc<str>,
    pub text: Arc<str>,
    pub lines: LineIndex,
}

impl Source {
    pub(crate) fn new(name: &str, text: &str) -> Source {
        Source {
            name: name.into(),
            text: text.into(),
            lines: LineIndex::new(text),
        }
    }

    pub(crate) fn pos(&self, offset: usize) -> Pos {
        self.lines.pos(&self.text, offset)
    }
}

/// One named template's tree.
#[derive(Debug)]
pub(crate) struct Tree {
    pub name: String,
    pub source: Arc<Source>,
    pub root: List,
}

#[derive(Debug)]
pub(crate) struct List {
    #[allow(dead_code)]
    pub pos: Pos,
    pub nodes: Vec<Node>,
}

#[derive(Debug)]
pub(crate) enum Node {
    Text {
        pos: Pos,
        text: String,
    },
    Action {
        pos: Pos,
        pipe: Pipe,
    },
    If(Branch),
    Range(Branch),
    With(Branch),
    Template {
        pos: Pos,
        name: String,
        pipe: Option<Pipe>,
    },
    Break(Pos),
    Continue(Pos),
}

#[derive(Debug)]
pub(crate) struct Branch {
    pub pos: Pos,
    pub pipe: Pipe,
    pub list: List,
    pub else_list: Option<List>,
}

#[derive(Debug)]
pub(crate) struct Pipe {
    pub pos: Pos,
    pub is_assign: bool,
    pub decl: Vec<VarDecl>,
    pub cmds: Vec<Command>,
}

#[derive(Debug)]
pub(crate) struct VarDecl {
    #[allow(dead_code)]
    pub pos: Pos,
    pub name: String,
}

#[derive(Debug)]
pub(crate) struct Command {
    pub pos: Pos,
    pub args: Vec<Arg>,
}

#[derive(Debug)]
pub(crate) struct Number {
    pub pos: Pos,
    pub text: String,
    pub is_int: bool,
    pub is_uint: bool,
    pub is_float: bool,
    pub int: i64,
    pub float: f64,
}

#[derive(Debug)]
pub(crate) enum Arg {
    Field {
        pos: Pos,
        idents: Vec<String>,
    },
    /// `idents[0]` is the variable name including `$`.
    Variable {
        pos: Pos,
        idents: Vec<String>,
    },
    Chain {
        pos: Pos,
        node: Box<Arg>,
        fields: Vec<String>,
    },
    Identifier {
        pos: Pos,
        name: String,
    },
    Dot(Pos),
    Nil(Pos),
    Bool(Pos, bool),
    Number(Box<Number>),
    String {
        pos: Pos,
        quoted: String,
        text: String,
    },
    Pipe(Box<Pipe>),
}

impl Arg {
    pub(crate) fn pos(&self) -> Pos {
        match self {
            Arg::Field { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Identifier { pos, .. }
            | Arg::Dot(pos)
            | Arg::Nil(pos)
            | Arg::Bool(pos, _)
            | Arg::String { pos, .. } => *pos,
            Arg::Number(n) => n.pos,
            Arg::Pipe(p) => p.pos,
        }
    }

    pub(crate) fn is_constant(&self) -> bool {
        matches!(
            self,
            Arg::Bool(..) | Arg::Dot(_) | Arg::Nil(_) | Arg::Number(_) | Arg::String { .. }
        )
    }
}

impl Node {
    pub(crate) fn pos(&self) -> Pos {
        match self {
            Node::Text { pos, .. }
            | Node::Action { pos, .. }
            | Node::Template { pos, .. }
            | Node::Break(pos)
            | Node::Continue(pos) => *pos,
            Node::If(b) | Node::Range(b) | Node::With(b) => b.pos,
        }
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Field { idents, .. } => {
                for i in idents {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Variable { idents, .. } => write!(f, "{}", idents.join(".")),
            Arg::Chain { node, fields, .. } => {
                if let Arg::Pipe(p) = &**node {
                    write!(f, "({p})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for field in fields {
                    write!(f, ".{field}")?;
                }
                Ok(())
            }
            Arg::Identifier { name, .. } => f.write_str(name),
            Arg::Dot(_) => f.write_str("."),
            Arg::Nil(_) => f.write_str("nil"),
            Arg::Bool(_, b) => write!(f, "{b}"),
            Arg::Number(n) => f.write_str(&n.text),
            Arg::String { quoted, .. } => f.write_str(quoted),
            Arg::Pipe(p) => write!(f, "{p}"),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            if let Arg::Pipe(p) = a {
                write!(f, "({p})")?;
            } else {
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            for (i, v) in self.decl.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(&v.name)?;
            }
            f.write_str(" := ")?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl fmt::Display for List {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in &self.nodes {
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

fn write_branch(f: &mut fmt::Formatter<'_>, name: &str, b: &Branch) -> fmt::Result {
    write!(f, "{{{{{name} {}}}}}{}", b.pipe, b.list)?;
    if let Some(e) = &b.else_list {
        write!(f, "{{{{else}}}}{e}")?;
    }
    f.write_str("{{end}}")
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Text { text, .. } => f.write_str(text),
            Node::Action { pipe, .. } => write!(f, "{{{{{pipe}}}}}"),
            Node::If(b) => write_branch(f, "if", b),
            Node::Range(b) => write_branch(f, "range", b),
            Node::With(b) => write_branch(f, "with", b),
            Node::Template { name, pipe, .. } => match pipe {
                None => write!(f, "{{{{template {}}}}}", crate::gofmt::quote(name, false)),
                Some(p) => write!(
                    f,
                    "{{{{template {} {p}}}}}",
                    crate::gofmt::quote(name, false)
                ),
            },
            Node::Break(_) => f.write_str("{{break}}"),
            Node::Continue(_) => f.write_str("{{continue}}"),
        }
    }
}

/// Go's `parse.IsEmptyTree`: only whitespace text (and comments).
pub(crate) fn is_empty_list(list: &List) -> bool {
    list.nodes.iter().all(|n| match n {
        Node::Text { text, .. } => text.trim_matches(is_go_space).is_empty(),
        _ => false,
    })
}

/// `bytes.TrimSpace`'s notion of space (Unicode white space).
fn is_go_space(c: char) -> bool {
    c.is_whitespace()
}
