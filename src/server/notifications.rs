//! Notifications: document sync (incremental edits in the negotiated encoding), saves, watched
//! files, settings and workspace folders. Each one may make a folder's analysis stale.

use lsp_server::{ErrorCode, Notification, RequestId, Response};
use lsp_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DidSaveTextDocumentParams, FileChangeType, TextDocumentContentChangeEvent,
};
use serde_json::{json, Value};

use super::panic_message;
use super::session::{params, relative, Document, Server};
use super::settings::ClientSettings;
use super::text;
use super::worker;

impl Server {
    pub(super) fn on_notification(&mut self, n: Notification) {
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

    pub(super) fn notification(&mut self, n: Notification) -> Result<(), String> {
        let bad = |e: (ErrorCode, String)| e.1;
        match n.method.as_str() {
            "initialized" => self.on_initialized(),
            "textDocument/didOpen" => {
                let p: DidOpenTextDocumentParams = params(n.params).map_err(bad)?;
                let uri = p.text_document.uri.0;
                let place = self.place(&uri);
                self.revision += 1;
                let doc = Document {
                    uri: uri.clone(),
                    text: p.text_document.text,
                    version: p.text_document.version,
                    revision: self.revision,
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
                self.revision += 1;
                let revision = self.revision;
                let Some(doc) = self.docs.get_mut(&uri) else {
                    return Err(format!("change to a document that is not open: {uri}"));
                };
                let version = p.text_document.version;
                if version <= doc.version {
                    // The changes are still applied: they are edits of the text the client
                    // shows, and dropping them would make the buffer differ from it for good.
                    eprintln!(
                        "djperm server: {uri}: change with version {version} after {}: applied",
                        doc.version
                    );
                }
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
                doc.version = version;
                doc.revision = revision;
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
                    ClientSettings::merge_json(&mut self.settings_json, settings);
                    let new = ClientSettings::from_json(&Value::Object(self.settings_json.clone()));
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
    pub(super) fn disk_changed(&mut self, folder: usize, rel: String) {
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
}
