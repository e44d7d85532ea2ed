//! Byte offsets ↔ 1-based (line, column in characters), fast on long lines.

/// Maps saphyr's (line, column-in-chars) markers to byte offsets.
pub struct LineIndex {
    starts: Vec<usize>,
    ascii: bool,
    /// Last (0-based line, char column, byte offset) converted on non-ASCII text: parser
    /// markers come in order, so the next one is found from here instead of from the
    /// line's start (which made a long non-ASCII line quadratic).
    cursor: std::cell::Cell<(usize, usize, usize)>,
    /// Last (0-based line, byte offset, 0-based char column) of [`LineIndex::line_col`],
    /// for the same reason (findings on one long line).
    lc_cursor: std::cell::Cell<(usize, usize, usize)>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if b.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex {
            starts,
            ascii: text.is_ascii(),
            cursor: std::cell::Cell::new((0, 0, 0)),
            lc_cursor: std::cell::Cell::new((0, 0, 0)),
        }
    }
    /// Byte offset of (1-based line, 0-based char column), clamped to the text.
    pub fn offset(&self, text: &str, line: usize, col: usize) -> usize {
        let l = line.max(1) - 1;
        let Some(&start) = self.starts.get(l) else {
            return text.len();
        };
        if self.ascii {
            return (start + col).min(text.len());
        }
        let (cl, cc, cb) = self.cursor.get();
        let (from_byte, skip) = if cl == l && cc <= col && cb >= start {
            (cb, col - cc)
        } else {
            (start, col)
        };
        let Some(rest) = text.get(from_byte..) else {
            return text.len();
        };
        match rest.char_indices().nth(skip) {
            Some((i, _)) => {
                self.cursor.set((l, col, from_byte + i));
                from_byte + i
            }
            None => text.len(),
        }
    }
    /// 1-based (line, column in chars) of a byte offset.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(text.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        if self.ascii {
            return (line + 1, offset - start + 1);
        }
        let (cl, cb, cc) = self.lc_cursor.get();
        let (from, base) = if cl == line && start <= cb && cb <= offset {
            (cb, cc)
        } else {
            (start, 0)
        };
        let col = match text.get(from..offset) {
            Some(s) => base + s.chars().count(),
            None => offset - start,
        };
        if text.is_char_boundary(offset) {
            self.lc_cursor.set((line, offset, col));
        }
        (line + 1, col + 1)
    }
    pub fn line_start(&self, line1: usize) -> Option<usize> {
        self.starts.get(line1.checked_sub(1)?).copied()
    }
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}
