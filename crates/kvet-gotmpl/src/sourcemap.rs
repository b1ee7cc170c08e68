//! Source maps: which template position produced each byte of the output.

use std::sync::Arc;

/// The start of a run of output bytes that one template position produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Byte offset in the output where the run starts; it lasts until the next segment.
    pub output_offset: u32,
    /// Index into [`SourceMap::sources`].
    pub source: u32,
    /// 1-based line in the template source.
    pub line: u32,
    /// 1-based column (in characters) in the template source.
    pub column: u32,
    /// Whether the run is template text copied verbatim, so later bytes of the run sit at
    /// later columns of the same line (an action's output all maps to the action).
    pub literal: bool,
}

/// A template position that output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceLocation<'a> {
    /// The source (template file) name.
    pub source: &'a str,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub column: u32,
}

/// Maps output byte offsets to template positions: segments in output order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceMap {
    sources: Vec<Arc<str>>,
    segments: Vec<Segment>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// The source names segments refer to.
    pub fn sources(&self) -> &[Arc<str>] {
        &self.sources
    }

    /// The segments in output order.
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The segment holding output byte `offset`.
    pub fn segment_at(&self, offset: usize) -> Option<&Segment> {
        let i = self
            .segments
            .partition_point(|s| s.output_offset as usize <= offset);
        self.segments.get(i.checked_sub(1)?)
    }

    /// The start of the segment holding output byte `offset`: the position of the action
    /// or text run that produced it. [`SourceMap::locate`] is exact within text runs.
    pub fn lookup(&self, offset: usize) -> Option<SourceLocation<'_>> {
        let seg = self.segment_at(offset)?;
        Some(SourceLocation {
            source: self.sources.get(seg.source as usize)?,
            line: seg.line,
            column: seg.column,
        })
    }

    /// The template position of output byte `offset` of `output` (the text this map
    /// describes): inside literal text, the exact column of that byte.
    pub fn locate(&self, output: &str, offset: usize) -> Option<SourceLocation<'_>> {
        let seg = *self.segment_at(offset)?;
        let mut loc = self.lookup(offset)?;
        if seg.literal {
            let start = seg.output_offset as usize;
            if let Some(run) = output.get(start..offset.min(output.len())) {
                loc.column += run.chars().count() as u32;
            } else if let Some(run) = output.get(start..) {
                let n = run
                    .char_indices()
                    .take_while(|(i, _)| start + i < offset)
                    .count();
                loc.column += n.saturating_sub(1) as u32;
            }
        }
        Some(loc)
    }

    /// The id of source `name`, adding it if new.
    pub fn source_id(&mut self, name: &Arc<str>) -> u32 {
        if let Some(i) = self
            .sources
            .iter()
            .rposition(|s| Arc::ptr_eq(s, name) || **s == **name)
        {
            return i as u32;
        }
        self.sources.push(name.clone());
        (self.sources.len() - 1) as u32
    }

    /// Records that output from `output_offset` on comes from `source` at `line`:`column`;
    /// `literal` when the output is that source text itself.
    pub fn push(
        &mut self,
        output_offset: usize,
        source: u32,
        line: u32,
        column: u32,
        literal: bool,
    ) {
        let seg = Segment {
            output_offset: output_offset as u32,
            source,
            line,
            column,
            literal,
        };
        if let Some(last) = self.segments.last_mut() {
            if last.output_offset == seg.output_offset {
                *last = seg;
                self.merge_tail();
                return;
            }
            if (last.source, last.line, last.column, last.literal)
                == (source, line, column, literal)
                && !literal
            {
                return;
            }
        }
        self.segments.push(seg);
    }

    fn merge_tail(&mut self) {
        let n = self.segments.len();
        if n >= 2 {
            let (a, b) = (self.segments[n - 2], self.segments[n - 1]);
            if (a.source, a.line, a.column, a.literal) == (b.source, b.line, b.column, b.literal)
                && !b.literal
            {
                self.segments.pop();
            }
        }
    }

    /// Appends the segments of `other`, whose output was placed at `base` in this output.
    pub fn splice(&mut self, base: usize, other: &SourceMap) {
        let ids: Vec<u32> = other.sources.iter().map(|s| self.source_id(s)).collect();
        for s in &other.segments {
            let src = ids.get(s.source as usize).copied().unwrap_or(0);
            self.push(
                base + s.output_offset as usize,
                src,
                s.line,
                s.column,
                s.literal,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_finds_the_segment_holding_an_offset() {
        let mut m = SourceMap::new();
        let a = m.source_id(&Arc::from("a"));
        let b = m.source_id(&Arc::from("b"));
        m.push(0, a, 1, 1, true);
        m.push(5, b, 3, 4, false);
        m.push(5, b, 3, 7, false); // same offset: replaces
        m.push(9, b, 3, 7, false); // same place: merged
        m.push(12, a, 2, 1, true);
        assert_eq!(m.segments().len(), 3);
        let at = |o| m.lookup(o).map(|l| (l.source, l.line, l.column));
        assert_eq!(at(0), Some(("a", 1, 1)));
        assert_eq!(at(4), Some(("a", 1, 1)));
        assert_eq!(at(5), Some(("b", 3, 7)));
        assert_eq!(at(11), Some(("b", 3, 7)));
        assert_eq!(at(100), Some(("a", 2, 1)));
        let out = "abcdeXXXXXXXxyz";
        assert_eq!(m.locate(out, 3).map(|l| l.column), Some(4));
        assert_eq!(m.locate(out, 8).map(|l| l.column), Some(7));
        assert_eq!(m.locate(out, 14).map(|l| l.column), Some(3));
    }

    #[test]
    fn splice_shifts_offsets_and_renumbers_sources() {
        let mut inner = SourceMap::new();
        let h = inner.source_id(&Arc::from("helpers"));
        inner.push(0, h, 10, 1, true);
        inner.push(4, h, 11, 1, true);
        let mut outer = SourceMap::new();
        let t = outer.source_id(&Arc::from("main"));
        outer.push(0, t, 1, 1, true);
        outer.push(3, t, 1, 4, false);
        outer.splice(3, &inner);
        let at = |o| outer.lookup(o).map(|l| (l.source, l.line));
        assert_eq!(at(2), Some(("main", 1)));
        assert_eq!(at(3), Some(("helpers", 10)));
        assert_eq!(at(7), Some(("helpers", 11)));
        assert!(SourceMap::new().lookup(0).is_none());
    }
}
