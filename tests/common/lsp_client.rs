//! The in-process LSP client of the server tests (`tests/lsp.rs`, `tests/lsp_robustness.rs`):
//! the server runs on a thread over lsp-server's in-memory connection. Included with
//! `#[path = "common/lsp_client.rs"] mod lsp_client;` next to `mod common;`.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::RecvTimeoutError;
use djperm::server::text::{apply_change, path_to_uri, Encoding};
use lsp_server::{Connection, Message, Notification, Request, RequestId, Response};
use serde_json::{json, Value};

pub const TIMEOUT: Duration = Duration::from_secs(60);

/// A small project: `blog` is unmigrated, so `Meta.permissions` in models.py is the truth and
/// an edit to it changes what views.py may check.
pub const PROJECT: &[(&str, &str)] = &[
    (
        "manage.py",
        "import os\n\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"site_cfg.settings\")\n",
    ),
    ("site_cfg/__init__.py", ""),
    (
        "site_cfg/settings.py",
        "INSTALLED_APPS = [\n    \"django.contrib.auth\",\n    \"django.contrib.contenttypes\",\n    \"blog\",\n]\n",
    ),
    ("blog/__init__.py", ""),
    (
        "blog/models.py",
        r#"from django.db import models


class Post(models.Model):
    title = models.CharField(max_length=100)

    class Meta:
        permissions = [
            ("can_publish", "Can publish posts"),
        ]
"#,
    ),
    (
        "blog/views.py",
        r#"from django.contrib.auth.decorators import permission_required


@permission_required("blog.can_publish")
def publish(request):
    if request.user.has_perm("blog.can_archive"):
        return "archive"
    if request.user.has_perm("can_publish"):
        return "bare"
    if request.user.has_perms("blog.add_post"):
        return "str"
    label = "é🎉"; denied = request.user.has_perm("blog.can_publsh")
    staff = request.user.has_perm("auth.change_user")  # noqa: DJP005
    return label, denied, staff
"#,
    ),
    (
        "blog/templates/blog/post.html",
        "<h1>{{ post.title }}</h1>\n{% if perms.blog.can_pubish %}<button>Publish</button>{% endif %}\n",
    ),
];

pub fn write_project(dir: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

pub struct Setup {
    pub encodings: Vec<&'static str>,
    pub pull: bool,
    pub init_options: Value,
    /// The workspace folder the client announces, relative to the project (default: the
    /// project itself).
    pub folder: Option<&'static str>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            encodings: vec!["utf-16"],
            pull: false,
            init_options: Value::Null,
            folder: None,
        }
    }
}

pub struct Client {
    pub conn: Connection,
    pub server: Option<JoinHandle<Result<bool, String>>>,
    pub next_id: i32,
    pub backlog: VecDeque<Notification>,
    pub server_requests: Vec<Request>,
    pub root: PathBuf,
    pub root_uri: String,
    pub enc: Encoding,
    /// Text and version of open documents, as the editor has them.
    pub docs: std::collections::HashMap<String, (String, i32)>,
    pub _dir: tempfile::TempDir,
}

impl Client {
    pub fn start(files: &[(&str, &str)], setup: Setup) -> (Client, Value) {
        let dir = tempfile::tempdir().unwrap();
        write_project(dir.path(), files);
        Client::start_in(dir, setup)
    }

