//! Positions in template source text.

use std::fmt;

/// A position in a template's source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// Byte offset from the start of the text.
    pub offset: u32,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// Converts byte offsets of one text into positions.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    /// Byte offset at which each line starts.
    starts: Vec<u32>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                starts.push(i as u32 + 1);
            }
        }
        LineIndex { starts }
    }

    /// The position of byte `offset` in `text` (the text this index was built from).
    pub(crate) fn pos(&self, text: &str, offset: usize) -> Pos {
        let offset = offset.min(text.len());
        let line = match self.starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line] as usize;
        let column = text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        Pos {
            offset: offset as u32,
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }

    /// Go's error column: the 0-based byte offset within the line.
    pub(crate) fn go_column(&self, pos: Pos) -> u32 {
        let line = (pos.line as usize).saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        pos.offset.saturating_sub(start)
    }
}
