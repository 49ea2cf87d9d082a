//! `djperm server`: a language server over stdio (lsp-server + gen-lsp-types).
//!
//! The main loop owns the open documents and the workspace folders; analysis runs on one
//! background thread (`worker`) that gets the buffers as overlays over the disk tree, so the
//! CLI and the server give the same answers. Requests that depend on the analysis of the text
//! the editor has now (hover, definition, pull diagnostics, fix-all) wait until that analysis
//! is done; everything else answers at once. A panic in a handler answers an error.

mod actions;
mod completion;
mod diagnostics;
mod incremental;
mod navigate;
mod settings;
pub mod text;
mod worker;

use std::any::Any;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crossbeam_channel::{select, Receiver, Sender};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CodeActionParams, CompletionParams, DefinitionParams, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DidSaveTextDocumentParams,
    DocumentDiagnosticParams, FileChangeType, HoverParams, Location,
    TextDocumentContentChangeEvent,
};
use rustc_hash::FxHashMap;
use serde_json::{json, Value};

use settings::ClientSettings;
use text::{Encoding, LineIndex};
use worker::{FolderAnalysis, Job, Outcome, Overlay};

/// Options for embedding the server (tests).
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Answer `djperm/panic` by panicking (to test that the server survives it).
    pub test_requests: bool,
}

pub(crate) fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".into()
    }
}

/// Run over stdin/stdout until `exit`. Exit status 0 after `shutdown`, 1 without it (as the
/// protocol asks).
pub fn run() -> ExitCode {
    let (connection, writer) = stdio();
    let result = run_connection(connection, Options::default());
    // The writer ends when the last sender is gone: everything queued is flushed first.
    let _ = writer.join();
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("djperm server: {e}");
            ExitCode::from(1)
        }
    }
}

