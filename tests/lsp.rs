//! The language server, in process: a client speaks JSON-RPC to `djperm::server` over
//! lsp-server's in-memory connection. Each test writes a small Django project to a temporary
//! directory (or copies a fixture), so it can edit and delete files.

mod common;
#[path = "common/lsp_client.rs"]
mod lsp_client;

use lsp_client::*;
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};

// ---- lifecycle --------------------------------------------------------------------------------

#[test]
fn initialize_negotiates_the_position_encoding() {
    for (offered, expected) in [
        (vec!["utf-16", "utf-8"], "utf-8"),
        (vec!["utf-32", "utf-16"], "utf-16"),
        (vec![], "utf-16"),
        (vec!["utf-32"], "utf-32"),
    ] {
        let (client, result) = Client::start(
            PROJECT,
            Setup {
                encodings: offered.clone(),
                ..Setup::default()
            },
        );
        assert_eq!(
            result["capabilities"]["positionEncoding"], expected,
            "{offered:?}"
        );
        client.shutdown();
    }
    let (client, result) = Client::start(PROJECT, Setup::default());
    snapshot("initialize_push", &result);
    client.shutdown();
    let (client, result) = Client::start(
        PROJECT,
        Setup {
            pull: true,
            ..Setup::default()
        },
    );
    assert_eq!(
        result["capabilities"]["diagnosticProvider"],
        json!({"identifier": "djperm", "interFileDependencies": true, "workspaceDiagnostics": false})
    );
    client.shutdown();
}

#[test]
fn exit_without_shutdown_is_an_error_exit_and_watchers_are_registered() {
    let (mut client, _) = Client::start(PROJECT, Setup::default());
    client.open("blog/views.py");
    client.diagnostics("blog/views.py");
    let registration = client
        .server_requests
        .iter()
        .find(|r| r.method == "client/registerCapability")
        .expect("file watchers registered")
        .params
        .clone();
    snapshot("register_watchers", &registration);
    client.notify("exit", Value::Null);
    let clean = client.server.take().unwrap().join().unwrap().unwrap();
    assert!(!clean);
}

// ---- diagnostics ------------------------------------------------------------------------------

#[test]
fn push_diagnostics_in_both_encodings() {
    for (enc, name) in [
        ("utf-8", "push_diagnostics_utf8"),
        ("utf-16", "push_diagnostics_utf16"),
    ] {
        let (mut client, _) = Client::start(
            PROJECT,
            Setup {
                encodings: vec![enc],
                ..Setup::default()
            },
        );
        client.open("blog/views.py");
        let diags = client.diagnostics("blog/views.py");
        snapshot(name, &client.redact(diags));
        client.shutdown();
    }
}

#[test]
fn template_diagnostics() {
    let (mut client, _) = Client::start(PROJECT, Setup::default());
    client.open("blog/templates/blog/post.html");
    let diags = client.diagnostics("blog/templates/blog/post.html");
    assert_eq!(codes(&diags), ["1:12:DJP002"]);
    client.shutdown();
}

#[test]
fn pull_diagnostics() {
    let (mut client, _) = Client::start(
        PROJECT,
        Setup {
            pull: true,
            ..Setup::default()
        },
    );
    let uri = client.open("blog/views.py");
    let report = client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri}}),
    );
    snapshot("pull_diagnostics", &client.redact(report.clone()));
    // Nothing changed: the same result id comes back as `unchanged`.
    let again = client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri}, "previousResultId": report["resultId"]}),
    );
    assert_eq!(
        again,
        json!({"kind": "unchanged", "resultId": report["resultId"]})
    );
    // An edit to models.py changes views.py: the server asks the client to pull again.
    client.open("blog/models.py");
    client.edit(
        "blog/models.py",
        &[json!({"range": {"start": client.pos("blog/models.py", "        ]", 0), "end": client.pos("blog/models.py", "        ]", 0)},
                 "newText": "            (\"can_archive\", \"Can archive\"),\n"})],
    );
    let refreshed = client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri}, "previousResultId": report["resultId"]}),
    );
    assert_eq!(refreshed["kind"], "full");
    assert!(
        !codes(&refreshed).iter().any(|c| c.starts_with("5:")),
        "{refreshed}"
    );
    assert!(client
        .server_requests
        .iter()
        .any(|r| r.method == "workspace/diagnostic/refresh"));
    // No push in pull mode.
    assert!(client
        .backlog
        .iter()
        .all(|n| n.method != "textDocument/publishDiagnostics"));
    client.shutdown();
}

