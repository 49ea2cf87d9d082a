//! Latency of the language server, measured from a client's side (not a test):
//!
//! ```sh
//! cargo run --release --example lsp_latency [APPS] [ROUNDS]
//! ```
//!
//! Generates a project with `APPS` apps (default 20) plus a `blog` app whose views.py has 2,000
//! lines, runs the server in process over an in-memory connection, and reports p50/p95 of
//! 1. edit of views.py → its publishDiagnostics (warm index), and
//! 2. edit of blog/models.py (a `Meta.permissions` entry views.py uses) → views.py's
//!    publishDiagnostics (re-index).

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use djperm::server::text::{path_to_uri, Encoding, LineIndex};
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use serde_json::{json, Value};

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn models(n: usize) -> String {
    let mut s = String::from("from django.db import models\n\n");
    for m in 0..n {
        let _ = write!(
            s,
            "\nclass Model{m}(models.Model):\n    name = models.CharField(max_length=10)\n\n    class Meta:\n        permissions = [\n            (\"can_export_{m}\", \"Can export\"),\n            (\"can_review_{m}\", \"Can review\"),\n        ]\n\n"
        );
    }
    s
}

fn generate(root: &Path, apps: usize) {
    let mut installed = String::from("INSTALLED_APPS = [\n    \"django.contrib.auth\",\n    \"django.contrib.contenttypes\",\n    \"blog\",\n");
    for a in 0..apps {
        let _ = writeln!(installed, "    \"app{a}\",");
        write(root, &format!("app{a}/__init__.py"), "");
        write(root, &format!("app{a}/models.py"), &models(5));
        let mut views = String::from("def view(request):\n");
        for i in 0..200 {
            let _ = writeln!(
                views,
                "    if request.user.has_perm(\"app{a}.can_export_{}\"):\n        return {i}",
                i % 5
            );
        }
        write(root, &format!("app{a}/views.py"), &views);
    }
    installed.push_str("]\n");
    write(root, "site_cfg/__init__.py", "");
    write(root, "site_cfg/settings.py", &installed);
    write(
        root,
        "manage.py",
        "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"site_cfg.settings\")\n",
    );
    write(root, "blog/__init__.py", "");
    write(root, "blog/models.py", &models(10));
    // 2,000 lines: 400 views of 5 lines, every one checking a permission.
    let mut views = String::from(
        "from django.contrib.auth.decorators import permission_required\n\n\nTARGET = 0\n\n",
    );
    let mut lines = 5;
    let mut i = 0;
    while lines + 5 <= 2000 {
        let _ = write!(
            views,
            "@permission_required(\"blog.can_review_{}\")\ndef view_{i}(request):\n    if request.user.has_perm(\"blog.can_export_{}\"):\n        return {i}\n\n",
            i % 10,
            i % 10
        );
        lines += 5;
        i += 1;
    }
    views.push_str("print(request.user.has_perm(\"blog.can_toggle\"))\n");
    write(root, "blog/views.py", &views);
}

struct Client {
    conn: Connection,
    id: i32,
}

