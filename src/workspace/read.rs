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
    use std::io::Read;
    FILES_READ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    crate::inputs::note(path);
    // Taken, not borrowed: `f` may read another file on this thread.
    let mut buffer = BUFFER.with(|b| std::mem::take(&mut *b.borrow_mut()));
    buffer.clear();
    let read = std::fs::File::open(path)
        .and_then(|mut file| {
            let size = file.metadata().map(|m| m.len() as usize).unwrap_or(0);
            buffer.reserve(size.saturating_add(1));
            file.read_to_end(&mut buffer)
        })
        .map_err(|e| e.to_string());
    let result = read.and_then(|_| decode_str(&buffer).map(f));
    if buffer.capacity() <= BUFFER_KEPT {
        BUFFER.with(|b| *b.borrow_mut() = buffer);
    }
    result
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
