//! The language server against clients that misbehave: unknown methods, documents never
//! opened, positions past the end, versions that go back, files deleted under an open buffer,
//! a client that goes away mid-request, and a burst of edits. Malformed JSON-RPC and panicking
//! handlers are covered in `tests/lsp.rs` (`stdio_skips_malformed_messages`,
//! `garbage_input_and_panics_do_not_stop_the_server`).

mod common;
#[path = "common/lsp_client.rs"]
mod lsp_client;

use std::time::{Duration, Instant};

use lsp_client::*;
use serde_json::{json, Value};

#[test]
fn unknown_methods() {
    let (mut client, _) = Client::start(PROJECT, Setup::default());
    let answer = client.request("djperm/noSuchThing", json!({"x": 1}));
    assert_eq!(answer["error"]["code"], -32601, "{answer}");
    // An unknown notification is ignored (`$/` ones are optional by the protocol; others too).
    client.notify("djperm/noSuchNotification", json!([1, 2, 3]));
    client.notify("$/setTrace", json!({"value": "verbose"}));
    let uri = client.open("blog/views.py");
    let diags = client.diagnostics("blog/views.py");
    assert_eq!(diags["uri"], uri.as_str());
    client.shutdown();
}

#[test]
fn requests_for_documents_never_opened() {
    let (mut client, _) = Client::start(PROJECT, Setup::default());
    // One open document, so that the folder is analysed.
    client.open("blog/models.py");
    client.diagnostics("blog/models.py");
    for uri in [
        client.uri("blog/views.py"),       // on disk, never opened
        client.uri("blog/nowhere.py"),     // not even on disk
        "untitled:Untitled-1".to_string(), // not a file
    ] {
        let at = json!({"textDocument": {"uri": uri}, "position": {"line": 5, "character": 30}});
        let range =
            json!({"start": {"line": 0, "character": 0}, "end": {"line": 5, "character": 0}});
        for (method, params, want) in [
            ("textDocument/hover", at.clone(), Value::Null),
            ("textDocument/definition", at.clone(), Value::Null),
            ("textDocument/completion", at.clone(), Value::Null),
            (
                "textDocument/codeAction",
                json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": []}}),
                json!([]),
            ),
        ] {
            assert_eq!(client.request(method, params), want, "{method} on {uri}");
        }
    }
    client.shutdown();
}

#[test]
fn positions_past_the_end() {
    let (mut client, _) = Client::start(PROJECT, Setup::default());
    let uri = client.open("blog/views.py");
    client.diagnostics("blog/views.py");
    let far = json!({"line": 10_000, "character": 10_000});
    let line_far = json!({"line": 2, "character": 10_000});
    for pos in [&far, &line_far] {
        let at = json!({"textDocument": {"uri": uri}, "position": pos});
        for method in [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/completion",
        ] {
            let answer = client.request(method, at.clone());
            assert!(answer.get("error").is_none(), "{method} at {pos}: {answer}");
        }
        // A range past the end, and one that ends before it starts.
        for range in [
            json!({"start": pos, "end": far}),
            json!({"start": far, "end": {"line": 0, "character": 0}}),
        ] {
            let answer = client.request(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": uri}, "range": range, "context": {"diagnostics": []}}),
            );
            assert!(answer.is_array(), "{answer}");
        }
    }
    // Still right afterwards.
    let hover = client.request(
        "textDocument/hover",
        client.at("blog/views.py", "blog.can_archive", 1),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("Unknown permission"),
        "{hover}"
    );
    client.shutdown();
}

/// Versions must increase (LSP); when a client sends one that does not, the server still
/// applies the change (its edits are the text the client shows: dropping them would leave the
/// buffer different from the editor's for good) and publishes for the version it was given.
/// Analyses are matched to buffers by the server's own revision, so an old analysis of a text
/// with the same version number is never taken for the current one.
#[test]
fn versions_that_repeat_or_go_back() {
    let (mut client, _) = Client::start(PROJECT, Setup::default());
    let uri = client.open("blog/views.py");
    client.diagnostics("blog/views.py");
    let change = |client: &mut Client, version: i32, changes: Value| {
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        );
    };
    // Version 5, then version 5 again with another text, then (later) version 2 editing it.
    change(
        &mut client,
        5,
        json!([{"text": "def v(request):\n    return request.user.has_perm('blog.can_archive')\n"}]),
    );
    change(
        &mut client,
        5,
        json!([{"text": "def v(request):\n    return request.user.has_perm('blog.can_publsh')\n"}]),
    );
    // The first publish for version 5 is of the second text: the analysis of the first one,
    // in flight when the second came, is not the buffer's any more although its version is.
    let five = client.notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri.as_str() && p["version"] == 5
    });
    assert!(!five.to_string().contains("can_archive"), "{five}");
    assert!(five.to_string().contains("can_publsh"), "{five}");
    change(
        &mut client,
        2,
        json!([{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "text": "# edited\n"}]),
    );
    // The last publish is for version 2 and the text with all three changes.
    let last = client.notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri.as_str() && p["version"] == 2
    });
    assert_eq!(codes(&last), ["2:33:DJP002"], "{last}");
    assert!(last["diagnostics"][0]["message"]
        .as_str()
        .unwrap()
        .contains("blog.can_publsh"));
    // And the buffer is that text: hover and the next edit work on it.
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 40}}),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .is_some_and(|v| v.contains("can_publsh")),
        "{hover}"
    );
    change(
        &mut client,
        6,
        json!([{"range": {"start": {"line": 2, "character": 43}, "end": {"line": 2, "character": 49}}, "text": "publish"}]),
    );
    let fixed = client.notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri.as_str() && p["version"] == 6
    });
    assert_eq!(codes(&fixed), Vec::<String>::new(), "{fixed}");
    client.shutdown();
}