/// The server answers what the CLI answers: every diagnostic of the rules fixture, same file,
/// row, column (utf-32 characters = the CLI's Unicode columns) and code.
#[test]
fn same_diagnostics_as_the_cli() {
    let fixture = common::fixtures().join("rules_positive");
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture, dir.path());
    let analysis = common::analyze_dir(&fixture);
    let mut expected: Vec<String> = analysis
        .diagnostics
        .iter()
        .map(|d| {
            let j = djperm::output::json::convert(&analysis.ws, d);
            let rel = analysis.ws.path(d.span.file).to_string();
            format!("{rel}:{}:{} {}", j.location.row, j.location.column, d.code)
        })
        .collect();
    expected.sort();
    let mut files: Vec<String> = analysis
        .diagnostics
        .iter()
        .map(|d| analysis.ws.path(d.span.file).to_string())
        .collect();
    files.sort();
    files.dedup();
    let (mut client, _) = Client::start_in(
        dir,
        Setup {
            encodings: vec!["utf-32"],
            ..Setup::default()
        },
    );
    let mut got = Vec::new();
    for rel in &files {
        client.open(rel);
        let diags = client.diagnostics(rel);
        for d in diags["diagnostics"].as_array().unwrap() {
            let start = &d["range"]["start"];
            got.push(format!(
                "{rel}:{}:{} {}",
                start["line"].as_u64().unwrap() + 1,
                start["character"].as_u64().unwrap() + 1,
                d["code"].as_str().unwrap()
            ));
        }
    }
    got.sort();
    assert_eq!(got, expected);
    assert_eq!(got.len(), 20);
    client.shutdown();
}

#[test]
fn settings_from_initialization_options_and_configuration_changes() {
    let (mut client, _) = Client::start(
        PROJECT,
        Setup {
            init_options: json!({"ignore": ["DJP006"]}),
            ..Setup::default()
        },
    );
    client.open("blog/views.py");
    let diags = client.diagnostics("blog/views.py");
    assert!(
        !codes(&diags).iter().any(|c| c.ends_with("DJP006")),
        "{diags}"
    );
    assert_eq!(codes(&diags).len(), 3);
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"djperm": {"extraPermissions": ["blog.can_archive"], "select": ["DJP002"]}}}),
    );
    let diags = client.diagnostics("blog/views.py");
    assert_eq!(codes(&diags), ["11:50:DJP002"]);
    client.shutdown();
}

// ---- editing ----------------------------------------------------------------------------------

#[test]
fn reindex_after_a_models_edit() {
    let (mut client, _) = Client::start(PROJECT, Setup::default());
    client.open("blog/views.py");
    let before = client.diagnostics("blog/views.py");
    assert!(
        codes(&before).contains(&"5:29:DJP002".to_string()),
        "{before}"
    );
    client.open("blog/models.py");
    client.diagnostics("blog/models.py");
    // Unsaved: the buffer is the truth.
    let at = client.pos("blog/models.py", "        ]", 0);
    client.edit(
        "blog/models.py",
        &[json!({"range": {"start": at, "end": at}, "newText": "            (\"can_archive\", \"Can archive\"),\n"})],
    );
    let after = client.diagnostics("blog/views.py");
    assert!(
        !codes(&after).contains(&"5:29:DJP002".to_string()),
        "{after}"
    );
    assert_eq!(codes(&after).len(), codes(&before).len() - 1);
    // Closing the unsaved buffer: the disk is the truth again.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": client.uri("blog/models.py")}}),
    );
    let reverted = client.diagnostics("blog/views.py");
    assert_eq!(codes(&reverted), codes(&before));
    client.shutdown();
}

