//! Byte offsets to 1-based line and column numbers.
//!
//! Extractors work in byte offsets (what parsers give); people and editors want lines and
//! columns counted in characters. The index is built once per file; lookups in increasing
//! order on one line reuse the previous answer, so long single-line files (minified HTML)
//! stay linear.

use std::cell::Cell;

/// Maps byte offsets in one text to 1-based (line, column) pairs, columns in characters.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
    /// Last answer: (offset, line, column), for cheap forward steps on the same line.
    last: Cell<(usize, u32, u32)>,
}

impl<'a> LineIndex<'a> {
    /// Indexes the line starts of `text`: lines end at `\n`, `\r\n` or a lone `\r` (as
    /// CommonMark and editors count them), and a byte-order mark is no column of line 1.
    pub fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = Vec::with_capacity(text.len() / 40 + 1);
        starts.push(if text.starts_with('\u{feff}') { 3 } else { 0 });
        starts.extend(
            memchr::memchr2_iter(b'\n', b'\r', bytes)
                .filter(|&i| bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n'))
                .map(|i| i + 1),
        );
        LineIndex {
            text,
            last: Cell::new((starts[0], 1, 1)),
            starts,
        }
    }

    /// The 1-based line and character column of byte `offset` (clamped to the text).
    pub fn position(&self, offset: usize) -> (u32, u32) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let offset = offset.max(self.starts[0]);
        let line = self.starts.partition_point(|&s| s <= offset);
        let line_start = self.starts[line - 1];
        let (last_offset, last_line, last_col) = self.last.get();
        let column = if last_line as usize == line && last_offset <= offset {
            last_col + count_chars(&self.text[last_offset..offset])
        } else {
            1 + count_chars(&self.text[line_start..offset])
        };
        self.last.set((offset, line as u32, column));
        (line as u32, column)
    }
}

fn count_chars(s: &str) -> u32 {
    // Counting UTF-8 lead bytes is what `chars().count()` does, without decoding.
    s.bytes().filter(|&b| (b as i8) >= -0x40).count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_character_columns() {
        let text = "ab\ncdé f\n\nx";
        let idx = LineIndex::new(text);
        assert_eq!(idx.position(0), (1, 1));
        assert_eq!(idx.position(1), (1, 2));
        assert_eq!(idx.position(3), (2, 1));
        // 'é' is two bytes but one column: the space after it is column 4, 'f' column 5.
        assert_eq!(idx.position(7), (2, 4));
        assert_eq!(idx.position(8), (2, 5));
        assert_eq!(idx.position(10), (3, 1));
        assert_eq!(idx.position(11), (4, 1));
        // Going backwards after a forward lookup still answers right.
        assert_eq!(idx.position(4), (2, 2));
        // Past the end is clamped; inside a multibyte char snaps back to its start.
        assert_eq!(idx.position(100), (4, 2));
        assert_eq!(idx.position(6), (2, 3));
    }

    #[test]
    fn byte_order_mark_and_lone_carriage_returns() {
        // The BOM is no column: `a` is at 1:1.
        let idx = LineIndex::new("\u{feff}a b");
        assert_eq!(idx.position(3), (1, 1));
        assert_eq!(idx.position(5), (1, 3));
        // Old Mac line ends (lone CR) and CRLF are one line break each.
        let idx = LineIndex::new("a\rb\r\nc\n\rd");
        assert_eq!(idx.position(2), (2, 1));
        assert_eq!(idx.position(5), (3, 1));
        assert_eq!(idx.position(8), (5, 1));
    }
}
