//! The event-driven builder: YAML events in, JSON values and span trees out.

use crate::resolve::{self, Style};
use crate::span::{escape_token, Kid, Pos, Span, SpanMap, SpanTree};
use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Span as PSpan, Tag};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// Resource limits applied while parsing; exceeding one is a located error, never a hang.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Deepest nesting of mappings and sequences in one document.
    pub max_depth: usize,
    /// Nodes that aliases may add to one document (defends against "billion laughs").
    pub max_alias_nodes: u64,
    /// Largest single document, in bytes.
    pub max_document_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 256,
            max_alias_nodes: 100_000,
            max_document_bytes: 32 << 20,
        }
    }
}

/// One parsed YAML document.
#[derive(Debug, Clone)]
pub struct Document {
    /// Position of the document in the stream, counting empty documents, from 0.
    pub index: usize,
    /// The document as JSON.
    pub value: Value,
    /// Spans of every node of `value`.
    pub spans: SpanMap,
    /// Keys that appeared twice in one mapping (the later value wins, as in Kubernetes).
    pub duplicate_keys: Vec<DuplicateKey>,
}

/// A mapping key written twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// JSON pointer of the entry.
    pub pointer: String,
    /// The repeated key.
    pub key: String,
    /// Where the key first appeared.
    pub first: Span,
    /// Where it was repeated.
    pub second: Span,
}

/// What kind of problem stopped a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text is not well-formed YAML.
    Syntax,
    /// A resource limit was exceeded.
    Limit,
    /// Well-formed YAML that has no JSON equivalent (NaN, complex keys, bad tags …).
    Value,
}

/// A located error that stopped one document (or, for syntax errors, the rest of the stream).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// What went wrong.
    pub message: String,
    /// Where.
    pub span: Span,
    /// Index of the document it belongs to.
    pub document: usize,
    /// The class of error.
    pub kind: ErrorKind,
}

/// Every document of a stream that could be read, and every error met.
#[derive(Debug, Clone, Default)]
pub struct Stream {
    /// Non-empty documents in order.
    pub documents: Vec<Document>,
    /// Errors; a syntax error ends the stream, other errors only their document.
    pub errors: Vec<YamlError>,
}

/// Parses a multi-document YAML (or JSON) text.
pub fn parse_stream(text: &str, limits: &Limits) -> Stream {
    let mut out = parse_events(text, None, limits);
    // go-yaml (and so Helm and kubectl) reads `\'` in a double-quoted scalar as an
    // apostrophe; the YAML 1.2 scanner stops at it. Each time the scanner stops there, swap
    // the escapes of that scalar for the same-length `\/` (spans stay put), parse again, and
    // turn the slashes they produce back into apostrophes.
    let mut fix: Option<ApostropheEscapes> = None;
    for _ in 0..MAX_ESCAPE_RETRIES {
        let Some(err) = out
            .errors
            .iter()
            .find(|e| e.message.contains("unknown escape character"))
        else {
            break;
        };
        let current = fix.as_ref().map_or(text, |f| f.patched.as_str());
        let swaps = apostrophe_escapes_at(current, err.span.start.offset as usize);
        if swaps.is_empty() {
            break;
        }
        let f = fix.get_or_insert_with(|| ApostropheEscapes {
            patched: text.to_owned(),
            at: Vec::new(),
        });
        // Both bytes are ASCII, so the text stays UTF-8.
        let mut bytes = std::mem::take(&mut f.patched).into_bytes();
        for &i in &swaps {
            bytes[i + 1] = b'/';
            f.at.push(i as u32);
        }
        f.patched = String::from_utf8(bytes).unwrap_or_default();
        f.at.sort_unstable();
        let shared = Arc::new(ApostropheEscapes {
            patched: f.patched.clone(),
            at: f.at.clone(),
        });
        out = parse_events(&shared.patched, Some(shared.clone()), limits);
    }
    out
}

/// How many double-quoted scalars with `\'` escapes one text may hold.
const MAX_ESCAPE_RETRIES: usize = 256;

