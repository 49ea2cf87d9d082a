//! The server's state: open documents, workspace folders and their analyses; the lifecycle,
//! notifications (document sync, watched files, settings), scheduling of analyses, publishing
//! diagnostics, and dispatching requests (each isolated: a panic answers an error).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender};
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use rustc_hash::FxHashMap;
use serde_json::{json, Value};

use super::incremental::Latest;
use super::settings::ClientSettings;
use super::text::{self, Encoding};
use super::worker::{self, FolderAnalysis, Job, Outcome, Overlay};
use super::{actions, diagnostics, panic_message, Options};

pub(super) struct Document {
    pub(super) uri: String,
    pub(super) text: String,
    /// The client's version, echoed in published diagnostics.
    pub(super) version: i32,
    /// The server's own count of buffer states, unique across documents: an analysis matches
    /// a buffer when it analysed this revision. Client versions cannot serve: a buggy client
    /// may repeat one or go back.
    pub(super) revision: u64,
    /// Folder and path relative to its root, for `file:` documents.
    pub(super) place: Option<(usize, String)>,
}

impl Document {
    pub(super) fn is_template(&self) -> bool {
        !self.uri.ends_with(".py") && !self.uri.ends_with(".pyi") && !self.is_fixture()
    }

    /// A JSON or YAML fixture: diagnosed, but without noqa comments or completion.
    pub(super) fn is_fixture(&self) -> bool {
        self.uri.ends_with(".json") || self.uri.ends_with(".yaml")
    }
}

pub(super) struct Folder {
    pub(super) root: PathBuf,
    pub(super) generation: u64,
    pub(super) in_flight: bool,
    pub(super) disk_changes: Vec<String>,
    pub(super) reload: bool,
    pub(super) analysis: Option<Arc<FolderAnalysis>>,
    pub(super) failed_generation: Option<u64>,
    pub(super) shown_config_error: Option<String>,
    pub(super) failing: bool,
}

impl Folder {
    pub(super) fn new(root: PathBuf) -> Self {
        Folder {
            root,
            generation: 1,
            in_flight: false,
            disk_changes: Vec::new(),
            reload: false,
            analysis: None,
            failed_generation: None,
            shown_config_error: None,
            failing: false,
        }
    }

    /// The latest analysis, if it covers every change made so far.
    pub(super) fn fresh(&self) -> bool {
        self.analysis
            .as_ref()
            .is_some_and(|a| a.generation == self.generation)
            || self.failed_generation == Some(self.generation)
    }
}

/// Capabilities of the client that change what the server does.
#[derive(Default)]
pub(super) struct Client {
    pub(super) pull_diagnostics: bool,
    pub(super) diagnostic_refresh: bool,
    pub(super) disabled_code_actions: bool,
    pub(super) watch_registration: bool,
    /// `documentChanges` with the `create` resource operation.
    pub(super) create_files: bool,
}

pub(super) struct Server {
    pub(super) sender: Sender<Message>,
    pub(super) options: Options,
    pub(super) enc: Encoding,
    pub(super) client: Client,
    pub(super) settings: ClientSettings,
    /// The settings object in force, as the client sent it (merged across changes).
    pub(super) settings_json: serde_json::Map<String, Value>,
    pub(super) folders: Vec<Folder>,
    pub(super) docs: FxHashMap<String, Document>,
    pub(super) jobs: Sender<Job>,
    pub(super) outcomes: Receiver<Outcome>,
    /// The newest generation per folder, read by the analysis thread to drop stale work.
    pub(super) latest: Latest,
    /// Requests waiting for a fresh analysis of their folder.
    pub(super) pending: Vec<(usize, Request)>,
    /// What was last published per URI: (version, diagnostics).
    pub(super) published: FxHashMap<String, (i32, Value)>,
    pub(super) shutdown: bool,
    pub(super) next_id: i32,
    /// The last `Document::revision` given out.
    pub(super) revision: u64,
}

pub(super) type HandlerResult = Result<Value, (ErrorCode, String)>;

/// An analysis that matches an open document's text, and the document's file in it.
pub(super) type Fresh = (Arc<FolderAnalysis>, usize);

pub(super) fn params<T: serde::de::DeserializeOwned>(
    value: Value,
) -> Result<T, (ErrorCode, String)> {
    serde_json::from_value(value).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
}

pub(super) fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_str().map(str::to_string))
        .collect::<Option<_>>()?;
    (!parts.is_empty()).then(|| parts.join("/"))
}

impl Server {
    pub(super) fn new(sender: Sender<Message>, options: Options) -> Self {
        let latest = Latest::default();
        let (jobs, outcomes) = worker::spawn(latest.clone());
        Server {
            sender,
            options,
            enc: Encoding::Utf16,
            client: Client::default(),
            settings: ClientSettings::default(),
            settings_json: serde_json::Map::new(),
            folders: Vec::new(),
            docs: FxHashMap::default(),
            jobs,
            outcomes,
            latest,
            pending: Vec::new(),
            published: FxHashMap::default(),
            shutdown: false,
            next_id: 0,
            revision: 0,
        }
    }

