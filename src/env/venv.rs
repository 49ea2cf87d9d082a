//! The project's Python environment, found without running anything: `--python-env` /
//! `python-env`, else `$VIRTUAL_ENV`, else a `.venv`, `venv` or `env` directory holding a
//! `pyvenv.cfg` in the project root or above. Its site-packages directory is found by layout
//! (`lib/pythonX.Y/site-packages`, `Lib/site-packages`), and the packages INSTALLED_APPS names
//! are read from it like project apps: read-only, never reported.

use std::path::{Path, PathBuf};

use crate::inputs;

/// A virtualenv and the site-packages directory djperm reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PythonEnv {
    /// The environment's directory (the one holding `pyvenv.cfg`).
    pub dir: PathBuf,
    pub site_packages: PathBuf,
    /// How it was found: `--python-env`, `$VIRTUAL_ENV`, `.venv`…
    pub found_by: String,
}

/// Directory names tried in the project root and its ancestors.
const CANDIDATES: [&str; 3] = [".venv", "venv", "env"];

/// The environment of the project at `root`. `configured` (the option or config key) wins and
/// must be an environment (else the error says why); `virtual_env` is `$VIRTUAL_ENV`.
pub fn locate(
    root: &Path,
    configured: Option<&Path>,
    virtual_env: Option<&Path>,
) -> Result<Option<PythonEnv>, String> {
    if let Some(dir) = configured {
        let dir = if dir.is_absolute() {
            dir.to_path_buf()
        } else {
            root.join(dir)
        };
        // A path to the interpreter (`.venv/bin/python`) names its environment.
        let dir = environment_of(&dir).unwrap_or(dir);
        return match site_packages(&dir) {
            Some(site_packages) => Ok(Some(PythonEnv {
                dir,
                site_packages,
                found_by: "--python-env".to_string(),
            })),
            None => Err(format!(
                "{}: python-env names no Python environment (no lib/pythonX.Y/site-packages or Lib/site-packages)",
                dir.display()
            )),
        };
    }
    if let Some(dir) = virtual_env.filter(|d| !d.as_os_str().is_empty()) {
        if let Some(site_packages) = site_packages(dir) {
            return Ok(Some(PythonEnv {
                dir: dir.to_path_buf(),
                site_packages,
                found_by: "$VIRTUAL_ENV".to_string(),
            }));
        }
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    for d in root.ancestors() {
        if d != root && (d.parent().is_none() || home.as_deref() == Some(d)) {
            break;
        }
        for name in CANDIDATES {
            let dir = d.join(name);
            if !inputs::is_file(&dir.join("pyvenv.cfg")) {
                continue;
            }
            if let Some(site_packages) = site_packages(&dir) {
                return Ok(Some(PythonEnv {
                    dir,
                    site_packages,
                    found_by: name.to_string(),
                }));
            }
        }
    }
    Ok(None)
}

/// The environment holding an interpreter path (`X/bin/python` → `X`).
fn environment_of(path: &Path) -> Option<PathBuf> {
    if path.is_dir() {
        return None;
    }
    let bin = path.parent()?;
    let dir = bin.parent()?;
    inputs::is_file(&dir.join("pyvenv.cfg")).then(|| dir.to_path_buf())
}

/// `lib/pythonX.Y/site-packages` (the newest when there are several), or `Lib/site-packages`.
pub fn site_packages(dir: &Path) -> Option<PathBuf> {
    let windows = dir.join("Lib").join("site-packages");
    if windows.is_dir() {
        return Some(windows);
    }
    let mut found: Vec<((u32, u32), PathBuf)> = Vec::new();
    for lib in ["lib", "lib64"] {
        let Ok(entries) = inputs::read_dir(&dir.join(lib)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(version) = name.strip_prefix("python") else {
                continue;
            };
            let site = e.path().join("site-packages");
            if site.is_dir() {
                found.push((parse_version(version).unwrap_or((0, 0)), site));
            }
        }
    }
    found.sort();
    found.pop().map(|(_, p)| p)
}

fn parse_version(v: &str) -> Option<(u32, u32)> {
    let mut parts = v.split('.');
    let major = parts.next()?.trim().parse().ok()?;
    let minor = parts
        .next()
        .map(|m| {
            m.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    Some((major, minor))
}

/// Top-level packages of site-packages (directories that hold Python files), `django` itself
/// excepted: Django's own apps come from the contrib table.
pub fn packages(site_packages: &Path) -> Vec<String> {
    let Ok(entries) = inputs::read_dir(site_packages) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| {
            n != "django"
                && !n.contains(['.', '-'])
                && !n.starts_with('_')
                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .collect();
    out.sort();
    out
}

/// Directories inside a package never worth reading (tests, caches, bundled static files).
const SKIPPED_DIRS: [&str; 6] = [
    "__pycache__",
    "tests",
    "test",
    "static",
    "templates",
    "locale",
];

/// Most files read from one package: a package this large is not a Django app worth indexing
/// whole, and reading it would slow every run.
const MAX_FILES: usize = 2000;

/// The Python files of package `name` under site-packages, as (path relative to
/// site-packages, text). Files that are not UTF-8 are skipped; symlinks are not followed.
pub fn read_package(site_packages: &Path, name: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![(site_packages.join(name), name.to_string())];
    while let Some((dir, rel)) = stack.pop() {
        let Ok(entries) = inputs::read_dir(&dir) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let Ok(file_name) = e.file_name().into_string() else {
                continue;
            };
            let Ok(kind) = e.file_type() else { continue };
            let child = format!("{rel}/{file_name}");
            if kind.is_dir() {
                if !SKIPPED_DIRS.contains(&file_name.as_str()) {
                    stack.push((e.path(), child));
                }
            } else if kind.is_file() && file_name.ends_with(".py") {
                if out.len() >= MAX_FILES {
                    return out;
                }
                if let Ok(text) = inputs::read_to_string(&e.path()) {
                    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_string();
                    out.push((child, text));
                }
            }
        }
    }
    out.sort();
    out
}

/// The first component of every dotted-name string literal in `text` (`"guardian"`,
/// `'rest_framework.authtoken'` → `guardian`, `rest_framework`): the packages a settings
/// module can name.
pub fn named_packages(text: &str, into: &mut Vec<String>) {
    for lit in string_literals(text) {
        let dotted = lit
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        let first = lit.split('.').next().unwrap_or_default();
        if dotted && !first.as_bytes()[0].is_ascii_digit() {
            into.push(first.to_string());
        }
    }
}

/// The plain string literals of a text (f-strings and `%`-formatted ones excluded).
pub fn string_literals(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let bytes = args.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let q = bytes[i];
        if q != b'"' && q != b'\'' {
            i += 1;
            continue;
        }
        let prefixed = i > 0 && bytes[i - 1].is_ascii_alphabetic();
        let Some(len) = args[i + 1..].find(q as char) else {
            break;
        };
        let lit = &args[i + 1..i + 1 + len];
        let after = args[i + 2 + len..].trim_start();
        if !prefixed && !lit.contains(['{', '%', '\\', '\n']) && !after.starts_with('%') {
            out.push(lit.to_string());
        }
        i += len + 2;
    }
    out
}

/// The Django version installed in site-packages: its `Django-X.Y.Z.dist-info` directory.
pub fn django_version(site_packages: &Path) -> Option<((u32, u32), String)> {
    let entries = inputs::read_dir(site_packages).ok()?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let lower = name.to_ascii_lowercase();
        let Some(rest) = lower.strip_prefix("django-").and_then(|r| {
            r.strip_suffix(".dist-info")
                .or_else(|| r.strip_suffix(".egg-info"))
        }) else {
            continue;
        };
        if let Some(v) = parse_version(rest) {
            return Some((v, format!("{}", e.path().display())));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_packages_reads_dotted_literals() {
        let mut out = Vec::new();
        named_packages(
            "INSTALLED_APPS = ['guardian', \"rest_framework.authtoken\", 'a b', '1.2', f'x']",
            &mut out,
        );
        assert_eq!(out, ["guardian", "rest_framework"]);
    }

    #[test]
    fn layouts_are_found() {
        let t = tempfile::tempdir().unwrap();
        let posix = t.path().join("a/lib/python3.12/site-packages");
        std::fs::create_dir_all(&posix).unwrap();
        assert_eq!(site_packages(&t.path().join("a")), Some(posix));
        let win = t.path().join("b/Lib/site-packages");
        std::fs::create_dir_all(&win).unwrap();
        assert_eq!(site_packages(&t.path().join("b")), Some(win));
        assert_eq!(site_packages(&t.path().join("c")), None);
    }
}
