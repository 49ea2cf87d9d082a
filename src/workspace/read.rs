//! Reading project files: counted, noted as inputs, decoded as Python reads them.

use std::path::Path;

/// The UTF-8 byte order mark some Windows editors write. Python ignores it; so does djperm:
/// it is not part of the text (rows and columns count from after it) and [`crate::fix`] puts it
/// back when it writes the file.
pub const BOM: &str = "\u{feff}";

/// A source file's bytes as text: UTF-8 without its byte order mark, or why not.
pub fn decode(bytes: Vec<u8>) -> Result<String, String> {
    let mut text = String::from_utf8(bytes).map_err(|e| not_utf8(e.utf8_error()))?;
    if text.starts_with(BOM) {
        text.drain(..BOM.len());
    }
    Ok(text)
}

/// [`decode`] without a copy: the text of `bytes`, without its byte order mark.
fn decode_str(bytes: &[u8]) -> Result<&str, String> {
    let text = std::str::from_utf8(bytes).map_err(not_utf8)?;
    Ok(text.strip_prefix(BOM).unwrap_or(text))
}

fn not_utf8(e: std::str::Utf8Error) -> String {
    let at = e.valid_up_to();
    format!("not valid UTF-8 (byte {at}); djperm reads UTF-8 source only")
}

thread_local! {
    /// The bytes of the file this thread read last: reused, so that a text nobody keeps never
    /// asks the system for fresh memory (each new page is zeroed by the kernel first, a cost
    /// that on some machines exceeds the parse).
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A buffer over this size is not kept for the next file.
const BUFFER_KEPT: usize = 4 << 20;

/// Read a project file (counted, as [`read_bytes`]) into this thread's reusable buffer and give
/// its text ([`decode_str`]) to `f`; the error says why it could not be read or decoded.
pub fn with_text<R>(path: &Path, f: impl FnOnce(&str) -> R) -> Result<R, String> {
    FILES_READ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    crate::inputs::note(path);
    // Taken, not borrowed: `f` may read another file on this thread.
    let mut buffer = BUFFER.with(|b| std::mem::take(&mut *b.borrow_mut()));
    let read = std::fs::File::open(path)
        .and_then(|mut file| {
            let size = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
            read_into(&mut file, &mut buffer, size)
        })
        .map_err(|e| e.to_string());
    let result = read.and_then(|len| decode_str(&buffer[..len]).map(f));
    if buffer.capacity() <= BUFFER_KEPT {
        BUFFER.with(|b| *b.borrow_mut() = buffer);
    }
    result
}

/// Read `file`, whose size was `size` when it was opened, into the start of `buffer`; returns
/// how many bytes it holds. The buffer keeps its length from file to file (the bytes past the
/// end are an earlier file's), so it is zeroed only when it grows. A read asks for more than
/// the size, and once the size is read the file is read: one call for a file that has not
/// changed, not the four of `read_to_end` (its own size query, a seek, the read, and one that
/// returns nothing). A file that grew reads on to its end; one that shrank ends at its end.
fn read_into(
    file: &mut impl std::io::Read,
    buffer: &mut Vec<u8>,
    size: usize,
) -> std::io::Result<usize> {
    let want = size.saturating_add(1);
    if buffer.len() < want {
        buffer.resize(want, 0);
    }
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            buffer.resize(buffer.len().saturating_mul(2), 0);
        }
        match file.read(&mut buffer[filled..]) {
            Ok(0) => return Ok(filled),
            Ok(n) => {
                filled += n;
                if filled == size {
                    return Ok(filled);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

static FILES_READ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Read a project file's bytes, counted ([`files_read`]).
pub fn read_bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    FILES_READ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    crate::inputs::note(path);
    std::fs::read(path)
}

/// How many project files this process has read ([`read_bytes`]; `DJPERM_TIMINGS` reports it).
pub fn files_read() -> usize {
    FILES_READ.load(std::sync::atomic::Ordering::Relaxed)
}

/// The text of a file whose text a lean snapshot dropped, read again (empty when it can no
/// longer be read: the file vanished or changed into something unreadable during the run).
pub(super) fn read_back(root: &Path, path: &str) -> String {
    read_bytes(&root.join(path))
        .map_err(|e| e.to_string())
        .and_then(decode)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::read_into;

    /// A reader that gives at most `chunk` bytes a call, as a slow file system may.
    struct Chunked<'a> {
        data: &'a [u8],
        chunk: usize,
        calls: usize,
    }

    impl std::io::Read for Chunked<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            self.calls += 1;
            let n = self.data.len().min(self.chunk).min(out.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn read(data: &[u8], chunk: usize, size: usize, buffer: &mut Vec<u8>) -> (Vec<u8>, usize) {
        let mut reader = Chunked {
            data,
            chunk,
            calls: 0,
        };
        let len = read_into(&mut reader, buffer, size).unwrap();
        (buffer[..len].to_vec(), reader.calls)
    }

    #[test]
    fn a_file_of_its_size_is_read_in_one_call() {
        let mut buffer = Vec::new();
        assert_eq!(read(b"abc", 1 << 20, 3, &mut buffer), (b"abc".to_vec(), 1));
        // The buffer is reused: a shorter file after a longer one is not mixed with it.
        let mut buffer = b"0123456789".to_vec();
        assert_eq!(read(b"xy", 1 << 20, 2, &mut buffer), (b"xy".to_vec(), 1));
        assert_eq!(read(b"", 1 << 20, 0, &mut buffer), (Vec::new(), 1));
    }

    #[test]
    fn a_file_that_grew_or_shrank_is_read_to_its_end() {
        let long = vec![b'x'; 10_000];
        let mut buffer = Vec::new();
        // Grew since its size was taken: read on, the buffer grows.
        assert_eq!(read(&long, 1 << 20, 10, &mut buffer).0, long);
        // Shrank: ends where the file ends.
        let mut buffer = Vec::new();
        assert_eq!(read(b"ab", 1 << 20, 50, &mut buffer).0, b"ab".to_vec());
    }

    #[test]
    fn short_reads_are_read_on() {
        let data: Vec<u8> = (0..=255).cycle().take(5_000).collect();
        let mut buffer = Vec::new();
        assert_eq!(read(&data, 7, data.len(), &mut buffer).0, data);
        let mut buffer = Vec::new();
        assert_eq!(read(&data, 7, 100, &mut buffer).0, data);
    }
}