#[test]
fn watched_file_changes_reindex() {
    let (mut client, _) = Client::start(PROJECT, Setup::default());
    client.open("blog/views.py");
    client.diagnostics("blog/views.py");
    let models = client.root.join("blog/models.py");
    let text = std::fs::read_to_string(&models).unwrap().replace(
        "        ]",
        "            (\"can_archive\", \"Can archive\"),\n        ]",
    );
    std::fs::write(&models, text).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": client.uri("blog/models.py"), "type": 2}]}),
    );
    let after = client.diagnostics("blog/views.py");
    assert!(
        !codes(&after).contains(&"5:29:DJP002".to_string()),
        "{after}"
    );
    client.shutdown();
}

#[test]
fn a_file_deleted_while_open() {
    let (mut client, _) = Client::start(
        PROJECT,
        Setup {
            pull: true,
            ..Setup::default()
        },
    );
    let views = client.open("blog/views.py");
    let pull = |client: &mut Client| {
        let report = client.request(
            "textDocument/diagnostic",
            json!({"textDocument": {"uri": views}}),
        );
        codes(&report)
    };
    let before = pull(&mut client);
    // models.py is open, then deleted on disk: its buffer still defines the permissions.
    client.open("blog/models.py");
    std::fs::remove_file(client.root.join("blog/models.py")).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": client.uri("blog/models.py"), "type": 3}]}),
    );
    assert_eq!(pull(&mut client), before);
    // Closed: it is gone, and so is blog's `Meta.permissions`.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": client.uri("blog/models.py")}}),
    );
    let after = pull(&mut client);
    assert!(after.contains(&"3:21:DJP002".to_string()), "{after:?}");
    // views.py itself deleted while open: still diagnosed from the buffer.
    std::fs::remove_file(client.root.join("blog/views.py")).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": views, "type": 3}]}),
    );
    assert_eq!(pull(&mut client), after);
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": views}}),
    );
    let report = client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": views}}),
    );
    assert_eq!(report, json!({"kind": "full", "items": []}));
    client.shutdown();
}

// ---- code actions -----------------------------------------------------------------------------

fn code_actions(client: &mut Client, rel: &str, diags: &Value, only: Option<&[&str]>) -> Value {
    let uri = client.uri(rel);
    let end = client.pos(rel, "", client.text(rel).len());
    let mut context = json!({"diagnostics": diags["diagnostics"]});
    if let Some(only) = only {
        context["only"] = json!(only);
    }
    client.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": uri},
            "range": {"start": {"line": 0, "character": 0}, "end": end},
            "context": context,
        }),
    )
}

/// Actions as a reader reviews them: title, kind, preferred/disabled, the codes they fix and
/// their edits.
fn summary(client: &Client, actions: &Value) -> Value {
    let list = actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let codes: Vec<&Value> = a["diagnostics"]
                .as_array()
                .map(|d| d.iter().map(|d| &d["code"]).collect())
                .unwrap_or_default();
            let edits: Vec<String> = a["edit"]["changes"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.iter())
                .flat_map(|(uri, edits)| {
                    let uri = uri.replace(&client.root_uri, "");
                    edits.as_array().unwrap().iter().map(move |e| {
                        let (s, t) = (&e["range"]["start"], &e["range"]["end"]);
                        format!(
                            "{uri} {}:{}-{}:{} {}",
                            s["line"], s["character"], t["line"], t["character"], e["newText"]
                        )
                    })
                })
                .collect();
            json!({
                "title": a["title"],
                "kind": a["kind"],
                "isPreferred": a["isPreferred"],
                "disabled": a["disabled"],
                "fixes": codes,
                "edits": edits,
            })
        })
        .collect();
    Value::Array(list)
}