/// A stdio transport that survives garbage: a frame whose body is not a JSON-RPC message is
/// logged and skipped (lsp-server's own transport stops reading on the first one).
fn stdio() -> (Connection, std::thread::JoinHandle<()>) {
    let (writer_tx, writer_rx) = crossbeam_channel::unbounded::<Message>();
    let writer = std::thread::Builder::new()
        .name("djperm-lsp-writer".into())
        .spawn(move || {
            let stdout = io::stdout();
            let mut out = stdout.lock();
            for msg in writer_rx {
                if msg.write(&mut out).is_err() {
                    break;
                }
            }
        })
        .expect("spawn the writer");
    let (reader_tx, reader_rx) = crossbeam_channel::unbounded::<Message>();
    std::thread::Builder::new()
        .name("djperm-lsp-reader".into())
        .spawn(move || {
            let stdin = io::stdin();
            let mut input = BufReader::new(stdin.lock());
            loop {
                match Message::read(&mut input) {
                    Ok(Some(msg)) => {
                        let exit = matches!(&msg, Message::Notification(n) if n.method == "exit");
                        if reader_tx.send(msg).is_err() || exit {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                        eprintln!("djperm server: skipped a malformed message: {e}");
                    }
                    Err(e) => {
                        eprintln!("djperm server: stdin: {e}");
                        break;
                    }
                }
            }
        })
        .expect("spawn the reader");
    (
        Connection {
            sender: writer_tx,
            receiver: reader_rx,
        },
        writer,
    )
}

struct Document {
    uri: String,
    text: String,
    version: i32,
    /// Folder and path relative to its root, for `file:` documents.
    place: Option<(usize, String)>,
}

impl Document {
    fn is_template(&self) -> bool {
        !self.uri.ends_with(".py") && !self.uri.ends_with(".pyi")
    }
}

struct Folder {
    root: PathBuf,
    generation: u64,
    in_flight: bool,
    disk_changes: Vec<String>,
    reload: bool,
    analysis: Option<Arc<FolderAnalysis>>,
    failed_generation: Option<u64>,
    shown_config_error: Option<String>,
}

impl Folder {
    fn new(root: PathBuf) -> Self {
        Folder {
            root,
            generation: 1,
            in_flight: false,
            disk_changes: Vec::new(),
            reload: false,
            analysis: None,
            failed_generation: None,
            shown_config_error: None,
        }
    }

    /// The latest analysis, if it covers every change made so far.
    fn fresh(&self) -> bool {
        self.analysis
            .as_ref()
            .is_some_and(|a| a.generation == self.generation)
            || self.failed_generation == Some(self.generation)
    }
}

/// Capabilities of the client that change what the server does.
#[derive(Default)]
struct Client {
    pull_diagnostics: bool,
    diagnostic_refresh: bool,
    disabled_code_actions: bool,
    watch_registration: bool,
}

struct Server {
    sender: Sender<Message>,
    options: Options,
    enc: Encoding,
    client: Client,
    settings: ClientSettings,
    folders: Vec<Folder>,
    docs: FxHashMap<String, Document>,
    jobs: Sender<Job>,
    outcomes: Receiver<Outcome>,
    /// Requests waiting for a fresh analysis of their folder.
    pending: Vec<(usize, Request)>,
    /// What was last published per URI: (version, diagnostics).
    published: FxHashMap<String, (i32, Value)>,
    shutdown: bool,
    next_id: i32,
}

type HandlerResult = Result<Value, (ErrorCode, String)>;

/// An analysis that matches an open document's text, and the document's file in it.
type Fresh = (Arc<FolderAnalysis>, usize);

/// Run the server on a connection (stdio, or `Connection::memory()` in tests). Returns whether
/// `shutdown` came before `exit`.
pub fn run_connection(connection: Connection, options: Options) -> Result<bool, String> {
    // Wait for `initialize`; answer anything else with ServerNotInitialized.
    let (id, params) = loop {
        match connection.receiver.recv() {
            Ok(Message::Request(req)) if req.method == "initialize" => break (req.id, req.params),
            Ok(Message::Request(req)) => {
                let resp = Response::new_err(
                    req.id,
                    ErrorCode::ServerNotInitialized as i32,
                    "the server is not initialized".into(),
                );
                let _ = connection.sender.send(resp.into());
            }
            Ok(Message::Notification(n)) if n.method == "exit" => return Ok(false),
            Ok(_) => {}
            Err(_) => return Err("the client went away before initialize".into()),
        }
    };
    let (jobs, outcomes) = worker::spawn();
    let mut server = Server {
        sender: connection.sender.clone(),
        options,
        enc: Encoding::Utf16,
        client: Client::default(),
        settings: ClientSettings::default(),
        folders: Vec::new(),
        docs: FxHashMap::default(),
        jobs,
        outcomes,
        pending: Vec::new(),
        published: FxHashMap::default(),
        shutdown: false,
        next_id: 0,
    };
    let result = server.initialize(&params);
    server.respond(Response::new_ok(id, result));
    for i in 0..server.folders.len() {
        server.schedule(i);
    }
    let outcomes = server.outcomes.clone();
    loop {
        select! {
            recv(connection.receiver) -> msg => {
                let Ok(msg) = msg else { return Ok(false) };
                match msg {
                    Message::Notification(n) if n.method == "exit" => return Ok(server.shutdown),
                    Message::Request(req) => server.on_request(req),
                    Message::Notification(n) => server.on_notification(n),
                    Message::Response(_) => {}
                }
            }
            recv(outcomes) -> outcome => {
                if let Ok(outcome) = outcome {
                    server.on_outcome(outcome);
                }
            }
        }
    }
}

fn params<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, (ErrorCode, String)> {
    serde_json::from_value(value).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
}

/// The nearest ancestor that looks like a project root (as `djperm check` picks it); never the
/// home directory or `/`, which would mean reading everything below them.
fn project_root_of(file: &Path) -> PathBuf {
    let start = file.parent().unwrap_or(file);
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut dir = Some(start);
    while let Some(d) = dir {
        if d.parent().is_none() || home.as_deref() == Some(d) {
            break;
        }
        if ["manage.py", "djperm.toml", "pyproject.toml", ".git"]
            .iter()
            .any(|n| d.join(n).exists())
        {
            return d.to_path_buf();
        }
        dir = d.parent();
    }
    start.to_path_buf()
}

fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_str().map(str::to_string))
        .collect::<Option<_>>()?;
    (!parts.is_empty()).then(|| parts.join("/"))
}

impl Server {
    fn send(&self, msg: Message) {
        let _ = self.sender.send(msg);
    }

    fn respond(&self, resp: Response) {
        self.send(resp.into());
    }

    fn notify(&self, method: &str, params: Value) {
        self.send(Notification::new(method.to_string(), params).into());
    }

    fn request_client(&mut self, method: &str, params: Value) {
        self.next_id += 1;
        let id = RequestId::from(format!("djperm-{}", self.next_id));
        self.send(Request::new(id, method.to_string(), params).into());
    }

