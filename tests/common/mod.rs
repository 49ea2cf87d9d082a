//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use djperm::config::Config;
use djperm::{analyze, discover, Analysis, Selection};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/projects")
}

pub fn project_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

pub fn analyze_dir(dir: &Path) -> Analysis {
    let config = djperm::config::discover(dir)
        .ok()
        .flatten()
        .map(|(_, c)| c)
        .unwrap_or_default();
    analyze_with(dir, &config)
}

pub fn analyze_with(dir: &Path, config: &Config) -> Analysis {
    let (snapshot, _) = discover::load(dir, &config.exclude);
    analyze(snapshot, config, &Selection::from_config(config))
}

/// The Python with Django installed: `DJPERM_PYTHON`, else the repo's `.venv`.
pub fn python() -> PathBuf {
    if let Ok(p) = std::env::var("DJPERM_PYTHON") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python")
}

/// `(app_label, model, codename)` of every permission row real Django's `migrate` creates for
/// the project in `dir` (`tests/oracle/dump_permissions.py` run by [`python`]).
pub fn django_rows(dir: &Path) -> std::collections::BTreeSet<(String, String, String)> {
    let python = python();
    let script = fixtures().join("../../oracle/dump_permissions.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .arg(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} (install Django: see README): {e}",
                python.display()
            )
        });
    assert!(
        out.status.success(),
        "Django failed on {}:\n{}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&out.stdout).expect("oracle prints JSON");
    rows.iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_default().to_string();
            (s("app_label"), s("model"), s("codename"))
        })
        .collect()
}

pub fn insta_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s
}

// ---------------------------------------------------------------------------------------------
// Expectations written in the fixtures themselves: `BUG DJPnnn` (djperm must report DJPnnn on this
// line), `KNOWN FN DJPnnn` (a real bug djperm misses today), `KNOWN FP DJPnnn` (djperm reports a
// non-bug today). Any other finding is unexpected.

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Marker {
    Bug,
    KnownFalseNegative,
    KnownFalsePositive,
}

/// `(file, 1-based line, code) → marker`, from `BUG DJPnnn`, `KNOWN FN DJPnnn`, `KNOWN FP DJPnnn`.
pub fn markers(root: &Path) -> BTreeMap<(String, usize, String), Marker> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()) {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if !matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("py" | "html" | "json" | "yaml")
            ) {
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, line) in text.lines().enumerate() {
                for (word, marker) in [
                    ("BUG DJP", Marker::Bug),
                    ("KNOWN FN DJP", Marker::KnownFalseNegative),
                    ("KNOWN FP DJP", Marker::KnownFalsePositive),
                ] {
                    if let Some(pos) = line.find(word) {
                        let code = &line[pos + word.len() - 3..pos + word.len() + 3];
                        out.insert((rel.clone(), i + 1, code.to_string()), marker);
                    }
                }
            }
        }
    }
    out
}

/// `(file, 1-based line, code, message)` of every diagnostic, preview rules on.
pub fn findings(root: &Path) -> Vec<(String, usize, String, String)> {
    let config = djperm::config::Config {
        preview: true,
        ..Default::default()
    };
    let analysis = analyze_with(root, &config);
    analysis
        .diagnostics
        .iter()
        .map(|d| {
            let text = analysis.ws.path(d.span.file).to_string();
            let source = analysis.ws.text(d.span.file);
            let line = source[..d.span.start as usize].matches('\n').count() + 1;
            (text, line, d.code.to_string(), d.message.clone())
        })
        .collect()
}

/// Compare findings with markers; returns the problems.
pub fn check_markers(root: &Path) -> Vec<String> {
    let markers = markers(root);
    let findings = findings(root);
    let mut problems = Vec::new();
    for ((file, line, code), marker) in &markers {
        let here = findings
            .iter()
            .filter(|(f, l, c, _)| f == file && l == line && c == code)
            .count();
        match marker {
            Marker::Bug if here != 1 => problems.push(format!(
                "{file}:{line}: expected one {code}, got {here}"
            )),
            Marker::KnownFalsePositive if here != 1 => problems.push(format!(
                "{file}:{line}: the known false positive {code} is gone: fixed? Remove the `KNOWN FP` marker (and the note in the lead's list)"
            )),
            Marker::KnownFalseNegative if here != 0 => problems.push(format!(
                "{file}:{line}: the known false negative {code} is now reported: fixed? Change `KNOWN FN` to `BUG`"
            )),
            _ => {}
        }
    }
    for (file, line, code, message) in &findings {
        let marker = markers.get(&(file.clone(), *line, code.clone()));
        if !matches!(marker, Some(Marker::Bug | Marker::KnownFalsePositive)) {
            problems.push(format!("{file}:{line}: unexpected {code} {message}"));
        }
    }
    problems
}

