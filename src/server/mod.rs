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
mod notifications;
mod requests;
mod session;
mod settings;
pub mod text;
mod transport;
mod worker;

use std::any::Any;
use std::process::ExitCode;

use crossbeam_channel::select;
use lsp_server::{Connection, ErrorCode, Message, Response};

use session::Server;

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
    let (connection, writer) = transport::stdio();
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
    let mut server = Server::new(connection.sender.clone(), options);
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
