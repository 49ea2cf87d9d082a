//! stdio for `djperm server`.

use std::io::{self, BufReader};

use lsp_server::{Connection, Message};

/// A stdio transport that survives garbage: a frame whose body is not a JSON-RPC message is
/// logged and skipped (lsp-server's own transport stops reading on the first one).
pub(super) fn stdio() -> (Connection, std::thread::JoinHandle<()>) {
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