/// The offsets of the `\'` escapes in the double-quoted scalar that starts at `start`.
fn apostrophe_escapes_at(text: &str, start: usize) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    if bytes.get(start) != Some(&b'"') {
        return found;
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => break,
            b'\\' => {
                if bytes.get(i + 1) == Some(&b'\'') {
                    found.push(i);
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    found
}

/// Where `\'` escapes of double-quoted scalars were swapped for `\/` before parsing.
struct ApostropheEscapes {
    patched: String,
    /// Byte offsets of the swapped backslashes, ascending.
    at: Vec<u32>,
}

impl ApostropheEscapes {
    fn touches(&self, span: Span) -> bool {
        let i = self.at.partition_point(|&o| o < span.start.offset);
        self.at.get(i).is_some_and(|&o| o < span.end.offset)
    }

    /// A double-quoted scalar's value as go-yaml reads it, from the value parsed from the
    /// patched text: the slashes the swapped escapes produced become apostrophes.
    fn repair(&self, value: &str, span: Span) -> String {
        let start = span.start.offset as usize;
        let end = (span.end.offset as usize).min(self.patched.len());
        let src = &self.patched.as_bytes()[start..end];
        let swapped = |i: usize| self.at.binary_search(&((start + i) as u32)).is_ok();
        // Every '/' the value holds, in order, and whether a swap produced it.
        let mut producers = Vec::new();
        let mut i = usize::from(src.first() == Some(&b'"'));
        while i < src.len() {
            match src[i] {
                b'"' => break,
                b'\\' => {
                    let next = src.get(i + 1).copied().unwrap_or(0);
                    let hex = match next {
                        b'x' => 2,
                        b'u' => 4,
                        b'U' => 8,
                        _ => 0,
                    };
                    if next == b'/' {
                        producers.push(swapped(i));
                    } else if hex > 0 {
                        let digits = src.get(i + 2..i + 2 + hex).unwrap_or_default();
                        let code = std::str::from_utf8(digits)
                            .ok()
                            .and_then(|d| u32::from_str_radix(d, 16).ok());
                        if code == Some(0x2f) {
                            producers.push(false);
                        }
                        i += hex;
                    }
                    i += 2;
                }
                b'/' => {
                    producers.push(false);
                    i += 1;
                }
                _ => i += 1,
            }
        }
        let mut k = 0;
        value
            .chars()
            .map(|c| {
                if c != '/' {
                    return c;
                }
                k += 1;
                if producers.get(k - 1).copied().unwrap_or(false) {
                    '\''
                } else {
                    c
                }
            })
            .collect()
    }
}

fn parse_events(text: &str, fix: Option<Arc<ApostropheEscapes>>, limits: &Limits) -> Stream {
    let offsets = Offsets::new(text);
    let mut parser = Parser::new_from_str(text);
    let mut out = Stream::default();
    let mut doc_index = 0usize;
    let mut builder: Option<DocBuilder> = None;
    loop {
        let (event, pspan) = match parser.next_event() {
            None => break,
            Some(Ok(ev)) => ev,
            Some(Err(e)) => {
                let pos = offsets.pos(e.marker());
                // The scanner caps flow nesting itself; report that as the limit it is.
                let (kind, message) = if e.info().contains("recursion limit") {
                    (
                        ErrorKind::Limit,
                        "flow collections are nested deeper than the limit of 255 levels"
                            .to_owned(),
                    )
                } else {
                    (ErrorKind::Syntax, e.info().to_owned())
                };
                out.errors.push(YamlError {
                    message,
                    span: Span {
                        start: pos,
                        end: pos,
                    },
                    document: doc_index,
                    kind,
                });
                break;
            }
        };
        let span = offsets.span(&pspan);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            Event::DocumentStart(_) => {
                let mut b = DocBuilder::new(limits, span.start, doc_index);
                b.fix = fix.clone();
                builder = Some(b);
            }
            Event::DocumentEnd => {
                if let Some(b) = builder.take() {
                    match b.finish() {
                        Ok(Some(doc)) => out.documents.push(doc),
                        Ok(None) => {}
                        Err(e) => out.errors.push(e),
                    }
                }
                doc_index += 1;
            }
            other => {
                if let Some(b) = builder.as_mut() {
                    b.event(other, span);
                }
            }
        }
    }
    out
}

/// Parses a text holding exactly one document (config files, values files).
pub fn parse_one(text: &str, limits: &Limits) -> Result<Option<Document>, YamlError> {
    let mut stream = parse_stream(text, limits);
    if let Some(e) = stream.errors.into_iter().next() {
        return Err(e);
    }
    if stream.documents.len() > 1 {
        let extra = &stream.documents[1];
        return Err(YamlError {
            message: "expected a single YAML document".to_owned(),
            span: extra.spans.root_span(),
            document: extra.index,
            kind: ErrorKind::Value,
        });
    }
    Ok(stream.documents.pop())
}

/// Converts the parser's character-indexed markers to byte offsets.
struct Offsets {
    /// Byte offset of each character; empty when the text is ASCII (offset == index).
    table: Vec<u32>,
    len: u32,
}

impl Offsets {
    fn new(text: &str) -> Self {
        let len = text.len() as u32;
        if text.is_ascii() {
            return Offsets {
                table: Vec::new(),
                len,
            };
        }
        let mut table: Vec<u32> = text.char_indices().map(|(b, _)| b as u32).collect();
        table.push(len);
        Offsets { table, len }
    }

    fn pos(&self, m: &Marker) -> Pos {
        let offset = if self.table.is_empty() {
            (m.index() as u32).min(self.len)
        } else {
            self.table.get(m.index()).copied().unwrap_or(self.len)
        };
        Pos {
            offset,
            line: m.line() as u32,
            column: m.col() as u32 + 1,
        }
    }

    fn span(&self, s: &PSpan) -> Span {
        Span {
            start: self.pos(&s.start),
            end: self.pos(&s.end),
        }
    }
}

enum PendingKey {
    Plain(String, Span),
    Merge,
}

enum Frame {
    Seq {
        items: Vec<Value>,
        kids: Vec<Kid>,
        node: u32,
        anchor: usize,
        weight: u64,
    },
    Map {
        map: Map<String, Value>,
        kids: Vec<Kid>,
        /// Whether each entry was set by a key written in this mapping (not by a merge).
        literal: Vec<bool>,
        node: u32,
        anchor: usize,
        weight: u64,
        key: Option<PendingKey>,
    },
}

struct Anchored {
    value: Value,
    node: u32,
    weight: u64,
}

struct DocBuilder<'l> {
    limits: &'l Limits,
    index: usize,
    start: Pos,
    tree: SpanTree,
    stack: Vec<Frame>,
    root: Option<(Value, u32)>,
    anchors: HashMap<usize, Anchored>,
    alias_nodes: u64,
    duplicates: Vec<DuplicateKey>,
    failed: Option<YamlError>,
    fix: Option<Arc<ApostropheEscapes>>,
}