#[test]
fn file_deleted_while_open_keeps_its_pushed_diagnostics() {
    // The pulled variant is `a_file_deleted_while_open` in tests/lsp.rs.
    let (mut client, _) = Client::start(PROJECT, Setup::default());
    let uri = client.open("blog/views.py");
    let before = codes(&client.diagnostics("blog/views.py"));
    assert!(!before.is_empty());
    std::fs::remove_file(client.root.join("blog/views.py")).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri, "type": 3}]}),
    );
    // An edit after the deletion: analysed from the buffer, same findings (one line lower).
    client.edit(
        "blog/views.py",
        &[json!({"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}}, "newText": "\n"})],
    );
    let after = client.notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri.as_str() && p["version"] == 2
    });
    let shifted: Vec<String> = before
        .iter()
        .map(|c| {
            let (line, rest) = c.split_once(':').unwrap();
            format!("{}:{rest}", line.parse::<u32>().unwrap() + 1)
        })
        .collect();
    assert_eq!(codes(&after), shifted);
    client.shutdown();
}

/// The real binary: the client closes its end while a request waits for an analysis.
#[test]
fn client_that_disappears_mid_request() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    write_project(dir.path(), PROJECT);
    let mut server = common::StdioServer::spawn(dir.path());
    server.initialize(dir.path());
    let uri = server.open(dir.path(), "blog/views.py");
    // Hover waits for the first analysis; the client is gone before the answer.
    server.send(
        json!({"jsonrpc": "2.0", "id": 7, "method": "textDocument/hover",
        "params": {"textDocument": {"uri": uri}, "position": {"line": 5, "character": 34}}}),
    );
    drop(server.stdin.take());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(10) {
            server.child.kill().unwrap();
            panic!("the server did not exit within 10 s of its client going away");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    eprintln!("server exited {:?} after the client left", start.elapsed());
    // No `shutdown` came: exit status 1, as the protocol asks; never a crash.
    assert!(matches!(status.code(), Some(0 | 1)), "{status:?}");
    let mut stderr = String::new();
    server
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!stderr.contains("panic"), "{stderr}");
}

/// The real binary: 1,000 edits as fast as the pipe takes them. The server answers a request
/// right after, publishes the last version's diagnostics last, and its memory stays bounded.
#[test]
fn burst_of_a_thousand_changes() {
    let dir = tempfile::tempdir().unwrap();
    write_project(dir.path(), PROJECT);
    let root = dir.path();
    let mut server = common::StdioServer::spawn(root);
    server.initialize(root);
    let uri = server.open(root, "blog/views.py");
    let first = server.read_until(|m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri.as_str()
    });
    let bug_line = first["params"]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["message"].as_str().unwrap().contains("blog.can_archive"))
        .map(|d| d["range"]["start"]["line"].as_u64().unwrap())
        .unwrap();
    let rss_before = server.rss_kb();
    const EDITS: i32 = 1000;
    for i in 0..EDITS {
        // Each edit adds a line at the top: every analysis of an old version would put the
        // findings on another line.
        server.send(json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": i + 2},
            "contentChanges": [{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                                "text": format!("x{i} = {i}\n")}]}}));
    }
    let sent = Instant::now();
    let last_version = EDITS + 1;
    server.send(json!({"jsonrpc": "2.0", "id": "after", "method": "textDocument/hover",
        "params": {"textDocument": {"uri": uri}, "position": {"line": bug_line + EDITS as u64, "character": 34}}}));
    // Read until the hover answer and the latest version's diagnostics have both come (the
    // hover waits for the analysis of the current text, so they come close together).
    let mut versions: Vec<i64> = Vec::new();
    let (mut hover, mut answered, mut last) = (Value::Null, None, Value::Null);
    while answered.is_none() || last["params"]["version"] != last_version {
        let m = server
            .read_until(|m| m["id"] == "after" || m["method"] == "textDocument/publishDiagnostics");
        if m["id"] == "after" {
            answered = Some(sent.elapsed());
            hover = m;
        } else {
            versions.push(m["params"]["version"].as_i64().unwrap());
            last = m;
        }
    }
    let answered = answered.unwrap();
    assert!(
        hover["result"]["contents"]["value"]
            .as_str()
            .is_some_and(|v| v.contains("blog.can_archive")),
        "{hover}"
    );
    assert!(
        last["params"]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["range"]["start"]["line"] == bug_line + EDITS as u64),
        "{last}"
    );
    // Then a round trip: no diagnostics for an older version may come after the latest's.
    server.send(json!({"jsonrpc": "2.0", "id": "sync", "method": "djperm/noSuchThing"}));
    let tail = server
        .read_until(|m| m["id"] == "sync" || m["method"] == "textDocument/publishDiagnostics");
    assert_eq!(
        tail["id"], "sync",
        "published after the latest version: {tail}"
    );
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    let rss_after = server.rss_kb();
    eprintln!(
        "burst: {EDITS} edits; hover answered {answered:?} after the last one; {} publishes (versions {versions:?}); VmRSS {rss_before} kB before, {rss_after} kB after",
        versions.len()
    );
    assert!(answered < Duration::from_secs(30), "{answered:?}");
    assert!(
        rss_after < rss_before + 200 * 1024,
        "{rss_before} kB → {rss_after} kB"
    );
    assert!(server.shutdown().success());
}