// ---------------------------------------------------------------------------------------------
// The real binary on a temporary tree, with a time limit.

/// The `manage.py` of a test project whose settings module is `proj.settings`.
pub const MANAGE_PY: &str =
    "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"proj.settings\")\n";

/// Write `files` (relative path, bytes) under `dir`, creating directories.
pub fn write_tree(dir: &Path, files: &[(&str, &[u8])]) {
    for (path, bytes) in files {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
    }
}

/// What a run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: std::time::Duration,
}

/// Run `djperm ARGS` in `dir` with empty standard input; a run that takes longer than `limit`
/// is killed and fails the test (a hang is a bug).
pub fn run_djperm(dir: &Path, args: &[&str], limit: std::time::Duration) -> Run {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let start = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_djperm"))
        .args(args)
        .current_dir(dir)
        .env_remove("DJPERM_OUTPUT_FORMAT")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        out.read_to_end(&mut s).unwrap();
        String::from_utf8_lossy(&s).into_owned()
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        err.read_to_end(&mut s).unwrap();
        String::from_utf8_lossy(&s).into_owned()
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!(
                "djperm {args:?} in {} still running after {limit:?}: killed",
                dir.display()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    Run {
        code: status.code(),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        elapsed: start.elapsed(),
    }
}

/// Every file under `root` (symlinks not followed): relative path → (modified time, bytes,
/// mode). Directories are listed with empty bytes, so a new directory shows too.
pub fn tree_state(root: &Path) -> BTreeMap<String, (std::time::SystemTime, Vec<u8>, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()) {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let bytes = if meta.is_file() {
                std::fs::read(&path).unwrap()
            } else {
                Vec::new()
            };
            if meta.is_dir() {
                stack.push(path);
            }
            out.insert(
                rel,
                (meta.modified().unwrap(), bytes, meta.permissions().mode()),
            );
        }
    }
    out
}

/// `djperm server` as a child process, spoken to over its stdio with LSP framing.
pub struct StdioServer {
    pub child: std::process::Child,
    pub stdin: Option<std::process::ChildStdin>,
    out: std::io::BufReader<std::process::ChildStdout>,
}

impl StdioServer {
    pub fn spawn(dir: &Path) -> StdioServer {
        use std::process::{Command, Stdio};
        let mut child = Command::new(env!("CARGO_BIN_EXE_djperm"))
            .arg("server")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let out = std::io::BufReader::new(child.stdout.take().unwrap());
        StdioServer { child, stdin, out }
    }

    pub fn send(&mut self, msg: serde_json::Value) {
        self.send_raw(&msg.to_string());
    }

    /// One frame with `body` as it is (it may be no JSON at all).
    pub fn send_raw(&mut self, body: &str) {
        use std::io::Write;
        let stdin = self.stdin.as_mut().expect("stdin is open");
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        stdin.flush().unwrap();
    }