impl<'l> DocBuilder<'l> {
    fn new(limits: &'l Limits, start: Pos, index: usize) -> Self {
        DocBuilder {
            limits,
            index,
            start,
            tree: SpanTree::default(),
            stack: Vec::new(),
            root: None,
            anchors: HashMap::new(),
            alias_nodes: 0,
            duplicates: Vec::new(),
            failed: None,
            fix: None,
        }
    }

    fn finish(self) -> Result<Option<Document>, YamlError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        match self.root {
            None | Some((Value::Null, _)) => Ok(None),
            Some((value, node)) => Ok(Some(Document {
                index: self.index,
                value,
                spans: SpanMap::new(Arc::new(self.tree), node),
                duplicate_keys: self.duplicates,
            })),
        }
    }

    fn fail(&mut self, kind: ErrorKind, span: Span, message: String) {
        if self.failed.is_none() {
            self.failed = Some(YamlError {
                message,
                span,
                document: self.index,
                kind,
            });
        }
    }

    fn event(&mut self, event: Event<'_>, span: Span) {
        if self.failed.is_some() {
            return;
        }
        if span.end.offset.saturating_sub(self.start.offset) as usize
            > self.limits.max_document_bytes
        {
            self.fail(
                ErrorKind::Limit,
                span,
                format!(
                    "document is larger than the limit of {} bytes",
                    self.limits.max_document_bytes
                ),
            );
            return;
        }
        if let Err((kind, msg)) = self.apply(event, span) {
            self.fail(kind, span, msg);
        }
    }

    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    fn apply(&mut self, event: Event<'_>, span: Span) -> Result<(), (ErrorKind, String)> {
        match event {
            Event::Scalar(mut text, style, anchor, tag) => {
                if let Some(fix) = self.fix.as_ref().filter(|f| f.touches(span)) {
                    if style == ScalarStyle::DoubleQuoted {
                        text = fix.repair(&text, span).into();
                    }
                }
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    _ => Style::Quoted,
                };
                let tag = tag
                    .as_deref()
                    .map(|t: &Tag| (t.handle.as_str(), t.suffix.as_str()));
                if self.expecting_key() {
                    let key = if style == Style::Plain
                        && text == "<<"
                        && (tag.is_none() || tag == Some(("tag:yaml.org,2002:", "merge")))
                    {
                        PendingKey::Merge
                    } else {
                        let scalar = resolve::resolve(&text, style, tag)
                            .map_err(|e| (ErrorKind::Value, e.0))?;
                        let k = scalar.into_key().map_err(|e| (ErrorKind::Value, e))?;
                        PendingKey::Plain(k, span)
                    };
                    if let Some(Frame::Map { key: slot, .. }) = self.stack.last_mut() {
                        *slot = Some(key);
                    }
                    return Ok(());
                }
                let value = resolve::resolve(&text, style, tag)
                    .map_err(|e| (ErrorKind::Value, e.0))?
                    .into_json()
                    .map_err(|e| (ErrorKind::Value, e))?;
                let node = self.tree.add(span);
                if anchor != 0 {
                    self.anchors.insert(
                        anchor,
                        Anchored {
                            value: value.clone(),
                            node,
                            weight: 1,
                        },
                    );
                }
                self.push_value(value, node, 1)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.expecting_key() {
                    return Err((
                        ErrorKind::Value,
                        "mapping keys must be scalars: a sequence or mapping cannot be a key"
                            .to_owned(),
                    ));
                }
                if self.stack.len() >= self.limits.max_depth {
                    return Err((
                        ErrorKind::Limit,
                        format!(
                            "nesting is deeper than the limit of {} levels",
                            self.limits.max_depth
                        ),
                    ));
                }
                let node = self.tree.add(span);
                let frame = if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        items: Vec::new(),
                        kids: Vec::new(),
                        node,
                        anchor,
                        weight: 1,
                    }
                } else {
                    Frame::Map {
                        map: Map::new(),
                        kids: Vec::new(),
                        literal: Vec::new(),
                        node,
                        anchor,
                        weight: 1,
                        key: None,
                    }
                };
                self.stack.push(frame);
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                let (value, node, anchor, weight) = match frame {
                    Frame::Seq {
                        items,
                        kids,
                        node,
                        anchor,
                        weight,
                    } => {
                        self.tree.set_kids(node, &kids);
                        (Value::Array(items), node, anchor, weight)
                    }
                    Frame::Map {
                        map,
                        kids,
                        node,
                        anchor,
                        weight,
                        ..
                    } => {
                        self.tree.set_kids(node, &kids);
                        (Value::Object(map), node, anchor, weight)
                    }
                };
                self.tree.set_end(node, span.end);
                if anchor != 0 {
                    self.anchors.insert(
                        anchor,
                        Anchored {
                            value: value.clone(),
                            node,
                            weight,
                        },
                    );
                }
                self.push_value(value, node, weight)
            }
            Event::Alias(id) => {
                let Some(a) = self.anchors.get(&id) else {
                    return Err((ErrorKind::Value, "alias to an unknown anchor".to_owned()));
                };
                let weight = a.weight;
                self.alias_nodes = self.alias_nodes.saturating_add(weight);
                if self.alias_nodes > self.limits.max_alias_nodes {
                    return Err((
                        ErrorKind::Limit,
                        format!(
                            "aliases expand to more than {} nodes (a \"billion laughs\" document?)",
                            self.limits.max_alias_nodes
                        ),
                    ));
                }
                if self.expecting_key() {
                    let key = match &a.value {
                        Value::String(s) => s.clone(),
                        Value::Bool(b) => b.to_string(),
                        Value::Number(n) => n.to_string(),
                        _ => {
                            return Err((
                                ErrorKind::Value,
                                "mapping keys must be scalars: the alias names a collection"
                                    .to_owned(),
                            ))
                        }
                    };
                    if let Some(Frame::Map { key: slot, .. }) = self.stack.last_mut() {
                        *slot = Some(PendingKey::Plain(key, span));
                    }
                    return Ok(());
                }
                let (value, node) = (a.value.clone(), a.node);
                self.push_value(value, node, weight)
            }
            _ => Ok(()),
        }
    }

    /// JSON pointer of the entry `key` in the mapping on top of the stack.
    fn pointer_to(&self, key: &str) -> String {
        let mut out = String::new();
        for (i, frame) in self.stack.iter().enumerate() {
            if i + 1 == self.stack.len() {
                break;
            }
            out.push('/');
            match frame {
                Frame::Seq { items, .. } => out.push_str(&items.len().to_string()),
                Frame::Map {
                    key: Some(PendingKey::Plain(k, _)),
                    ..
                } => out.push_str(&escape_token(k)),
                Frame::Map { .. } => out.push_str("<<"),
            }
        }
        out.push('/');
        out.push_str(&escape_token(key));
        out
    }

    fn push_value(
        &mut self,
        value: Value,
        node: u32,
        weight: u64,
    ) -> Result<(), (ErrorKind, String)> {
        let mut duplicate = None;
        let mut merge = None;
        match self.stack.last_mut() {
            None => {
                self.root = Some((value, node));
            }
            Some(Frame::Seq {
                items,
                kids,
                weight: w,
                ..
            }) => {
                items.push(value);
                kids.push(Kid { node, key: None });
                *w = w.saturating_add(weight);
            }
            Some(Frame::Map {
                map,
                kids,
                literal,
                key,
                weight: w,
                ..
            }) => {
                *w = w.saturating_add(weight);
                match key.take() {
                    Some(PendingKey::Plain(k, kspan)) => {
                        let kid = Kid {
                            node,
                            key: Some(kspan),
                        };
                        if map.contains_key(&k) {
                            let pos = map.keys().position(|x| *x == k).unwrap_or(0);
                            if literal.get(pos).copied().unwrap_or(false) {
                                let first = kids.get(pos).and_then(|k| k.key).unwrap_or_default();
                                duplicate = Some((k.clone(), first, kspan));
                            }
                            map.insert(k, value);
                            if let Some(slot) = kids.get_mut(pos) {
                                *slot = kid;
                            }
                            if let Some(slot) = literal.get_mut(pos) {
                                *slot = true;
                            }
                        } else {
                            map.insert(k, value);
                            kids.push(kid);
                            literal.push(true);
                        }
                    }
                    Some(PendingKey::Merge) => merge = Some((value, node)),
                    None => {}
                }
            }
        }
        if let Some((key, first, second)) = duplicate {
            let pointer = self.pointer_to(&key);
            self.duplicates.push(DuplicateKey {
                pointer,
                key,
                first,
                second,
            });
        }
        if let Some((value, node)) = merge {
            self.merge(value, node)?;
        }
        Ok(())
    }

    /// Applies a `<<` merge as go-yaml v2 does: the merged entries are set in place, so keys
    /// written before `<<` are overridden and keys after it override; in a sequence of maps the
    /// earlier maps win.
    fn merge(&mut self, value: Value, node: u32) -> Result<(), (ErrorKind, String)> {
        let want_map = || {
            (
                ErrorKind::Value,
                "map merge requires map or sequence of maps as the value".to_owned(),
            )
        };
        let mut sources: Vec<(Map<String, Value>, u32)> = Vec::new();
        match value {
            Value::Object(m) => sources.push((m, node)),
            Value::Array(items) => {
                for (j, item) in items.into_iter().enumerate().rev() {
                    let Value::Object(m) = item else {
                        return Err(want_map());
                    };
                    let child = self.kid_node(node, j);
                    sources.push((m, child));
                }
            }
            _ => return Err(want_map()),
        }
        for (source, src_node) in sources {
            for (i, (k, v)) in source.into_iter().enumerate() {
                let kid = self.tree_kid(src_node, i);
                if let Some(Frame::Map {
                    map, kids, literal, ..
                }) = self.stack.last_mut()
                {
                    if map.contains_key(&k) {
                        let pos = map.keys().position(|x| *x == k).unwrap_or(0);
                        map.insert(k, v);
                        if let (Some(slot), Some(kid)) = (kids.get_mut(pos), kid) {
                            *slot = kid;
                        }
                        if let Some(slot) = literal.get_mut(pos) {
                            *slot = false;
                        }
                    } else {
                        map.insert(k, v);
                        kids.push(kid.unwrap_or(Kid { node, key: None }));
                        literal.push(false);
                    }
                }
            }
        }
        Ok(())
    }

    fn tree_kid(&self, node: u32, i: usize) -> Option<Kid> {
        let n = self.tree.nodes.get(node as usize)?;
        if i >= n.kids_len as usize {
            return None;
        }
        self.tree.kids.get(n.kids_start as usize + i).copied()
    }

    fn kid_node(&self, node: u32, i: usize) -> u32 {
        self.tree_kid(node, i).map_or(node, |k| k.node)
    }
}
