//! Byte offsets ↔ 1-based rows and character columns. Lines end at `\n`, `\r\n` or a lone
//! `\r`, as Python, ruff and LSP count them.

use std::borrow::Cow;

pub struct Locator<'a> {
    text: &'a str,
    line_starts: Cow<'a, [usize]>,
}

/// Byte offsets where each line starts.
pub fn line_starts(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = vec![0];
    starts.extend(
        memchr::memchr2_iter(b'\n', b'\r', bytes)
            .filter(|&i| !(bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n')))
            .map(|i| i + 1),
    );
    starts
}

/// The lines of `text`, each with its line break (see [`line_starts`]).
pub fn lines_inclusive(text: &str) -> impl Iterator<Item = &str> {
    let starts = line_starts(text);
    let n = starts.len();
    (0..n)
        .map(move |i| &text[starts[i]..starts.get(i + 1).copied().unwrap_or(text.len())])
        .filter(|line| !line.is_empty())
}

/// How many line breaks `text` holds.
pub fn count_breaks(text: &str) -> usize {
    line_starts(text).len() - 1
}

impl<'a> Locator<'a> {
    pub fn new(text: &'a str) -> Self {
        Locator {
            text,
            line_starts: Cow::Owned(line_starts(text)),
        }
    }

    /// A locator over line starts computed once (see `Workspace::locator`).
    pub fn with_line_starts(text: &'a str, starts: &'a [usize]) -> Self {
        Locator {
            text,
            line_starts: Cow::Borrowed(starts),
        }
    }

    /// 0-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// 1-based (row, column); the column counts Unicode characters.
    pub fn row_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line(offset);
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len())
    }
}

#[cfg(test)]
mod tests {
    use super::Locator;

    #[test]
    fn rows_and_char_columns() {
        let l = Locator::new("ab\né x\n");
        assert_eq!(l.row_col(0), (1, 1));
        assert_eq!(l.row_col(3), (2, 1));
        assert_eq!(l.row_col(6), (2, 3)); // after "é " (é is 2 bytes)
    }

    #[test]
    fn crlf_and_lone_cr_end_lines() {
        let text = "a\r\nb\rc\n";
        let l = Locator::new(text);
        assert_eq!(l.row_col(3), (2, 1));
        assert_eq!(l.row_col(5), (3, 1));
        let lines: Vec<&str> = super::lines_inclusive(text).collect();
        assert_eq!(lines, ["a\r\n", "b\r", "c\n"]);
        assert_eq!(super::count_breaks(text), 3);
    }
}
