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

/// Where one value sits in its source text: the handle an object carries to locate its fields.
#[derive(Debug, Clone)]
pub struct SpanMap {
    repr: Repr,
}

#[derive(Debug, Clone)]
enum Repr {
    /// A node of a parsed document's [`SpanTree`].
    Tree { tree: Arc<SpanTree>, root: u32 },
    /// A value whose text is its compact JSON serialization (`serde_json::to_string`), starting
    /// at `start`: positions are computed from the value when asked, with no text kept.
    Json { start: Pos, end: Pos },
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
        SpanMap {
            repr: Repr::Tree { tree, root },
        }
    }

    /// The spans `value` would have if its text were its compact JSON serialization
    /// (`serde_json::to_string(value)`, on one line), without serializing it: for a value that
    /// arrived as JSON and was never read as YAML, such as an admission request's object.
    /// Every method answers exactly as on the map of that text parsed with
    /// [`parse_stream`](crate::parse_stream).
    pub fn compact_json(value: &Value) -> SpanMap {
        let start = Pos {
            offset: 0,
            line: 1,
            column: 1,
        };
        SpanMap {
            repr: Repr::Json {
                start,
                end: advance(start, extent(value)),
            },
        }
    }

    /// The span of the whole value.
    pub fn root_span(&self) -> Span {
        match &self.repr {
            Repr::Tree { tree, root } => tree.span(*root),
            Repr::Json { start, end } => Span {
                start: *start,
                end: *end,
            },
        }
    }

    /// The span map of a child of this value, found by walking `value` (the value this map
    /// describes) along `tokens`.
    pub fn child(&self, value: &Value, tokens: &[&str]) -> Option<SpanMap> {
        let tokens = tokens.iter().map(|t| decode_token(t));
        match &self.repr {
            Repr::Tree { tree, .. } => {
                let (node, _, exact, _) = self.walk(tree, value, tokens);
                exact.then(|| SpanMap::new(tree.clone(), node))
            }
            Repr::Json { start, end } => {
                let (node, _, exact) = walk_json(*start, *end, value, tokens);
                exact.then_some(SpanMap {
                    repr: Repr::Json {
                        start: node.start,
                        end: node.end,
                    },
                })
            }
        }
    }

    /// Locates an RFC 6901 JSON pointer (`/spec/containers/0/image`) within `value`, the value
    /// this map describes.
    pub fn locate(&self, value: &Value, pointer: &str) -> Located {
        let tokens = pointer.split('/').skip(1).map(decode_token);
        match &self.repr {
            Repr::Tree { tree, .. } => {
                let (node, key, exact, _) = self.walk(tree, value, tokens);
                Located {
                    value: tree.span(node),
                    key,
                    exact,
                }
            }
            Repr::Json { start, end } => {
                let (value, key, exact) = walk_json(*start, *end, value, tokens);
                Located { value, key, exact }
            }
        }
    }

    fn walk<'a, I>(
        &self,
        tree: &SpanTree,
        value: &Value,
        tokens: I,
    ) -> (u32, Option<Span>, bool, usize)
    where
        I: Iterator<Item = std::borrow::Cow<'a, str>>,
    {
        let mut node = match &self.repr {
            Repr::Tree { root, .. } => *root,
            Repr::Json { .. } => return (0, None, false, 0),
        };
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
            let Some(kid) = tree.kid(node, i) else {
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

/// The length of some compact JSON text, in bytes and in characters.
#[derive(Debug, Clone, Copy, Default)]
struct Extent {
    bytes: u32,
    chars: u32,
}

impl std::io::Write for Extent {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes = self.bytes.saturating_add(buf.len() as u32);
        // Every byte but a UTF-8 continuation byte starts a character.
        let starts = buf.iter().filter(|b| (**b & 0xC0) != 0x80).count();
        self.chars = self.chars.saturating_add(starts as u32);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The extent of `v`'s compact JSON serialization.
fn extent(v: &Value) -> Extent {
    let mut e = Extent::default();
    // Writing to a counter cannot fail, and a `Value` always serializes.
    let _ = serde_json::to_writer(&mut e, v);
    e
}

/// The extent of a mapping key as JSON (quoted and escaped).
fn key_extent(k: &str) -> Extent {
    let mut e = Extent::default();
    let _ = serde_json::to_writer(&mut e, k);
    e
}

/// The position `e` further along a single line.
fn advance(p: Pos, e: Extent) -> Pos {
    Pos {
        offset: p.offset.saturating_add(e.bytes),
        line: p.line,
        column: p.column.saturating_add(e.chars),
    }
}

/// One ASCII character further (`{`, `[`, `:`, `,`).
fn step(p: Pos) -> Pos {
    advance(p, Extent { bytes: 1, chars: 1 })
}

/// [`SpanMap::walk`] over compact JSON: the value span, key span and exactness of the deepest
/// node on the way, the positions summed from the extents of the siblings before each step.
fn walk_json<'a, I>(start: Pos, end: Pos, value: &Value, tokens: I) -> (Span, Option<Span>, bool)
where
    I: Iterator<Item = std::borrow::Cow<'a, str>>,
{
    let mut node = Span { start, end };
    let mut key = None;
    let mut cur = value;
    for tok in tokens {
        match cur {
            Value::Object(map) => {
                // `{`, then `"key":value,` for each entry before the one wanted.
                let mut p = step(node.start);
                let mut found = None;
                for (k, v) in map {
                    let k_end = advance(p, key_extent(k));
                    if k == tok.as_ref() {
                        found = Some((
                            Span {
                                start: p,
                                end: k_end,
                            },
                            v,
                        ));
                        break;
                    }
                    p = step(advance(step(k_end), extent(v)));
                }
                let Some((k, v)) = found else {
                    return (node, key, false);
                };
                let v_start = step(k.end);
                node = Span {
                    start: v_start,
                    end: advance(v_start, extent(v)),
                };
                key = Some(k);
                cur = v;
            }
            Value::Array(items) => {
                let Some((i, v)) = tok
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| items.get(i).map(|v| (i, v)))
                else {
                    return (node, key, false);
                };
                let mut p = step(node.start);
                for before in &items[..i] {
                    p = step(advance(p, extent(before)));
                }
                node = Span {
                    start: p,
                    end: advance(p, extent(v)),
                };
                key = None;
                cur = v;
            }
            _ => return (node, key, false),
        }
    }
    (node, key, true)
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