fn action<'a>(actions: &'a Value, title_start: &str) -> &'a Value {
    actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with(title_start))
        .unwrap_or_else(|| panic!("no action `{title_start}…` in {actions:#}"))
}

fn edits_of(client: &Client, action: &Value, rel: &str) -> Vec<Value> {
    action["edit"]["changes"][client.uri(rel)]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn code_actions_quick_fixes_noqa_and_fix_all() {
    for enc in ["utf-8", "utf-16"] {
        let (mut client, _) = Client::start(
            PROJECT,
            Setup {
                encodings: vec![enc],
                ..Setup::default()
            },
        );
        client.open("blog/views.py");
        let diags = client.diagnostics("blog/views.py");
        let actions = code_actions(&mut client, "blog/views.py", &diags, None);
        if enc == "utf-16" {
            snapshot("code_actions", &summary(&client, &actions));
            // The diagnostic a quick fix names carries its fix in `data`.
            snapshot("code_action_full", &client.redact(actions[0].clone()));
        }
        // The typo fix on the line with non-ASCII text before it: the edit lands right in
        // either encoding.
        let fix = action(
            &actions,
            "Replace with `blog.can_publish` (changes who is granted access)",
        );
        let edits = edits_of(&client, fix, "blog/views.py");
        client.edit("blog/views.py", &edits);
        assert!(client
            .text("blog/views.py")
            .contains("label = \"é🎉\"; denied = request.user.has_perm(\"blog.can_publish\")"));
        let diags = client.diagnostics("blog/views.py");
        assert_eq!(codes(&diags).len(), 3, "{diags}");
        // Fix all: the safe DJP006 fix only.
        let fix_all = code_actions(
            &mut client,
            "blog/views.py",
            &diags,
            Some(&["source.fixAll"]),
        );
        assert_eq!(fix_all.as_array().unwrap().len(), 1, "{fix_all}");
        assert_eq!(fix_all[0]["kind"], "source.fixAll.djperm");
        let edits = edits_of(&client, &fix_all[0], "blog/views.py");
        client.edit("blog/views.py", &edits);
        assert!(client
            .text("blog/views.py")
            .contains("request.user.has_perms((\"blog.add_post\",))"));
        let diags = client.diagnostics("blog/views.py");
        assert_eq!(codes(&diags), ["5:29:DJP002", "7:29:DJP001"]);
        // Disable DJP002 for its line.
        let actions = code_actions(&mut client, "blog/views.py", &diags, Some(&["quickfix"]));
        let noqa = action(&actions, "Disable DJP002 for this line");
        let edits = edits_of(&client, noqa, "blog/views.py");
        client.edit("blog/views.py", &edits);
        assert!(client
            .text("blog/views.py")
            .contains("if request.user.has_perm(\"blog.can_archive\"):  # noqa: DJP002\n"));
        let diags = client.diagnostics("blog/views.py");
        assert_eq!(codes(&diags), ["7:29:DJP001"]);
        client.shutdown();
    }
}

#[test]
fn code_actions_for_clients_that_drop_data_and_in_templates() {
    let (mut client, _) = Client::start(PROJECT, Setup::default());
    let rel = "blog/templates/blog/post.html";
    client.open(rel);
    let mut diags = client.diagnostics(rel);
    for d in diags["diagnostics"].as_array_mut().unwrap() {
        d.as_object_mut().unwrap().remove("data");
    }
    let actions = code_actions(&mut client, rel, &diags, None);
    snapshot("code_actions_template", &summary(&client, &actions));
    let noqa = action(&actions, "Disable DJP002 for this line");
    let edits = edits_of(&client, noqa, rel);
    client.edit(rel, &edits);
    assert!(client
        .text(rel)
        .contains("{% endif %} {# noqa: DJP002 #}\n"));
    let diags = client.diagnostics(rel);
    assert_eq!(codes(&diags), Vec::<String>::new());
    client.shutdown();
}

// ---- hover, definition, completion ------------------------------------------------------------

#[test]
fn hover() {
    let (mut client, _) = Client::start(PROJECT, Setup::default());
    client.open("blog/views.py");
    client.open("blog/templates/blog/post.html");
    let mut out = serde_json::Map::new();
    for (name, rel, needle, shift) in [
        ("meta", "blog/views.py", "blog.can_publish\")\ndef", 3),
        (
            "unknown_with_suggestion",
            "blog/views.py",
            "blog.can_publsh",
            0,
        ),
        ("unknown", "blog/views.py", "blog.can_archive", 5),
        ("missing_label", "blog/views.py", "\"can_publish\"", 1),
        ("default_action", "blog/views.py", "blog.add_post", 2),
        ("contrib", "blog/views.py", "auth.change_user", 2),
        ("noqa_code", "blog/views.py", "DJP005", 3),
        (
            "template",
            "blog/templates/blog/post.html",
            "perms.blog.can_pubish",
            8,
        ),
        ("not_a_permission", "blog/views.py", "é🎉", 0),
    ] {
        let result = client.request("textDocument/hover", client.at(rel, needle, shift));
        out.insert(name.to_string(), client.redact(result));
    }
    let out = Value::Object(out);
    // The noqa hover is the rule doc.
    assert!(out["noqa_code"]["contents"]["value"]
        .as_str()
        .unwrap()
        .starts_with("# stale-permission-cache (DJP005)"));
    let mut out = out;
    out["noqa_code"]["contents"]["value"] = json!("<rules/DJP005.md>");
    snapshot("hover", &out);
    client.shutdown();
}

#[test]
fn definition() {
    let (mut client, _) = Client::start(PROJECT, Setup::default());
    client.open("blog/views.py");
    let meta = client.request(
        "textDocument/definition",
        client.at("blog/views.py", "blog.can_publish", 1),
    );
    let default = client.request(
        "textDocument/definition",
        client.at("blog/views.py", "blog.add_post", 1),
    );
    let contrib = client.request(
        "textDocument/definition",
        client.at("blog/views.py", "auth.change_user", 1),
    );
    let nothing = client.request(
        "textDocument/definition",
        client.at("blog/views.py", "label", 0),
    );
    snapshot(
        "definition",
        &client.redact(
            json!({"meta": meta, "default": default, "contrib": contrib, "nothing": nothing}),
        ),
    );
    // The Meta entry it points at is the `("can_publish", …)` tuple.
    let models = std::fs::read_to_string(client.root.join("blog/models.py")).unwrap();
    let line = meta["range"]["start"]["line"].as_u64().unwrap() as usize;
    assert!(models
        .lines()
        .nth(line)
        .unwrap()
        .contains("(\"can_publish\""));
    client.shutdown();
}

#[test]
fn completion() {
    let (mut client, _) = Client::start(PROJECT, Setup::default());
    client.open("blog/views.py");
    client.diagnostics("blog/views.py");
    // Type `has_perm("blog.` on a new line.
    let at = client.pos("blog/views.py", "    return label", 0);
    client.edit(
        "blog/views.py",
        &[json!({"range": {"start": at, "end": at}, "newText": "    request.user.has_perm(\"blog.\")\n"})],
    );
    let result = client.request(
        "textDocument/completion",
        client.at("blog/views.py", "has_perm(\"blog.\")", 14),
    );
    let labels: Vec<&str> = result["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"blog.can_publish"));
    assert!(labels.contains(&"auth.change_user"));
    // The file's own app first, then the others, each sorted.
    assert!(labels[0].starts_with("blog."), "{labels:?}");
    let items: Vec<String> = result["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{} — {}",
                i["label"].as_str().unwrap(),
                i["detail"].as_str().unwrap()
            )
        })
        .collect();
    snapshot(
        "completion_python",
        &json!({"first": result["items"][0], "items": items, "isIncomplete": result["isIncomplete"]}),
    );
    // Templates: `{% if perms.` … `%}`.
    let rel = "blog/templates/blog/post.html";
    client.open(rel);
    let end = client.pos(rel, "</h1>\n", 6);
    client.edit(
        rel,
        &[json!({"range": {"start": end, "end": end}, "newText": "{% if perms.bl %}{% endif %}\n"})],
    );
    let result = client.request("textDocument/completion", client.at(rel, "perms.bl ", 8));
    let item = result["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "blog.can_publish")
        .unwrap();
    snapshot("completion_template_item", item);
    // Not in a permission sink: nothing.
    let none = client.request(
        "textDocument/completion",
        client.at("blog/views.py", "é🎉", 0),
    );
    assert_eq!(none, Value::Null);
    client.shutdown();
}

// ---- robustness -------------------------------------------------------------------------------

#[test]
fn garbage_input_and_panics_do_not_stop_the_server() {
    let (server_conn, client_conn) = Connection::memory();
    let server = std::thread::spawn(move || {
        djperm::server::run_connection(
            server_conn,
            djperm::server::Options {
                test_requests: true,
            },
        )
    });
    // Before initialize: requests are refused, notifications ignored.
    client_conn
        .sender
        .send(Request::new(RequestId::from(1), "textDocument/hover".into(), json!({})).into())
        .unwrap();
    client_conn
        .sender
        .send(Notification::new("textDocument/didOpen".into(), json!(42)).into())
        .unwrap();
    match client_conn.receiver.recv_timeout(TIMEOUT).unwrap() {
        Message::Response(r) => assert_eq!(r.response_result.unwrap_err().code, -32002),
        other => panic!("{other:?}"),
    }
    drop(client_conn);
    assert!(
        server.join().unwrap().is_err(),
        "client gone before initialize"
    );

    let (mut client, _) = Client::start(PROJECT, Setup::default());
    let uri = client.open("blog/views.py");
    client.diagnostics("blog/views.py");
    let mut answers = serde_json::Map::new();
    for (name, method, params) in [
        ("unknown_method", "textDocument/rename", json!({})),
        (
            "bad_params",
            "textDocument/hover",
            json!({"textDocument": 7}),
        ),
        (
            "not_open",
            "textDocument/hover",
            json!({"textDocument": {"uri": "file:///nowhere.py"}, "position": {"line": 0, "character": 0}}),
        ),
        (
            "past_the_end",
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 9999, "character": 9999}}),
        ),
        (
            "not_a_file",
            "textDocument/completion",
            json!({"textDocument": {"uri": "untitled:1"}, "position": {"line": 0, "character": 0}}),
        ),
        ("panic", "djperm/panic", json!(null)),
    ] {
        answers.insert(name.into(), client.request(method, params));
    }
    snapshot("garbage_answers", &Value::Object(answers));
    // Garbage notifications: ignored.
    client.notify("textDocument/didChange", json!({"textDocument": {"uri": "file:///nowhere.py", "version": 3}, "contentChanges": [{"text": "x"}]}));
    client.notify("textDocument/didChange", json!("garbage"));
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": 5}]}),
    );
    client.notify("$/unknown", json!({}));
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": null}),
    );
    // A range past the end of the document clamps.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 500, "character": 0}, "end": {"line": 600, "character": 3}}, "text": "\n# end\n"}
        ]}),
    );
    // Still answering, and still right.
    let hover = client.request(
        "textDocument/hover",
        client.at("blog/views.py", "blog.can_archive", 1),
    );
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("Unknown permission"));
    client.shutdown();
}

