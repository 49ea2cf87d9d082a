//! The Django version a project runs on, read from disk without running anything: the
//! environment's `django` package, else a lock file (exact pins: poetry.lock, uv.lock,
//! Pipfile.lock), else a requirement (requirements*.txt, requirements/*.txt, pyproject.toml,
//! setup.cfg, setup.py) that pins the minor version; a range says nothing.

use std::path::Path;

use crate::env::venv::{self, PythonEnv};
use crate::inputs;
use crate::workspace::DjangoVersion;

pub fn detect(root: &Path, env: Option<&PythonEnv>) -> Option<DjangoVersion> {
    if let Some(env) = env {
        if let Some(version) = installed(&env.site_packages) {
            return Some(DjangoVersion {
                version,
                from: "the environment".to_string(),
            });
        }
    }
    for (name, read) in [
        (
            "poetry.lock",
            lock_version as fn(&str) -> Option<(u32, u32)>,
        ),
        ("uv.lock", lock_version),
        ("Pipfile.lock", pipfile_lock_version),
    ] {
        if let Some(version) = read_file(root, name).as_deref().and_then(read) {
            return Some(DjangoVersion {
                version,
                from: name.to_string(),
            });
        }
    }
    for name in requirement_files(root) {
        if let Some(version) = read_file(root, &name)
            .as_deref()
            .and_then(requirement_version)
        {
            return Some(DjangoVersion {
                version,
                from: name,
            });
        }
    }
    None
}

/// The installed `django` package: its `Django-X.Y.Z.dist-info`, else `VERSION` in
/// `django/__init__.py`.
fn installed(site_packages: &Path) -> Option<(u32, u32)> {
    if let Some((v, _)) = venv::django_version(site_packages) {
        return Some(v);
    }
    let text = inputs::read_to_string(&site_packages.join("django/__init__.py")).ok()?;
    let rest = &text[text.find("VERSION")?..];
    let open = rest.find('(')?;
    let close = rest.find(')')?;
    let mut parts = rest.get(open + 1..close)?.split(',');
    Some((
        parts.next()?.trim().parse().ok()?,
        parts.next()?.trim().parse().ok()?,
    ))
}

fn read_file(root: &Path, name: &str) -> Option<String> {
    inputs::read_to_string(&root.join(name)).ok()
}

/// Requirement files in the order they are read.
fn requirement_files(root: &Path) -> Vec<String> {
    let mut txt: Vec<String> = Vec::new();
    for (dir, prefix) in [("", "requirements"), ("requirements", "")] {
        let Ok(entries) = inputs::read_dir(&root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with(prefix) && name.ends_with(".txt") {
                txt.push(if dir.is_empty() {
                    name
                } else {
                    format!("{dir}/{name}")
                });
            }
        }
    }
    txt.sort();
    txt.extend(["pyproject.toml", "setup.cfg", "setup.py"].map(String::from));
    txt
}

