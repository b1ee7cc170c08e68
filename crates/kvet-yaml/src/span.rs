//! Source positions and the span tree that maps every node of a value back to its text.

use serde_json::Value;
use std::sync::Arc;

/// A position in the source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// Byte offset from the start of the text.
    pub offset: u32,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

/// A half-open range of source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    /// First position in the range.
    pub start: Pos,
    /// Position just past the range.
    pub end: Pos,
}

impl Span {
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end.offset.saturating_sub(self.start.offset) as usize
    }

    /// Whether the span covers no text.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct NodeRec {
    pub span: Span,
    pub kids_start: u32,
    pub kids_len: u32,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Kid {
    pub node: u32,
    /// The key's span for mapping entries.
    pub key: Option<Span>,
}

/// Spans for every node of one YAML document, in an arena shared by the objects cut from it.
#[derive(Debug, Default)]
pub struct SpanTree {
    pub(crate) nodes: Vec<NodeRec>,
    pub(crate) kids: Vec<Kid>,
}

/// Where one value sits in a [`SpanTree`]: the handle an object carries to locate its fields.
#[derive(Debug, Clone)]
pub struct SpanMap {
    tree: Arc<SpanTree>,
    root: u32,
}

/// The source location found for a JSON pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    /// The node's value.
    pub value: Span,
    /// The mapping key, when the node is a mapping entry.
    pub key: Option<Span>,
    /// Whether the pointer was matched in full; if not, the spans are those of the deepest
    /// ancestor that exists (for example the object that lacks a required field).
    pub exact: bool,
}

impl SpanTree {
    pub(crate) fn add(&mut self, span: Span) -> u32 {
        self.nodes.push(NodeRec {
            span,
            kids_start: 0,
            kids_len: 0,
        });
        (self.nodes.len() - 1) as u32
    }

    pub(crate) fn set_kids(&mut self, node: u32, kids: &[Kid]) {
        let start = self.kids.len() as u32;
        self.kids.extend_from_slice(kids);
        if let Some(n) = self.nodes.get_mut(node as usize) {
            n.kids_start = start;
            n.kids_len = kids.len() as u32;
        }
    }

    pub(crate) fn set_end(&mut self, node: u32, end: Pos) {
        if let Some(n) = self.nodes.get_mut(node as usize) {
            if end > n.span.end {
                n.span.end = end;
            }
        }
    }

    fn kid(&self, node: u32, i: usize) -> Option<Kid> {
        let n = self.nodes.get(node as usize)?;
        if i >= n.kids_len as usize {
            return None;
        }
        self.kids.get(n.kids_start as usize + i).copied()
    }

    pub(crate) fn span(&self, node: u32) -> Span {
        self.nodes
            .get(node as usize)
            .map(|n| n.span)
            .unwrap_or_default()
    }
}

impl SpanMap {
    pub(crate) fn new(tree: Arc<SpanTree>, root: u32) -> Self {
        SpanMap { tree, root }
    }

    /// The span of the whole value.
    pub fn root_span(&self) -> Span {
        self.tree.span(self.root)
    }

    /// The span map of a child of this value, found by walking `value` (the value this map
    /// describes) along `tokens`.
    pub fn child(&self, value: &Value, tokens: &[&str]) -> Option<SpanMap> {
        let (node, _, exact, _) = self.walk(value, tokens.iter().map(|t| decode_token(t)));
        exact.then(|| SpanMap::new(self.tree.clone(), node))
    }

    /// Locates an RFC 6901 JSON pointer (`/spec/containers/0/image`) within `value`, the value
    /// this map describes.
    pub fn locate(&self, value: &Value, pointer: &str) -> Located {
        let tokens = pointer.split('/').skip(1).map(decode_token);
        let (node, key, exact, _) = self.walk(value, tokens);
        Located {
            value: self.tree.span(node),
            key,
            exact,
        }
    }

    fn walk<'a, I>(&self, value: &Value, tokens: I) -> (u32, Option<Span>, bool, usize)
    where
        I: Iterator<Item = std::borrow::Cow<'a, str>>,
    {
        let mut node = self.root;
        let mut key = None;
        let mut cur = value;
        let mut depth = 0;
        for tok in tokens {
            let next = match cur {
                // Positions follow insertion order (serde_json's preserve_order), matching the
                // order in which the builder recorded the children. Only findings call this, so
                // a linear scan of one mapping is cheap enough.
                Value::Object(map) => map
                    .iter()
                    .position(|(k, _)| k == tok.as_ref())
                    .and_then(|i| map.get(tok.as_ref()).map(|v| (i, v))),
                Value::Array(items) => tok
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get(i).map(|v| (i, v))),
                _ => None,
            };
            let Some((i, v)) = next else {
                return (node, key, false, depth);
            };
            let Some(kid) = self.tree.kid(node, i) else {
                return (node, key, false, depth);
            };
            node = kid.node;
            key = kid.key;
            cur = v;
            depth += 1;
        }
        (node, key, true, depth)
    }
}

fn decode_token(t: &str) -> std::borrow::Cow<'_, str> {
    if t.contains('~') {
        std::borrow::Cow::Owned(t.replace("~1", "/").replace("~0", "~"))
    } else {
        std::borrow::Cow::Borrowed(t)
    }
}

/// Escapes one JSON pointer token.
pub fn escape_token(t: &str) -> std::borrow::Cow<'_, str> {
    if t.contains(['~', '/']) {
        std::borrow::Cow::Owned(t.replace('~', "~0").replace('/', "~1"))
    } else {
        std::borrow::Cow::Borrowed(t)
    }
}