/// The real binary over stdio: malformed frames are skipped, then a normal session.
#[test]
fn stdio_skips_malformed_messages() {
    use std::io::Read;

    let dir = tempfile::tempdir().unwrap();
    let mut server = common::StdioServer::spawn(dir.path());
    server.send_raw("{not json");
    server.send_raw("{\"jsonrpc\": \"2.0\", \"what\": 1}");
    server.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}),
    );
    let init = server.read();
    assert_eq!(init["id"], 1);
    assert_eq!(init["result"]["serverInfo"]["name"], "djperm");
    let mut stderr = server.child.stderr.take().unwrap();
    let status = server.shutdown();
    assert!(status.success(), "{status:?}");
    let mut log = String::new();
    stderr.read_to_string(&mut log).unwrap();
    assert_eq!(
        log.matches("skipped a malformed message").count(),
        2,
        "{log}"
    );
}

/// Several apps define `can_export`: the core's display-only fix becomes one quick fix per
/// candidate label, for the user to pick.
#[test]
fn one_quick_fix_per_candidate() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&common::fixtures().join("rules_positive"), dir.path());
    let (mut client, _) = Client::start_in(dir, Setup::default());
    client.open("blog/views.py");
    let mut diags = client.diagnostics("blog/views.py");
    diags["diagnostics"]
        .as_array_mut()
        .unwrap()
        .retain(|d| d["range"]["start"]["line"] == 25);
    let actions = code_actions(&mut client, "blog/views.py", &diags, Some(&["quickfix"]));
    snapshot("code_actions_candidates", &summary(&client, &actions));
    client.shutdown();
}