    fn show_message(&self, kind: u32, message: &str) {
        self.notify(
            "window/showMessage",
            json!({"type": kind, "message": message}),
        );
    }

    // ---- lifecycle -------------------------------------------------------------------------

    fn initialize(&mut self, params: &Value) -> Value {
        let caps = &params["capabilities"];
        let offered: Vec<String> = caps["general"]["positionEncodings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        self.enc = Encoding::negotiate(&offered);
        let flag = |v: &Value| v.as_bool().unwrap_or(false);
        self.client = Client {
            pull_diagnostics: caps["textDocument"]["diagnostic"].is_object(),
            diagnostic_refresh: flag(&caps["workspace"]["diagnostics"]["refreshSupport"]),
            disabled_code_actions: flag(&caps["textDocument"]["codeAction"]["disabledSupport"]),
            watch_registration: flag(
                &caps["workspace"]["didChangeWatchedFiles"]["dynamicRegistration"],
            ),
        };
        if let Some(options) = params.get("initializationOptions") {
            self.settings = ClientSettings::from_json(options);
        }
        let mut roots: Vec<PathBuf> = params["workspaceFolders"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["uri"].as_str().and_then(text::uri_to_path))
            .collect();
        if roots.is_empty() {
            roots.extend(params["rootUri"].as_str().and_then(text::uri_to_path));
        }
        if roots.is_empty() {
            roots.extend(params["rootPath"].as_str().map(PathBuf::from));
        }
        for root in roots {
            self.folder_for_root(root);
        }
        let mut capabilities = json!({
            "positionEncoding": self.enc.as_str(),
            "textDocumentSync": {
                "openClose": true,
                "change": 2,
                "save": {"includeText": false},
            },
            "hoverProvider": true,
            "definitionProvider": true,
            "completionProvider": {
                "triggerCharacters": [".", "\"", "'"],
                "resolveProvider": false,
            },
            "codeActionProvider": {
                "codeActionKinds": ["quickfix", actions::FIX_ALL],
                "resolveProvider": false,
            },
            "workspace": {
                "workspaceFolders": {"supported": true, "changeNotifications": true},
            },
        });
        if self.client.pull_diagnostics {
            capabilities["diagnosticProvider"] = json!({
                "identifier": "djperm",
                "interFileDependencies": true,
                "workspaceDiagnostics": false,
            });
        }
        json!({
            "capabilities": capabilities,
            "serverInfo": {"name": "djperm", "version": env!("CARGO_PKG_VERSION")},
        })
    }

    fn on_initialized(&mut self) {
        if self.client.watch_registration {
            let watchers: Vec<Value> = [
                "**/*.py",
                "**/templates/**/*.{html,htm,txt}",
                "**/pyproject.toml",
                "**/djperm.toml",
            ]
            .iter()
            .map(|g| json!({"globPattern": g}))
            .collect();
            self.request_client(
                "client/registerCapability",
                json!({"registrations": [{
                    "id": "djperm-watched-files",
                    "method": "workspace/didChangeWatchedFiles",
                    "registerOptions": {"watchers": watchers},
                }]}),
            );
        }
    }

    // ---- folders and documents -------------------------------------------------------------

    fn folder_for_root(&mut self, root: PathBuf) -> usize {
        if let Some(i) = self.folders.iter().position(|f| f.root == root) {
            return i;
        }
        self.folders.push(Folder::new(root));
        self.folders.len() - 1
    }

    /// The folder that holds a file (the deepest root), creating one for files outside every
    /// workspace folder; and the file's path relative to it.
    fn place(&mut self, uri: &str) -> Option<(usize, String)> {
        let path = text::uri_to_path(uri)?;
        let best = self
            .folders
            .iter()
            .enumerate()
            .filter_map(|(i, f)| {
                relative(&f.root, &path).map(|rel| (i, rel, f.root.as_os_str().len()))
            })
            .max_by_key(|(_, _, len)| *len);
        if let Some((i, rel, _)) = best {
            return Some((i, rel));
        }
        let root = project_root_of(&path);
        let rel = relative(&root, &path)?;
        let i = self.folder_for_root(root);
        Some((i, rel))
    }

    /// Something in a folder changed: analyse again when the worker is free.
    fn touch(&mut self, folder: usize) {
        self.folders[folder].generation += 1;
        self.schedule(folder);
    }

    fn schedule(&mut self, folder: usize) {
        let f = &self.folders[folder];
        if f.in_flight || f.fresh() {
            return;
        }
        let overlays: Vec<Overlay> = self
            .docs
            .values()
            .filter_map(|d| match &d.place {
                Some((i, rel)) if *i == folder => Some(Overlay {
                    path: rel.clone(),
                    text: d.text.clone(),
                    version: d.version,
                }),
                _ => None,
            })
            .collect();
        let f = &mut self.folders[folder];
        let job = Job {
            folder,
            root: f.root.clone(),
            generation: f.generation,
            overlays,
            disk_changes: std::mem::take(&mut f.disk_changes),
            reload: std::mem::take(&mut f.reload),
            settings: self.settings.clone(),
        };
        f.in_flight = true;
        let _ = self.jobs.send(job);
    }

    fn on_outcome(&mut self, outcome: Outcome) {
        let folder = match outcome {
            Outcome::Done(fa) => {
                let i = fa.folder;
                if std::env::var_os("DJPERM_LOG").is_some() {
                    eprintln!(
                        "djperm server: analysed {} ({} files, {} parsed) in {:.1} ms",
                        self.folders[i].root.display(),
                        fa.files.len(),
                        fa.parsed,
                        fa.elapsed.as_secs_f64() * 1000.0
                    );
                }
                if let Some(err) = &fa.config_error {
                    if self.folders[i].shown_config_error.as_ref() != Some(err) {
                        self.show_message(1, &format!("djperm: {err}"));
                        self.folders[i].shown_config_error = Some(err.clone());
                    }
                }
                let f = &mut self.folders[i];
                f.in_flight = false;
                f.analysis = Some(fa.clone());
                self.publish(&fa);
                i
            }
            Outcome::Failed {
                folder,
                generation,
                message,
            } => {
                eprintln!("djperm server: analysis failed (a bug in djperm): {message}");
                self.show_message(
                    1,
                    &format!("djperm: analysis failed (please report this bug): {message}"),
                );
                let f = &mut self.folders[folder];
                f.in_flight = false;
                f.failed_generation = Some(generation);
                folder
            }
        };
        self.schedule(folder);
        if self.folders[folder].fresh() {
            if self.client.pull_diagnostics && self.client.diagnostic_refresh {
                self.request_client("workspace/diagnostic/refresh", Value::Null);
            }
            let (ready, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
                .into_iter()
                .partition(|(i, _)| *i == folder);
            self.pending = waiting;
            for (_, req) in ready {
                self.dispatch(req);
            }
        }
    }

    /// Push diagnostics for the open documents of a folder whose analysed text is the one the
    /// editor has (the others get theirs from the next analysis).
    fn publish(&mut self, fa: &FolderAnalysis) {
        if self.client.pull_diagnostics {
            return;
        }
        let mut out = Vec::new();
        for doc in self.docs.values() {
            let Some((folder, rel)) = &doc.place else {
                continue;
            };
            if *folder != fa.folder || fa.versions.get(rel) != Some(&doc.version) {
                continue;
            }
            let diags = fa
                .file(rel)
                .map(|file| diagnostics::for_file(fa, file, self.enc))
                .unwrap_or_default();
            let diags = serde_json::to_value(diags).unwrap_or_default();
            let same = self
                .published
                .get(&doc.uri)
                .is_some_and(|(v, d)| *v == doc.version && *d == diags);
            if !same {
                out.push((doc.uri.clone(), doc.version, diags));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        for (uri, version, diags) in out {
            self.notify(
                "textDocument/publishDiagnostics",
                json!({"uri": uri, "version": version, "diagnostics": diags}),
            );
            self.published.insert(uri, (version, diags));
        }
    }

    // ---- notifications ---------------------------------------------------------------------

    fn on_notification(&mut self, n: Notification) {
        let method = n.method.clone();
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.notification(n)));
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("djperm server: {method}: {e}"),
            Err(panic) => eprintln!(
                "djperm server: panic in {method} (a bug in djperm): {}",
                panic_message(panic.as_ref())
            ),
        }
    }

    fn notification(&mut self, n: Notification) -> Result<(), String> {
        let bad = |e: (ErrorCode, String)| e.1;
        match n.method.as_str() {
            "initialized" => self.on_initialized(),
            "textDocument/didOpen" => {
                let p: DidOpenTextDocumentParams = params(n.params).map_err(bad)?;
                let uri = p.text_document.uri.0;
                let place = self.place(&uri);
                let doc = Document {
                    uri: uri.clone(),
                    text: p.text_document.text,
                    version: p.text_document.version,
                    place: place.clone(),
                };
                self.docs.insert(uri, doc);
                if let Some((folder, rel)) = place {
                    if worker::is_source(&rel) {
                        self.touch(folder);
                    } else {
                        // A folder made for this document still gets its first analysis.
                        self.schedule(folder);
                    }
                }
            }
            "textDocument/didChange" => {
                let p: DidChangeTextDocumentParams = params(n.params).map_err(bad)?;
                let uri = p.text_document.text_document_identifier.uri.0;
                let enc = self.enc;
                let Some(doc) = self.docs.get_mut(&uri) else {
                    return Err(format!("change to a document that is not open: {uri}"));
                };
                for change in p.content_changes {
                    match change {
                        TextDocumentContentChangeEvent::TextDocumentContentChangePartial(c) => {
                            text::apply_change(&mut doc.text, Some(c.range), &c.text, enc)
                        }
                        TextDocumentContentChangeEvent::TextDocumentContentChangeWholeDocument(
                            c,
                        ) => doc.text = c.text,
                    }
                }
                doc.version = p.text_document.version;
                if let Some((folder, rel)) = doc.place.clone() {
                    if worker::is_source(&rel) {
                        self.touch(folder);
                    }
                }
            }
            "textDocument/didClose" => {
                let p: DidCloseTextDocumentParams = params(n.params).map_err(bad)?;
                let uri = p.text_document.uri.0;
                if let Some(doc) = self.docs.remove(&uri) {
                    if self.published.remove(&uri).is_some() {
                        self.notify(
                            "textDocument/publishDiagnostics",
                            json!({"uri": uri, "diagnostics": []}),
                        );
                    }
                    if let Some((folder, rel)) = doc.place {
                        if worker::is_source(&rel) {
                            // The disk is the truth again.
                            self.folders[folder].disk_changes.push(rel);
                            self.touch(folder);
                        }
                    }
                }
            }
            "textDocument/didSave" => {
                let p: DidSaveTextDocumentParams = params(n.params).map_err(bad)?;
                if let Some((folder, rel)) = self.place(&p.text_document.uri.0) {
                    self.disk_changed(folder, rel);
                }
            }
            "workspace/didChangeWatchedFiles" => {
                let changes = n.params["changes"].as_array().cloned().unwrap_or_default();
                for change in changes {
                    let Some(uri) = change["uri"].as_str() else {
                        continue;
                    };
                    let Some(path) = text::uri_to_path(uri) else {
                        continue;
                    };
                    let deleted = serde_json::from_value::<FileChangeType>(change["type"].clone())
                        .is_ok_and(|t| t == FileChangeType::Deleted);
                    for folder in 0..self.folders.len() {
                        if let Some(rel) = relative(&self.folders[folder].root, &path) {
                            if deleted || path.exists() {
                                self.disk_changed(folder, rel.clone());
                            }
                        }
                    }
                }
            }
            "workspace/didChangeConfiguration" => {
                let settings = &n.params["settings"];
                if settings.is_object() {
                    let new = ClientSettings::from_json(settings);
                    if new != self.settings {
                        self.settings = new;
                        for folder in 0..self.folders.len() {
                            self.folders[folder].reload = true;
                            self.touch(folder);
                        }
                    }
                }
            }
            "workspace/didChangeWorkspaceFolders" => {
                let added = n.params["event"]["added"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                for f in added {
                    if let Some(root) = f["uri"].as_str().and_then(text::uri_to_path) {
                        let i = self.folder_for_root(root);
                        self.schedule(i);
                    }
                }
            }
            "$/cancelRequest" => {
                let id: Option<RequestId> = serde_json::from_value(n.params["id"].clone()).ok();
                if let Some(id) = id {
                    if let Some(pos) = self.pending.iter().position(|(_, r)| r.id == id) {
                        let (_, req) = self.pending.remove(pos);
                        self.respond(Response::new_err(
                            req.id,
                            ErrorCode::RequestCanceled as i32,
                            "canceled".into(),
                        ));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// A file changed on disk (saved, or a watched-file event).
    fn disk_changed(&mut self, folder: usize, rel: String) {
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        if name == "djperm.toml" || name == "pyproject.toml" {
            self.folders[folder].reload = true;
            self.touch(folder);
            return;
        }
        let open = self.docs.values().any(|d| {
            d.place
                .as_ref()
                .is_some_and(|(i, r)| *i == folder && *r == rel)
        });
        let source_or_dir = worker::is_source(&rel) || !name.contains('.');
        if !source_or_dir {
            return;
        }
        self.folders[folder].disk_changes.push(rel);
        // A saved or changed open buffer already is what was analysed.
        if !open {
            self.touch(folder);
        }
    }

    // ---- requests --------------------------------------------------------------------------

    fn on_request(&mut self, req: Request) {
        if self.shutdown {
            self.respond(Response::new_err(
                req.id,
                ErrorCode::InvalidRequest as i32,
                "the server is shutting down".into(),
            ));
            return;
        }
        if req.method == "shutdown" {
            self.shutdown = true;
            for (_, pending) in std::mem::take(&mut self.pending) {
                self.respond(Response::new_err(
                    pending.id,
                    ErrorCode::RequestCanceled as i32,
                    "the server is shutting down".into(),
                ));
            }
            self.respond(Response::new_ok(req.id, ()));
            return;
        }
        // Wait for the analysis of the current text when the answer depends on it.
        let waits = matches!(
            req.method.as_str(),
            "textDocument/hover"
                | "textDocument/definition"
                | "textDocument/diagnostic"
                | "textDocument/codeAction"
                | "textDocument/completion"
        );
        if waits {
            let uri = req.params["textDocument"]["uri"]
                .as_str()
                .unwrap_or_default();
            let place = self.docs.get(uri).and_then(|d| d.place.clone());
            if let Some((folder, _)) = place.filter(|(_, rel)| worker::is_source(rel)) {
                let f = &self.folders[folder];
                let needs = match req.method.as_str() {
                    // Completion needs the index, not the latest text.
                    "textDocument/completion" => {
                        f.analysis.is_none() && f.failed_generation.is_none()
                    }
                    _ => !f.fresh(),
                };
                if needs {
                    self.pending.push((folder, req));
                    return;
                }
            }
        }
        self.dispatch(req);
    }

    fn dispatch(&mut self, req: Request) {
        let id = req.id.clone();
        let method = req.method.clone();
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.request(req)));
        let resp = match result {
            Ok(Ok(value)) => Response::new_ok(id, value),
            Ok(Err((code, message))) => Response::new_err(id, code as i32, message),
            Err(panic) => {
                let message = panic_message(panic.as_ref());
                eprintln!("djperm server: panic in {method} (a bug in djperm): {message}");
                Response::new_err(
                    id,
                    ErrorCode::InternalError as i32,
                    format!("djperm: internal error in {method}: {message}"),
                )
            }
        };
        self.respond(resp);
    }

    fn request(&mut self, req: Request) -> HandlerResult {
        match req.method.as_str() {
            "textDocument/hover" => self.hover(params(req.params)?),
            "textDocument/definition" => self.definition(params(req.params)?),
            "textDocument/completion" => self.completion(params(req.params)?),
            "textDocument/codeAction" => self.code_action(params(req.params)?),
            "textDocument/diagnostic" => self.pull_diagnostics(params(req.params)?),
            "djperm/panic" if self.options.test_requests => panic!("djperm/panic was requested"),
            _ => Err((
                ErrorCode::MethodNotFound,
                format!("djperm does not handle `{}`", req.method),
            )),
        }
    }

    /// An open document, its folder's analysis (when it matches the document) and file.
    fn analysed(&self, uri: &str) -> Option<(&Document, Option<Fresh>)> {
        let doc = self.docs.get(uri)?;
        let fresh = doc.place.as_ref().and_then(|(folder, rel)| {
            let fa = self.folders[*folder].analysis.clone()?;
            let file = fa.file(rel)?;
            (fa.versions.get(rel) == Some(&doc.version)).then_some((fa, file))
        });
        Some((doc, fresh))
    }

    fn uri_of(&self, fa: &FolderAnalysis, file: usize) -> String {
        let rel = fa.analysis.ws.path(file);
        self.docs
            .values()
            .find(|d| {
                d.place
                    .as_ref()
                    .is_some_and(|(i, r)| *i == fa.folder && r == rel)
            })
            .map(|d| d.uri.clone())
            .unwrap_or_else(|| text::path_to_uri(&self.folders[fa.folder].root.join(rel)))
    }

    fn hover(&self, p: HoverParams) -> HandlerResult {
        let pos = p.text_document_position_params;
        let Some((doc, fresh)) = self.analysed(&pos.text_document.uri.0) else {
            return Ok(Value::Null);
        };
        let index = LineIndex::new(&doc.text);
        let offset = index.offset(pos.position, self.enc);
        if let Some((start, end, rule)) = navigate::noqa_code_at(&doc.text, offset) {
            return Ok(json!({
                "contents": {"kind": "markdown", "value": rule.doc},
                "range": index.range(start, end, self.enc),
            }));
        }
        let Some((fa, file)) = fresh else {
            return Ok(Value::Null);
        };
        let Some(site) = fa.site_at(file, offset) else {
            return Ok(Value::Null);
        };
        let project = fa.analysis.index.project_for(fa.analysis.ws.path(file));
        let link = |f: usize, line: u32| format!("{}#L{line}", self.uri_of(&fa, f));
        let Some(markdown) = navigate::hover_markdown(&fa, project, site, &link) else {
            return Ok(Value::Null);
        };
        Ok(json!({
            "contents": {"kind": "markdown", "value": markdown},
            "range": index.range(site.span.start as usize, site.span.end as usize, self.enc),
        }))
    }

    fn definition(&self, p: DefinitionParams) -> HandlerResult {
        let pos = p.text_document_position_params;
        let Some((doc, Some((fa, file)))) = self.analysed(&pos.text_document.uri.0) else {
            return Ok(Value::Null);
        };
        let offset = LineIndex::new(&doc.text).offset(pos.position, self.enc);
        let Some(site) = fa.site_at(file, offset) else {
            return Ok(Value::Null);
        };
        let project = fa.analysis.index.project_for(fa.analysis.ws.path(file));
        let locations: Vec<Location> = navigate::definitions(project, site)
            .into_iter()
            .map(|span| {
                let index = LineIndex::new(fa.analysis.ws.text(span.file));
                Location {
                    uri: self.uri_of(&fa, span.file).into(),
                    range: index.range(span.start as usize, span.end as usize, self.enc),
                }
            })
            .collect();
        Ok(match locations.len() {
            0 => Value::Null,
            1 => serde_json::to_value(&locations[0]).unwrap_or_default(),
            _ => serde_json::to_value(&locations).unwrap_or_default(),
        })
    }

    fn completion(&self, p: CompletionParams) -> HandlerResult {
        let pos = p.text_document_position_params;
        let Some(doc) = self.docs.get(&pos.text_document.uri.0) else {
            return Ok(Value::Null);
        };
        let Some((folder, rel)) = &doc.place else {
            return Ok(Value::Null);
        };
        let Some(fa) = &self.folders[*folder].analysis else {
            return Ok(Value::Null);
        };
        let offset = LineIndex::new(&doc.text).offset(pos.position, self.enc);
        let project = fa.analysis.index.project_for(rel);
        let list =
            completion::complete(project, rel, &doc.text, offset, doc.is_template(), self.enc);
        Ok(serde_json::to_value(list).unwrap_or_default())
    }

    fn code_action(&self, p: CodeActionParams) -> HandlerResult {
        let Some((doc, fresh)) = self.analysed(&p.text_document.uri.0) else {
            return Ok(json!([]));
        };
        let target = actions::Target {
            uri: &doc.uri,
            text: &doc.text,
            is_template: doc.is_template(),
            enc: self.enc,
            disabled_support: self.client.disabled_code_actions,
            fresh: fresh.as_ref().map(|(fa, file)| (fa.as_ref(), *file)),
        };
        Ok(serde_json::to_value(actions::code_actions(&target, &p)).unwrap_or_default())
    }

    fn pull_diagnostics(&self, p: DocumentDiagnosticParams) -> HandlerResult {
        let uri = p.text_document.uri.0;
        let Some((_, fresh)) = self.analysed(&uri) else {
            return Ok(json!({"kind": "full", "items": []}));
        };
        let Some((fa, file)) = fresh else {
            return Ok(json!({"kind": "full", "items": []}));
        };
        let result_id = format!("{}:{}", fa.folder, fa.generation);
        if p.previous_result_id.as_deref() == Some(result_id.as_str()) {
            return Ok(json!({"kind": "unchanged", "resultId": result_id}));
        }
        let items = diagnostics::for_file(&fa, file, self.enc);
        Ok(json!({"kind": "full", "resultId": result_id, "items": items}))
    }
}
