//! Requests: hover, definition, completion, code actions, pulled diagnostics.

use lsp_types::{
    CodeActionParams, CompletionParams, DefinitionParams, DocumentDiagnosticParams, HoverParams,
    Location,
};
use serde_json::{json, Value};

use super::session::{Document, Fresh, HandlerResult, Server};
use super::text::{self, LineIndex};
use super::worker::FolderAnalysis;
use super::{actions, completion, diagnostics, navigate};

impl Server {
    /// An open document, its folder's analysis (when it matches the document) and file.
    pub(super) fn analysed(&self, uri: &str) -> Option<(&Document, Option<Fresh>)> {
        let doc = self.docs.get(uri)?;
        let fresh = doc.place.as_ref().and_then(|(folder, rel)| {
            let fa = self.folders[*folder].analysis.clone()?;
            let file = fa.file(rel)?;
            (fa.revisions.get(rel) == Some(&doc.revision)).then_some((fa, file))
        });
        Some((doc, fresh))
    }

    pub(super) fn uri_of(&self, fa: &FolderAnalysis, file: usize) -> String {
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

    pub(super) fn hover(&self, p: HoverParams) -> HandlerResult {
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

    pub(super) fn definition(&self, p: DefinitionParams) -> HandlerResult {
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

    pub(super) fn completion(&self, p: CompletionParams) -> HandlerResult {
        let pos = p.text_document_position_params;
        let Some(doc) = self.docs.get(&pos.text_document.uri.0) else {
            return Ok(Value::Null);
        };
        let Some((folder, rel)) = doc.place.as_ref().filter(|_| !doc.is_fixture()) else {
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

    pub(super) fn code_action(&self, p: CodeActionParams) -> HandlerResult {
        let Some((doc, fresh)) = self.analysed(&p.text_document.uri.0) else {
            return Ok(json!([]));
        };
        let target = actions::Target {
            uri: &doc.uri,
            text: &doc.text,
            is_template: doc.is_template(),
            noqa: !doc.is_fixture(),
            enc: self.enc,
            disabled_support: self.client.disabled_code_actions,
            create_files: self.client.create_files,
            fresh: fresh.as_ref().map(|(fa, file)| (fa.as_ref(), *file)),
        };
        Ok(serde_json::to_value(actions::code_actions(&target, &p)).unwrap_or_default())
    }

    pub(super) fn pull_diagnostics(&self, p: DocumentDiagnosticParams) -> HandlerResult {
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
        let items = diagnostics::for_file(&fa, file, self.enc, &|f| self.uri_of(&fa, f));
        Ok(json!({"kind": "full", "resultId": result_id, "items": items}))
    }
}