/// A client whose workspace folder is a sub-directory of the project (Eglot without a VCS
/// root, an editor opened on one app) gets the same diagnostics as one opened on the project:
/// the server analyses the project around the folder, as `djperm check` does.
#[test]
fn a_workspace_folder_inside_the_project_gets_the_whole_project() {
    let (mut whole, _) = Client::start(PROJECT, Setup::default());
    whole.open("blog/views.py");
    let expected = codes(&whole.diagnostics("blog/views.py"));
    whole.shutdown();
    assert!(expected.len() >= 4, "{expected:?}");
    let (mut client, _) = Client::start(
        PROJECT,
        Setup {
            folder: Some("blog"),
            ..Setup::default()
        },
    );
    client.open("blog/views.py");
    assert_eq!(codes(&client.diagnostics("blog/views.py")), expected);
    client.open("blog/templates/blog/post.html");
    assert_eq!(
        codes(&client.diagnostics("blog/templates/blog/post.html")),
        ["1:12:DJP002"]
    );
    client.shutdown();
}

/// Eglot sends `{"settings": {}}` and Neovim ≥ 0.11 (the shipped `lsp/djperm.lua`)
/// `{"settings": {"djperm": {}}}` right after start: the `initializationOptions` stay in force,
/// and a later change replaces only the keys it names.
#[test]
fn empty_configuration_changes_keep_the_initialization_options() {
    for empty in [json!({}), json!({"djperm": {}})] {
        let (mut client, _) = Client::start(
            PROJECT,
            Setup {
                init_options: json!({"ignore": ["DJP006"]}),
                ..Setup::default()
            },
        );
        client.notify(
            "workspace/didChangeConfiguration",
            json!({ "settings": empty }),
        );
        client.open("blog/views.py");
        let diags = client.diagnostics("blog/views.py");
        assert!(
            !codes(&diags).iter().any(|c| c.ends_with("DJP006")),
            "{empty}: {diags}"
        );
        assert_eq!(codes(&diags).len(), 3, "{empty}: {diags}");
        // A key that is sent replaces its value.
        client.notify(
            "workspace/didChangeConfiguration",
            json!({"settings": {"djperm": {"ignore": []}}}),
        );
        let diags = client.diagnostics("blog/views.py");
        assert!(
            codes(&diags).iter().any(|c| c.ends_with("DJP006")),
            "{empty}: {diags}"
        );
        client.shutdown();
    }
}