impl Client {
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.id += 1;
        let id = RequestId::from(self.id);
        self.conn
            .sender
            .send(Request::new(id.clone(), method.into(), params).into())
            .unwrap();
        loop {
            match self.conn.receiver.recv().unwrap() {
                Message::Response(r) if r.id == id => return r.response_result.unwrap_or_default(),
                Message::Request(r) => self.ok(r.id),
                _ => {}
            }
        }
    }

    fn ok(&self, id: RequestId) {
        self.conn
            .sender
            .send(Response::new_ok(id, Value::Null).into())
            .unwrap();
    }

    fn notify(&self, method: &str, params: Value) {
        self.conn
            .sender
            .send(Notification::new(method.into(), params).into())
            .unwrap();
    }

    /// Wait for diagnostics of `uri` (at `version`, when given); returns how many.
    fn diagnostics(&self, uri: &str, version: Option<i64>) -> usize {
        loop {
            match self.conn.receiver.recv().unwrap() {
                Message::Notification(n)
                    if n.method == "textDocument/publishDiagnostics"
                        && n.params["uri"] == uri
                        && version.is_none_or(|v| n.params["version"] == v) =>
                {
                    return n.params["diagnostics"].as_array().unwrap().len();
                }
                Message::Request(r) => self.ok(r.id),
                _ => {}
            }
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name:<44} n={:<4} p50 {:>7.1} ms   p95 {:>7.1} ms   max {:>7.1} ms",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.95),
        percentile(&samples, 1.0)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let apps: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    let rounds: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(60);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    generate(root, apps);

    // The same work without the server: one `analyze` of the whole project.
    let (snapshot, _) = djperm::discover::load(root, &[]);
    let files = snapshot.files.len();
    let bytes: usize = snapshot.files.iter().map(|f| f.text.len()).sum();
    let mut direct = Vec::new();
    for _ in 0..10 {
        let s = snapshot.clone();
        let t = Instant::now();
        let a = djperm::analyze(s, &Default::default(), &Default::default());
        direct.push(t.elapsed());
        std::hint::black_box(a.diagnostics.len());
    }
    println!(
        "project: {files} files, {} KiB; blog/views.py 2,000 lines",
        bytes / 1024
    );
    report("analyze() of the whole project (no server)", direct);
    // Where that time goes: per-file facts (what an incremental server would cache), the index,
    // the rules.
    let (mut facts, mut index, mut rules) = (Vec::new(), Vec::new(), Vec::new());
    let config = djperm::config::Config::default();
    for _ in 0..10 {
        let s = snapshot.clone();
        let t = Instant::now();
        let ws = djperm::workspace::Workspace::build(s);
        facts.push(t.elapsed());
        let t = Instant::now();
        let idx = djperm::index::Index::build(&ws, &config);
        index.push(t.elapsed());
        let t = Instant::now();
        let ctx = djperm::rules::Context::new(&ws, &idx);
        std::hint::black_box(djperm::rules::run_all(&ctx).len());
        rules.push(t.elapsed());
    }
    report("  of which: parse + per-file facts", facts);
    report("  of which: index (merge, migration replay)", index);
    report("  of which: rules", rules);

    let (server_conn, conn) = Connection::memory();
    let server =
        std::thread::spawn(move || djperm::server::run_connection(server_conn, Default::default()));
    let mut client = Client { conn, id: 0 };
    let root_uri = path_to_uri(root);
    let t = Instant::now();
    client.request(
        "initialize",
        json!({"processId": null, "rootUri": root_uri, "capabilities": {"general": {"positionEncodings": ["utf-16"]}}}),
    );
    client.notify("initialized", json!({}));
    let views_uri = path_to_uri(&root.join("blog/views.py"));
    let models_uri = path_to_uri(&root.join("blog/models.py"));
    let views = std::fs::read_to_string(root.join("blog/views.py")).unwrap();
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": views_uri, "languageId": "python", "version": 1, "text": views}}),
    );
    let n = client.diagnostics(&views_uri, Some(1));
    println!(
        "first diagnostics for views.py after initialize: {:.1} ms ({n} diagnostics)",
        t.elapsed().as_secs_f64() * 1000.0
    );

    // 1. Typing in views.py: flip `TARGET = 0` ↔ `TARGET = 1` and a typo in one permission.
    let index = LineIndex::new(&views);
    let typo_at = views.find("blog.can_export_3").unwrap() + "blog.can_export_".len();
    let typo = serde_json::to_value(index.range(typo_at, typo_at + 1, Encoding::Utf16)).unwrap();
    let mut version = 1;
    let mut samples = Vec::new();
    for round in 0..rounds {
        version += 1;
        let text = if round % 2 == 0 { "x" } else { "3" };
        let t = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": views_uri, "version": version},
                   "contentChanges": [{"range": typo, "text": text}]}),
        );
        client.diagnostics(&views_uri, Some(version));
        samples.push(t.elapsed());
    }
    report("edit views.py → its diagnostics", samples);

    // 2. Editing models.py: add/remove the permission views.py's last line checks.
    let models_text = std::fs::read_to_string(root.join("blog/models.py")).unwrap();
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": models_uri, "languageId": "python", "version": 1, "text": models_text}}),
    );
    client.diagnostics(&models_uri, Some(1));
    let index = LineIndex::new(&models_text);
    let at = models_text.find("        ]").unwrap();
    let insert = serde_json::to_value(index.range(at, at, Encoding::Utf16)).unwrap();
    let entry = "            (\"can_toggle\", \"x\"),\n";
    let remove = {
        let mut r = insert.clone();
        r["end"]["line"] = json!(r["start"]["line"].as_u64().unwrap() + 1);
        r
    };
    let mut version = 1;
    let mut samples = Vec::new();
    for round in 0..rounds {
        version += 1;
        let change = if round % 2 == 0 {
            json!({"range": insert, "text": entry})
        } else {
            json!({"range": remove, "text": ""})
        };
        let t = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": models_uri, "version": version}, "contentChanges": [change]}),
        );
        client.diagnostics(&views_uri, None);
        samples.push(t.elapsed());
    }
    report("edit models.py → views.py diagnostics", samples);

    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    server.join().unwrap().unwrap();
}