    /// The next message (blocks).
    pub fn read(&mut self) -> serde_json::Value {
        use std::io::{BufRead, Read};
        let mut len = 0;
        loop {
            let mut line = String::new();
            assert!(
                self.out.read_line(&mut line).unwrap() > 0,
                "server closed stdout"
            );
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length: ") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        self.out.read_exact(&mut body).unwrap();
        serde_json::from_slice(&body).unwrap()
    }

    /// Read until `pred` holds for a message, answering the server's own requests.
    pub fn read_until(&mut self, pred: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        loop {
            let msg = self.read();
            if msg.get("method").is_some() && msg.get("id").is_some() {
                let id = msg["id"].clone();
                self.send(serde_json::json!({"jsonrpc": "2.0", "id": id, "result": null}));
            }
            if pred(&msg) {
                return msg;
            }
        }
    }

    /// `initialize` on `root` and `initialized`.
    pub fn initialize(&mut self, root: &Path) {
        let uri = djperm::server::text::path_to_uri(root);
        self.send(
            serde_json::json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "processId": null, "rootUri": uri, "capabilities": {},
            "workspaceFolders": [{"uri": uri, "name": "p"}]}}),
        );
        self.read_until(|m| m["id"] == 0);
        self.send(serde_json::json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    }

    /// Open `rel` (read from disk) at `version` 1.
    pub fn open(&mut self, root: &Path, rel: &str) -> String {
        let uri = djperm::server::text::path_to_uri(&root.join(rel));
        let text = std::fs::read_to_string(root.join(rel)).unwrap();
        self.send(
            serde_json::json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}}),
        );
        uri
    }

    /// `shutdown`, `exit`, and the exit status.
    pub fn shutdown(mut self) -> std::process::ExitStatus {
        self.send(serde_json::json!({"jsonrpc": "2.0", "id": "bye", "method": "shutdown"}));
        self.read_until(|m| m["id"] == "bye");
        self.send(serde_json::json!({"jsonrpc": "2.0", "method": "exit"}));
        self.child.wait().unwrap()
    }

    /// Resident memory of the server process, in kB (Linux `/proc`).
    pub fn rss_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }
}

/// Write `files` over a minimal project (auth, contenttypes and `blog` with `Post.can_publish`).
/// [`project`] with `count` large files that call nothing and name no permission appended
/// (`blog/util<i>.py`, each past the size a lean reading always keeps).
#[allow(dead_code)]
pub fn project_padded(
    files: &[(String, String)],
    count: usize,
) -> (tempfile::TempDir, Analysis, usize) {
    let pad = format!("# {}\n", "x".repeat(78)).repeat(20);
    let mut all = files.to_vec();
    for i in 0..count {
        all.push((
            format!("blog/util{i}.py"),
            format!("{pad}def util_{i}(x):\n    return [x, 'allowed', {i}]\n"),
        ));
    }
    let refs: Vec<(&str, &str)> = all.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    let (dir, analysis) = project(&refs);
    let bytes = all.iter().map(|(_, t)| t.len()).sum();
    (dir, analysis, bytes)
}

pub fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, Analysis) {
    let base: &[(&str, &str)] = &[
        ("manage.py", "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"proj.settings\")\n"),
        ("proj/__init__.py", ""),
        ("proj/settings.py", "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\n"),
        ("blog/__init__.py", ""),
        (
            "blog/models.py",
            "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n",
        ),
        ("blog/migrations/__init__.py", ""),
        (
            "blog/migrations/0001_initial.py",
            "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [migrations.CreateModel(name='Post', fields=[], options={'permissions': [('can_publish', 'Can publish')]})]\n",
        ),
        // `can_publish` is checked somewhere, as in a real project (DJP030).
        (
            "blog/templates/blog/base.html",
            "{% if perms.blog.can_publish %}<a href=\"publish/\">Publish</a>{% endif %}\n",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in base.iter().chain(files) {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    let analysis = analyze_dir(dir.path());
    (dir, analysis)
}

pub fn codes(a: &Analysis) -> Vec<String> {
    a.diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code, d.message))
        .collect()
}

/// `djperm check ARGS` in `root` with its caches and `DJPERM_TIMINGS` on.
#[allow(dead_code)]
pub fn check_with_timings(root: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_djperm"))
        .arg("check")
        .args(args)
        .current_dir(root)
        .env("DJPERM_TIMINGS", "1")
        .env("NO_COLOR", "1")
        .env_remove("DJPERM_OUTPUT_FORMAT")
        .env_remove("DJPERM_NO_CACHE")
        .output()
        .unwrap()
}

/// A `djperm check --output-format concise` run in `root` with its disk cache: standard output
/// and the number of files the run read (its `DJPERM_TIMINGS` cache line).
#[allow(dead_code)]
pub fn check_counting_reads(root: &Path) -> (String, usize) {
    let out = check_with_timings(root, &["--output-format", "concise"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("timing: cache"))
        .unwrap_or_else(|| panic!("{stderr}"));
    let read = line
        .split(" files read")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    (String::from_utf8_lossy(&out.stdout).into_owned(), read)
}
