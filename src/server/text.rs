//! Text positions at the LSP edge: byte offsets ↔ `Position` in the negotiated encoding,
//! incremental edits, and `file:` URIs ↔ paths.

use std::path::{Path, PathBuf};

use lsp_types::{Position, Range};

/// The `positionEncoding` agreed at initialize: what a `Position.character` counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
    Utf32,
}

impl Encoding {
    /// utf-8 when the client offers it (no conversion), else utf-16 (always allowed), else
    /// utf-32 when it is the only one offered.
    pub fn negotiate(offered: &[String]) -> Encoding {
        if offered.iter().any(|e| e == "utf-8") {
            Encoding::Utf8
        } else if offered.is_empty() || offered.iter().any(|e| e == "utf-16") {
            Encoding::Utf16
        } else if offered.iter().any(|e| e == "utf-32") {
            Encoding::Utf32
        } else {
            Encoding::Utf16
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16 => "utf-16",
            Encoding::Utf32 => "utf-32",
        }
    }

    fn units(self, c: char) -> u32 {
        match self {
            Encoding::Utf8 => c.len_utf8() as u32,
            Encoding::Utf16 => c.len_utf16() as u32,
            Encoding::Utf32 => 1,
        }
    }
}

/// Line starts of a text; lines end at `\n`, `\r\n` or a lone `\r` (as LSP counts them).
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex { text, starts }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte range of a 0-based line without its terminator.
    pub fn line_range(&self, line: usize) -> (usize, usize) {
        let Some(&start) = self.starts.get(line) else {
            return (self.text.len(), self.text.len());
        };
        let mut end = self
            .starts
            .get(line + 1)
            .copied()
            .unwrap_or(self.text.len());
        let bytes = self.text.as_bytes();
        if end > start && bytes[end - 1] == b'\n' {
            end -= 1;
        }
        if end > start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        (start, end)
    }

    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    pub fn position(&self, offset: usize, enc: Encoding) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        let (start, end) = self.line_range(line);
        let upto = &self.text[start..offset.min(end).max(start)];
        let character = if enc == Encoding::Utf8 || upto.is_ascii() {
            upto.len() as u32
        } else {
            upto.chars().map(|c| enc.units(c)).sum()
        };
        Position {
            line: line as u32,
            character,
        }
    }

    pub fn range(&self, start: usize, end: usize, enc: Encoding) -> Range {
        Range {
            start: self.position(start, enc),
            end: self.position(end, enc),
        }
    }

    /// The byte offset of a position; out-of-range lines and characters clamp to the end, and a
    /// position inside a character moves to its start.
    pub fn offset(&self, pos: Position, enc: Encoding) -> usize {
        let line = pos.line as usize;
        if line >= self.starts.len() {
            return self.text.len();
        }
        let (start, end) = self.line_range(line);
        let content = &self.text[start..end];
        let want = pos.character as usize;
        if enc == Encoding::Utf8 || content.is_ascii() {
            let mut off = want.min(content.len());
            while !content.is_char_boundary(off) {
                off -= 1;
            }
            return start + off;
        }
        let mut units = 0usize;
        for (i, c) in content.char_indices() {
            let next = units + enc.units(c) as usize;
            if next > want {
                return start + i;
            }
            units = next;
        }
        end
    }
}

/// Apply one LSP content change (a range replacement) to `text`.
pub fn apply_change(text: &mut String, range: Option<Range>, new_text: &str, enc: Encoding) {
    match range {
        None => *text = new_text.to_string(),
        Some(range) => {
            let index = LineIndex::new(text);
            let start = index.offset(range.start, enc);
            let end = index.offset(range.end, enc).max(start);
            text.replace_range(start..end, new_text);
        }
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `file:///a/b%20c.py` → `/a/b c.py`; `None` for other schemes.
pub fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri
        .strip_prefix("file://")
        .or_else(|| uri.strip_prefix("FILE://"))?;
    // `file://localhost/x`, `file:///x`; other hosts are not local files.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    let path = String::from_utf8(out).ok()?;
    // Windows: `/C:/x` → `C:/x`.
    let b = path.as_bytes();
    if cfg!(windows) && b.len() >= 3 && b[0] == b'/' && b[1].is_ascii_alphabetic() && b[2] == b':' {
        return Some(PathBuf::from(&path[1..]));
    }
    Some(PathBuf::from(path))
}

/// A path → `file://` URI, percent-encoding what RFC 3986 does not allow in a path.
pub fn path_to_uri(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let mut out = String::from("file://");
    if !s.starts_with('/') {
        out.push('/');
    }
    for b in s.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn encodings_count_differently() {
        // "é" is 2 bytes, 1 UTF-16 unit; "𝄞" is 4 bytes, 2 UTF-16 units, 1 char.
        let text = "a\né𝄞x\r\nlast";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(idx.position(x, Encoding::Utf8), pos(1, 6));
        assert_eq!(idx.position(x, Encoding::Utf16), pos(1, 3));
        assert_eq!(idx.position(x, Encoding::Utf32), pos(1, 2));
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            assert_eq!(idx.offset(idx.position(x, enc), enc), x);
        }
        // Past the end of a line clamps before its `\r\n`; past the last line to the end.
        assert_eq!(idx.offset(pos(1, 99), Encoding::Utf16), x + 1);
        assert_eq!(idx.offset(pos(9, 0), Encoding::Utf16), text.len());
        assert_eq!(idx.position(text.len(), Encoding::Utf16), pos(2, 4));
        // Inside a surrogate pair: the start of the character.
        assert_eq!(
            idx.offset(pos(1, 2), Encoding::Utf16),
            text.find('𝄞').unwrap()
        );
    }

    #[test]
    fn incremental_edits() {
        let mut text = String::from("héllo\nworld\n");
        let r = Range {
            start: pos(0, 2),
            end: pos(1, 0),
        };
        apply_change(&mut text, Some(r), "y ", Encoding::Utf16);
        assert_eq!(text, "héy world\n");
        apply_change(&mut text, None, "new", Encoding::Utf16);
        assert_eq!(text, "new");
    }

    #[test]
    fn uris() {
        let p = uri_to_path("file:///tmp/a%20b/c.py").unwrap();
        assert_eq!(p, PathBuf::from("/tmp/a b/c.py"));
        assert_eq!(path_to_uri(&p), "file:///tmp/a%20b/c.py");
        assert!(uri_to_path("untitled:Untitled-1").is_none());
    }
}