    pub(super) fn send(&self, msg: Message) {
        let _ = self.sender.send(msg);
    }

    pub(super) fn respond(&self, resp: Response) {
        self.send(resp.into());
    }

    pub(super) fn notify(&self, method: &str, params: Value) {
        self.send(Notification::new(method.to_string(), params).into());
    }

    pub(super) fn request_client(&mut self, method: &str, params: Value) {
        self.next_id += 1;
        let id = RequestId::from(format!("djperm-{}", self.next_id));
        self.send(Request::new(id, method.to_string(), params).into());
    }

    pub(super) fn show_message(&self, kind: u32, message: &str) {
        self.notify(
            "window/showMessage",
            json!({"type": kind, "message": message}),
        );
    }

    // ---- lifecycle -------------------------------------------------------------------------

    pub(super) fn initialize(&mut self, params: &Value) -> Value {
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
            create_files: flag(&caps["workspace"]["workspaceEdit"]["documentChanges"])
                && caps["workspace"]["workspaceEdit"]["resourceOperations"]
                    .as_array()
                    .is_some_and(|ops| ops.iter().any(|o| o == "create")),
        };
        if let Some(options) = params.get("initializationOptions") {
            ClientSettings::merge_json(&mut self.settings_json, options);
            self.settings = ClientSettings::from_json(&Value::Object(self.settings_json.clone()));
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

    pub(super) fn on_initialized(&mut self) {
        if self.client.watch_registration {
            let watchers: Vec<Value> = [
                "**/*.py",
                "**/templates/**/*.{html,htm,txt}",
                "**/fixtures/**/*.json",
                "**/fixtures/**/*.yaml",
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

    /// The folder analysing the project around `dir` (a client's workspace folder may be a
    /// sub-directory of the project: the project is still analysed whole, as by the CLI).
    pub(super) fn folder_for_root(&mut self, dir: PathBuf) -> usize {
        let root = crate::root::project_root(&dir);
        if let Some(i) = self.folders.iter().position(|f| f.root == root) {
            return i;
        }
        self.folders.push(Folder::new(root));
        self.folders.len() - 1
    }

    /// The folder that holds a file (the deepest root), creating one for files outside every
    /// workspace folder; and the file's path relative to it.
    pub(super) fn place(&mut self, uri: &str) -> Option<(usize, String)> {
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
        let root = crate::root::project_root_of_file(&path);
        let rel = relative(&root, &path)?;
        let i = self.folder_for_root(root);
        Some((i, rel))
    }

    /// Something in a folder changed: analyse again when the worker is free.
    pub(super) fn touch(&mut self, folder: usize) {
        self.folders[folder].generation += 1;
        self.latest.set(folder, self.folders[folder].generation);
        self.schedule(folder);
    }

    pub(super) fn schedule(&mut self, folder: usize) {
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
                    revision: d.revision,
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

    pub(super) fn on_outcome(&mut self, outcome: Outcome) {
        // The analysis this one replaces is freed last, after the waiting requests are answered.
        let mut _replaced = None;
        let folder = match outcome {
            Outcome::Done(fa) => {
                let i = fa.folder;
                if std::env::var_os("DJPERM_LOG").is_some() {
                    eprintln!(
                        "djperm server: analysed {} ({} files) in {:.1} ms",
                        self.folders[i].root.display(),
                        fa.files.len(),
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
                f.failing = false;
                _replaced = f.analysis.replace(fa.clone());
                self.publish(&fa);
                i
            }
            Outcome::Cancelled { folder } => {
                self.folders[folder].in_flight = false;
                folder
            }
            Outcome::Failed {
                folder,
                generation,
                message,
            } => {
                eprintln!("djperm server: analysis failed (a bug in djperm): {message}");
                // Tell the user once per run of failures, not on every keystroke.
                if !self.folders[folder].failing {
                    self.show_message(
                        1,
                        &format!("djperm: analysis failed (please report this bug): {message}"),
                    );
                }
                let f = &mut self.folders[folder];
                f.failing = true;
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
    pub(super) fn publish(&mut self, fa: &FolderAnalysis) {
        if self.client.pull_diagnostics {
            return;
        }
        let mut out = Vec::new();
        for doc in self.docs.values() {
            let Some((folder, rel)) = &doc.place else {
                continue;
            };
            if *folder != fa.folder || fa.revisions.get(rel) != Some(&doc.revision) {
                continue;
            }
            let diags = fa
                .file(rel)
                .map(|file| diagnostics::for_file(fa, file, self.enc, &|f| self.uri_of(fa, f)))
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

    // ---- requests --------------------------------------------------------------------------

    pub(super) fn on_request(&mut self, req: Request) {
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

    pub(super) fn dispatch(&mut self, req: Request) {
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

    pub(super) fn request(&mut self, req: Request) -> HandlerResult {
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
}