fn parse(v: &str) -> Option<(u32, u32)> {
    let mut parts = v.split('.');
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = parts
        .next()
        .map(|m| {
            m.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .filter(|m| !m.is_empty())
        .map_or(Some(0), |m| m.parse().ok())?;
    (1..=20).contains(&major).then_some((major, minor))
}

/// `[[package]] name = "django" version = "4.2.7"` (poetry.lock, uv.lock).
fn lock_version(text: &str) -> Option<(u32, u32)> {
    let lower = text.to_ascii_lowercase().replace("\r\n", "\n");
    // A package's own entry (`name` at the start of a line), not a dependency on it.
    let at = lower.find("\nname = \"django\"\n")?;
    let rest = &lower[at + 1..];
    let v = rest.find("\nversion = \"")? + 1;
    let body = &rest[v + "version = \"".len()..];
    parse(&body[..body.find('"')?])
}

/// `"django": { ..., "version": "==4.2.7" }` (Pipfile.lock).
fn pipfile_lock_version(text: &str) -> Option<(u32, u32)> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find("\"django\": {")?;
    let rest = &lower[at..];
    let v = rest.find("\"version\": \"")?;
    let body = &rest[v + "\"version\": \"".len()..];
    let value = &body[..body.find('"')?];
    parse(value.trim_start_matches(['=', '~', '>', '^', ' ']))
}

/// The first `Django` requirement that pins a minor version: `Django==1.11.29`,
/// `Django~=3.2.1`, poetry's `django = "~4.2"` or `django = "4.2.7"`. A range (`>=4.2`, `^4.2`,
/// `~=4.2`) says only where the project may start, not which Django it runs: skipped, as is an
/// upper bound alone.
pub fn requirement_version(text: &str) -> Option<(u32, u32)> {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let name_char = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
    for (at, _) in lower.match_indices("django") {
        let before_ok = at == 0 || !name_char(bytes[at - 1]);
        let end = at + "django".len();
        if !before_ok || bytes.get(end).copied().is_some_and(name_char) {
            continue;
        }
        let line_end = lower[end..].find('\n').map_or(lower.len(), |i| end + i);
        let rest = &lower[end..line_end];
        let rest = match (rest.find('['), rest.find(']')) {
            (Some(0), Some(close)) => &rest[close + 1..],
            _ => rest,
        };
        let Some(digit) = rest.find(|c: char| c.is_ascii_digit()) else {
            continue;
        };
        let prefix = rest[..digit].replace("version", "");
        if !prefix.chars().all(|c| " \t\"'=~^>!{:".contains(c)) {
            continue;
        }
        let op: String = prefix.chars().filter(|c| "=~^>!".contains(*c)).collect();
        let version: String = rest[digit..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let parts = version.split('.').filter(|p| !p.is_empty()).count();
        // In a TOML table (`django = "..."`) the `=` is the key's; what follows is poetry's.
        let toml = prefix.trim_start().starts_with('=') && prefix.contains(['"', '\'']);
        let op = if toml {
            let quote = prefix.rfind(['"', '\'']).unwrap_or(0);
            prefix[quote + 1..].trim().to_string()
        } else {
            op
        };
        let pins = match op.as_str() {
            "==" | "===" => true,
            "~=" => parts >= 3,
            // poetry: `~4.2` pins the minor version; a bare version is exact.
            "~" | "" if toml => parts >= 2,
            "=" if toml => parts >= 2,
            _ => false,
        };
        if !pins {
            continue;
        }
        if let Some(v) = parse(&version) {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_forms() {
        assert_eq!(requirement_version("Django==1.11.29\n"), Some((1, 11)));
        assert_eq!(requirement_version("Django[argon2]~=3.2.4\n"), Some((3, 2)));
        assert_eq!(
            requirement_version("[tool.poetry.dependencies]\ndjango = \"~4.1\"\n"),
            Some((4, 1))
        );
        assert_eq!(requirement_version("django = \"4.0.2\"\n"), Some((4, 0)));
        assert_eq!(
            requirement_version("Django = {version = \"~3.0\", optional = true}\n"),
            Some((3, 0))
        );
        assert_eq!(
            requirement_version("django-guardian==2.4\nDjango==2.2.1\n"),
            Some((2, 2))
        );
        // Ranges and upper bounds alone do not say which Django runs.
        assert_eq!(requirement_version("django>=4.2,<5.0\n"), None);
        assert_eq!(
            requirement_version("dependencies = [\"Django>=1.11\"]\n"),
            None
        );
        assert_eq!(requirement_version("django = \"^4.1\"\n"), None);
        assert_eq!(requirement_version("Django~=3.2\n"), None);
        assert_eq!(
            requirement_version("django-guardian==2.4\nDjango<2\n"),
            None
        );
    }

    #[test]
    fn lock_forms() {
        assert_eq!(
            lock_version("[[package]]\nname = \"Django\"\nversion = \"4.2.7\"\n"),
            Some((4, 2))
        );
        // A dependency on Django is not Django's entry.
        let uv = "[[package]]\nname = \"dj-database-url\"\nversion = \"1.0\"\ndependencies = [\n    { name = \"django\" },\n]\n\n[[package]]\nname = \"django\"\nversion = \"5.2.17\"\n";
        assert_eq!(lock_version(uv), Some((5, 2)));
        assert_eq!(
            pipfile_lock_version(
                "{\"default\": {\"django\": {\"hashes\": [], \"version\": \"==1.11.29\"}}}"
            ),
            Some((1, 11))
        );
    }
}
