//! Reading project files: counted, noted as inputs, decoded as Python reads them.

use std::path::Path;

/// The UTF-8 byte order mark some Windows editors write. Python ignores it; so does djperm:
/// it is not part of the text (rows and columns count from after it) and [`crate::fix`] puts it
/// back when it writes the file.
pub const BOM: &str = "\u{feff}";

/// A source file's bytes as text: UTF-8 without its byte order mark, or why not.
pub fn decode(bytes: Vec<u8>) -> Result<String, String> {
    let mut text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        format!("not valid UTF-8 (byte {at}); djperm reads UTF-8 source only")
    })?;
    if text.starts_with(BOM) {
        text.drain(..BOM.len());
    }
    Ok(text)
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
