//! A spinner on stderr while djperm reads and analyses, only when stderr is a terminal and not
//! in CI; it appears after a short delay (quick runs show nothing) and is erased when done.

use std::io::{IsTerminal, Write};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

enum Msg {
    Stage(String),
    Done,
}

pub struct Progress {
    tx: Option<Sender<Msg>>,
    thread: Option<JoinHandle<()>>,
}

pub fn enabled() -> bool {
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    std::io::stderr().is_terminal() && !ci && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

impl Progress {
    pub fn start() -> Progress {
        if !enabled() {
            return Progress {
                tx: None,
                thread: None,
            };
        }
        let (tx, rx) = mpsc::channel::<Msg>();
        let thread = std::thread::spawn(move || {
            const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
            let start = Instant::now();
            let mut stage = String::new();
            let mut drawn = false;
            let mut frame = 0;
            loop {
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Ok(Msg::Stage(s)) => stage = s,
                    Ok(Msg::Done) | Err(RecvTimeoutError::Disconnected) => break,
                    Err(RecvTimeoutError::Timeout) => {}
                }
                let elapsed = start.elapsed();
                if elapsed < Duration::from_millis(400) {
                    continue;
                }
                frame = (frame + 1) % FRAMES.len();
                let mut err = std::io::stderr().lock();
                let _ = write!(
                    err,
                    "\r\x1b[2K{} djperm: {stage} ({:.1}s)",
                    FRAMES[frame],
                    elapsed.as_secs_f32()
                );
                let _ = err.flush();
                drawn = true;
            }
            if drawn {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[2K");
                let _ = err.flush();
            }
        });
        Progress {
            tx: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn set(&self, stage: &str) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Msg::Stage(stage.to_string()));
        }
    }

    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Msg::Done);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}
