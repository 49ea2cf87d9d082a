//! Writing fixed files: atomically, inside the project root only, never over a file that
//! changed since it was read, and (for a file a fix creates) never over a file that exists.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

#[derive(Debug)]
pub enum WriteError {
    /// The path leads outside the project root (`..`, an absolute path, a symlink).
    OutsideRoot(PathBuf),
    /// The file on disk is no longer the text the fixes were computed from.
    Changed(PathBuf),
    /// A file a fix creates exists already.
    Exists(PathBuf),
    Io(PathBuf, std::io::Error),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::OutsideRoot(p) => {
                write!(f, "{}: outside the project root, not written", p.display())
            }
            WriteError::Changed(p) => write!(
                f,
                "{}: changed on disk since it was read, not written (run djperm again)",
                p.display()
            ),
            WriteError::Exists(p) => write!(
                f,
                "{}: exists already, not overwritten (run djperm again)",
                p.display()
            ),
            WriteError::Io(p, e) => write!(f, "{}: {e}", p.display()),
        }
    }
}

/// Write `new` over the file at `rel` (relative to `root`), atomically: a temporary file in the
/// same directory with the original's permissions, renamed over it. Refuses a path outside
/// `root` (after resolving symlinks) and a file whose bytes are no longer `original`.
pub fn write_file(root: &Path, rel: &str, original: &str, new: &str) -> Result<(), WriteError> {
    let rel_path = Path::new(rel);
    let shown = root.join(rel_path);
    if rel_path
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err(WriteError::OutsideRoot(shown));
    }
    let io = |e| WriteError::Io(shown.clone(), e);
    let root = root.canonicalize().map_err(io)?;
    let path = shown.canonicalize().map_err(io)?;
    if !path.starts_with(&root) {
        return Err(WriteError::OutsideRoot(shown));
    }
    let meta = std::fs::metadata(&path).map_err(io)?;
    if !meta.is_file() {
        return Err(WriteError::OutsideRoot(shown));
    }
    // The text was read without its byte order mark (`discover::decode`): compare and write
    // with the mark the file has on disk.
    let bom = crate::discover::BOM.as_bytes();
    let on_disk = || -> Result<Option<bool>, WriteError> {
        let bytes = std::fs::read(&path).map_err(io)?;
        Ok(if bytes == original.as_bytes() {
            Some(false)
        } else if bytes.starts_with(bom) && &bytes[bom.len()..] == original.as_bytes() {
            Some(true)
        } else {
            None
        })
    };
    let Some(had_bom) = on_disk()? else {
        return Err(WriteError::Changed(shown));
    };
    let dir = path.parent().unwrap_or(&root);
    let mut tmp = tempfile::Builder::new()
        .prefix(".djperm-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    if had_bom {
        tmp.write_all(bom).map_err(io)?;
    }
    tmp.write_all(new.as_bytes()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    std::fs::set_permissions(tmp.path(), meta.permissions()).map_err(io)?;
    // Last look before the rename: someone may have saved the file meanwhile.
    if on_disk()? != Some(had_bom) {
        return Err(WriteError::Changed(shown));
    }
    tmp.persist(&path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Create the file `rel` (relative to `root`) with `content`, atomically: a temporary file in
/// its directory, moved into place only if no file of that name exists by then (never over an
/// existing file, even one written meanwhile). The directory must exist inside `root` (after
/// resolving symlinks). The new file gets the permissions of its directory's `__init__.py`
/// (else read-write for the owner, read for the others).
pub fn create_file(root: &Path, rel: &str, content: &str) -> Result<(), WriteError> {
    let rel_path = Path::new(rel);
    let shown = root.join(rel_path);
    if rel_path
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return Err(WriteError::OutsideRoot(shown));
    }
    let (Some(parent), Some(name)) = (shown.parent(), shown.file_name()) else {
        return Err(WriteError::OutsideRoot(shown));
    };
    let io = |e| WriteError::Io(shown.clone(), e);
    let root = root.canonicalize().map_err(io)?;
    let dir = parent.canonicalize().map_err(io)?;
    if !dir.starts_with(&root) {
        return Err(WriteError::OutsideRoot(shown));
    }
    let path = dir.join(name);
    if path.symlink_metadata().is_ok() {
        return Err(WriteError::Exists(shown));
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".djperm-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(io)?;
    tmp.write_all(content.as_bytes()).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    match std::fs::metadata(dir.join("__init__.py")) {
        Ok(meta) if meta.is_file() => {
            std::fs::set_permissions(tmp.path(), meta.permissions()).map_err(io)?
        }
        _ => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o644))
                    .map_err(io)?;
            }
        }
    }
    match tmp.persist_noclobber(&path) {
        Ok(_) => Ok(()),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(WriteError::Exists(shown))
        }
        Err(e) => Err(io(e.error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_keeps_permissions_and_refuses_changed_or_outside_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("proj");
        std::fs::create_dir_all(root.join("app")).unwrap();
        let file = root.join("app/views.py");
        std::fs::write(&file, "old\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        write_file(&root, "app/views.py", "old\n", "new\n").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o640);
        }
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(root.join("app"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        // The file changed since it was read ("old\n" is stale now): refused, untouched.
        assert!(matches!(
            write_file(&root, "app/views.py", "old\n", "newer\n"),
            Err(WriteError::Changed(_))
        ));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new\n");
        // Outside the root: `..`, absolute, and a symlink leading out.
        std::fs::write(dir.path().join("outside.py"), "x\n").unwrap();
        assert!(matches!(
            write_file(&root, "../outside.py", "x\n", "y\n"),
            Err(WriteError::OutsideRoot(_))
        ));
        let abs = dir.path().join("outside.py");
        assert!(matches!(
            write_file(&root, abs.to_str().unwrap(), "x\n", "y\n"),
            Err(WriteError::OutsideRoot(_))
        ));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&abs, root.join("app/link.py")).unwrap();
            assert!(matches!(
                write_file(&root, "app/link.py", "x\n", "y\n"),
                Err(WriteError::OutsideRoot(_))
            ));
        }
        assert_eq!(std::fs::read_to_string(&abs).unwrap(), "x\n");
    }

    /// A project of one Python file, analysed for real, plus one synthetic diagnostic whose fix

    #[test]
    fn created_files_never_replace_one_and_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("proj");
        std::fs::create_dir_all(root.join("app/migrations")).unwrap();
        std::fs::write(root.join("app/migrations/__init__.py"), "").unwrap();
        create_file(&root, "app/migrations/0002_x.py", "new\n").unwrap();
        let file = root.join("app/migrations/0002_x.py");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new\n");
        // An existing file is never replaced.
        assert!(matches!(
            create_file(&root, "app/migrations/0002_x.py", "other\n"),
            Err(WriteError::Exists(_))
        ));
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new\n");
        // No temporary file is left behind.
        let mut names: Vec<_> = std::fs::read_dir(root.join("app/migrations"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["0002_x.py", "__init__.py"]);
        // Outside the root, or into a directory that does not exist: refused.
        assert!(matches!(
            create_file(&root, "../x.py", "x\n"),
            Err(WriteError::OutsideRoot(_))
        ));
        assert!(create_file(&root, "nowhere/x.py", "x\n").is_err());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path(), root.join("out")).unwrap();
            assert!(matches!(
                create_file(&root, "out/x.py", "x\n"),
                Err(WriteError::OutsideRoot(_))
            ));
            assert!(!dir.path().join("x.py").exists());
        }
    }
}