    pub fn start_in(dir: tempfile::TempDir, setup: Setup) -> (Client, Value) {
        let (server_conn, client_conn) = Connection::memory();
        let options = djperm::server::Options {
            test_requests: true,
        };
        let server =
            std::thread::spawn(move || djperm::server::run_connection(server_conn, options));
        let root = dir.path().to_path_buf();
        let root_uri = path_to_uri(&root);
        let folder_uri = path_to_uri(&setup.folder.map_or(root.clone(), |f| root.join(f)));
        let mut client = Client {
            conn: client_conn,
            server: Some(server),
            next_id: 0,
            backlog: VecDeque::new(),
            server_requests: Vec::new(),
            root,
            root_uri: root_uri.clone(),
            enc: Encoding::Utf16,
            docs: Default::default(),
            _dir: dir,
        };
        let mut caps = json!({
            "general": {"positionEncodings": setup.encodings},
            "textDocument": {"codeAction": {"disabledSupport": true}},
            "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}},
        });
        if setup.pull {
            caps["textDocument"]["diagnostic"] = json!({"dynamicRegistration": false});
            caps["workspace"]["diagnostics"] = json!({"refreshSupport": true});
        }
        let result = client.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": folder_uri,
                "workspaceFolders": [{"uri": folder_uri, "name": "project"}],
                "capabilities": caps,
                "initializationOptions": setup.init_options,
            }),
        );
        client.enc = match result["capabilities"]["positionEncoding"].as_str() {
            Some("utf-8") => Encoding::Utf8,
            Some("utf-32") => Encoding::Utf32,
            _ => Encoding::Utf16,
        };
        client.notify("initialized", json!({}));
        (client, result)
    }

    pub fn uri(&self, rel: &str) -> String {
        path_to_uri(&self.root.join(rel))
    }

    pub fn recv(&mut self) -> Message {
        match self.conn.receiver.recv_timeout(TIMEOUT) {
            Ok(Message::Request(req)) => {
                // registerCapability, diagnostic/refresh: accept.
                self.conn
                    .sender
                    .send(Response::new_ok(req.id.clone(), Value::Null).into())
                    .unwrap();
                self.server_requests.push(req.clone());
                Message::Request(req)
            }
            Ok(msg) => msg,
            Err(RecvTimeoutError::Timeout) => panic!("no message from the server in {TIMEOUT:?}"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server went away"),
        }
    }

    /// Send a request and wait for its response: the result, or `{"error": …}`.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.conn
            .sender
            .send(Request::new(id.clone(), method.to_string(), params).into())
            .unwrap();
        loop {
            match self.recv() {
                Message::Response(resp) if resp.id == id => {
                    return match resp.response_result {
                        Err(e) => json!({"error": {"code": e.code, "message": e.message}}),
                        Ok(v) => v,
                    };
                }
                Message::Notification(n) => self.backlog.push_back(n),
                _ => {}
            }
        }
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.conn
            .sender
            .send(Notification::new(method.to_string(), params).into())
            .unwrap();
    }

    pub fn notification(&mut self, method: &str, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(pos) = self
            .backlog
            .iter()
            .position(|n| n.method == method && pred(&n.params))
        {
            return self.backlog.remove(pos).unwrap().params;
        }
        loop {
            if let Message::Notification(n) = self.recv() {
                if n.method == method && pred(&n.params) {
                    return n.params;
                }
                self.backlog.push_back(n);
            }
        }
    }

    /// The next diagnostics published for a document.
    pub fn diagnostics(&mut self, rel: &str) -> Value {
        let uri = self.uri(rel);
        self.notification("textDocument/publishDiagnostics", |p| {
            p["uri"] == uri.as_str()
        })
    }

    pub fn open(&mut self, rel: &str) -> String {
        let uri = self.uri(rel);
        let text = std::fs::read_to_string(self.root.join(rel)).unwrap();
        let language = if rel.ends_with(".py") {
            "python"
        } else {
            "htmldjango"
        };
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}}),
        );
        self.docs.insert(rel.to_string(), (text, 1));
        uri
    }

    /// Apply edits to an open document here and send them as incremental changes.
    pub fn edit(&mut self, rel: &str, edits: &[Value]) {
        let uri = self.uri(rel);
        let enc = self.enc;
        let (text, version) = self.docs.get_mut(rel).unwrap();
        // Send the edits last-first so that earlier ranges stay valid.
        let mut edits: Vec<Value> = edits.to_vec();
        edits.sort_by_key(|e| {
            let s = &e["range"]["start"];
            std::cmp::Reverse((s["line"].as_u64(), s["character"].as_u64()))
        });
        let mut changes = Vec::new();
        for e in &edits {
            let range = serde_json::from_value(e["range"].clone()).unwrap();
            let new_text = e["newText"].as_str().unwrap();
            apply_change(text, Some(range), new_text, enc);
            changes.push(json!({"range": e["range"], "text": new_text}));
        }
        *version += 1;
        let version = *version;
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        );
    }

    pub fn text(&self, rel: &str) -> &str {
        &self.docs[rel].0
    }

    /// Position of the `n`-th occurrence of `needle` (plus `shift` bytes) in an open document.
    pub fn pos(&self, rel: &str, needle: &str, shift: usize) -> Value {
        let text = self.text(rel);
        let offset = text
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} in {rel}"))
            + shift;
        let index = djperm::server::text::LineIndex::new(text);
        serde_json::to_value(index.position(offset, self.enc)).unwrap()
    }

    pub fn at(&self, rel: &str, needle: &str, shift: usize) -> Value {
        json!({"textDocument": {"uri": self.uri(rel)}, "position": self.pos(rel, needle, shift)})
    }

    /// Replace the temporary root in every string so that snapshots are stable.
    pub fn redact(&self, mut v: Value) -> Value {
        fn walk(v: &mut Value, uri: &str, path: &str) {
            match v {
                Value::String(s) => *s = s.replace(uri, "file:///[ROOT]").replace(path, "[ROOT]"),
                Value::Array(a) => a.iter_mut().for_each(|x| walk(x, uri, path)),
                Value::Object(o) => {
                    let old = std::mem::take(o);
                    for (k, mut x) in old {
                        walk(&mut x, uri, path);
                        o.insert(k.replace(uri, "file:///[ROOT]"), x);
                    }
                }
                _ => {}
            }
        }
        walk(&mut v, &self.root_uri, &self.root.to_string_lossy());
        v
    }

    pub fn shutdown(mut self) {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Value::Null);
        self.notify("exit", Value::Null);
        let clean = self.server.take().unwrap().join().unwrap().unwrap();
        assert!(clean, "exit after shutdown is a clean exit");
    }
}

pub fn codes(diags: &Value) -> Vec<String> {
    diags["diagnostics"]
        .as_array()
        .or(diags["items"].as_array())
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}:{}:{}",
                d["range"]["start"]["line"],
                d["range"]["start"]["character"],
                d["code"].as_str().unwrap()
            )
        })
        .collect()
}

pub fn snapshot(name: &str, value: &Value) {
    crate::common::insta_settings()
        .bind(|| insta::assert_json_snapshot!(format!("lsp__{name}"), value));
}
