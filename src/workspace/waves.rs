//! The parses a build asks for after the reading: each file the import closure needs is parsed
//! as soon as the closure asks for it, not in rounds that wait for the slowest file of the
//! round. The closure runs on the calling thread between results; while it has nothing to do,
//! that thread parses too.

use std::path::Path;
use std::sync::mpsc::{channel, Receiver, Sender};

use super::disk_cache::DiskCache;
use super::facts_cache::{FactsCache, FactsKey};
use super::read::read_back;
use super::{Preparsed, Words};
use crate::diagnostic::FileId;
use crate::facts::FileFacts;
use crate::python::extract_python;

/// One file to parse, with everything the parse reads: a job borrows nothing from the
/// snapshot, which the calling thread goes on updating.
pub(super) struct Job {
    pub id: FileId,
    pub path: String,
    /// The text is on disk (a lean snapshot dropped it before).
    pub on_disk: bool,
    /// The text, taken from the snapshot: dropped after the parse (a lean snapshot's), or
    /// given back (`give_back`).
    pub text: Option<String>,
    pub give_back: bool,
    /// The words of a text dropped here, to leave behind.
    pub words: bool,
    /// Facts extracted while reading, used when made under the same module name.
    pub pre: Option<Box<Preparsed>>,
    pub module: String,
    pub is_package: bool,
}

pub(super) struct Parsed {
    pub id: FileId,
    pub facts: FileFacts,
    pub words: Option<Words>,
    /// The text a job was lent, back for the snapshot.
    pub text: Option<String>,
}

/// Parse one job: the facts read while reading, else the memory cache (the server's previous
/// build), then the disk cache (the command line's previous run), then the parser.
fn parse(job: Job, root: &Path, cache: Option<&FactsCache>, disk: Option<&DiskCache>) -> Parsed {
    let Job {
        id,
        path,
        on_disk,
        text,
        give_back,
        words,
        pre,
        module,
        is_package,
    } = job;
    let words = match &text {
        Some(text) if words && !give_back => Some(Words::of(text.as_bytes())),
        _ => None,
    };
    let done = |facts: FileFacts, text: Option<String>| Parsed {
        id,
        facts,
        words,
        text: text.filter(|_| give_back),
    };
    if let Some(pre) = pre.filter(|p| {
        cache.is_none() && p.id == id && p.module == module && p.is_package == is_package
    }) {
        return done(pre.facts, text);
    }
    // Unchanged by its stat: the disk cache's facts, the file left unread.
    let known = (text.is_none() && on_disk && cache.is_none())
        .then(|| disk?.known_facts(id, &path, &module, is_package))
        .flatten();
    if let Some(facts) = known {
        return done(facts, text);
    }
    let text = text.unwrap_or_else(|| read_back(root, &path));
    let parse = || match disk {
        Some(disk) => disk.facts(id, &path, &module, is_package, &text, || {
            extract_python(id, &text, &module, is_package)
        }),
        None => extract_python(id, &text, &module, is_package),
    };
    let facts = match cache {
        Some(cache) => {
            let key = FactsKey::new(id, &module, is_package, &text);
            cache.facts(&path, key, parse)
        }
        None => parse(),
    };
    done(facts, Some(text))
}

/// What a job sends back: its result, or the panic that ended it (raised again on the calling
/// thread, as a parallel iterator would, instead of leaving it waiting).
type Outcome = std::thread::Result<Parsed>;

/// Jobs running on the pool, their results coming back to the calling thread.
pub(super) struct Pipeline<'a> {
    root: &'a Path,
    cache: Option<&'a FactsCache>,
    disk: Option<&'a DiskCache>,
    sender: Sender<Outcome>,
    receiver: Receiver<Outcome>,
    running: usize,
}

impl<'a> Pipeline<'a> {
    pub fn new(root: &'a Path, cache: Option<&'a FactsCache>, disk: Option<&'a DiskCache>) -> Self {
        let (sender, receiver) = channel();
        Pipeline {
            root,
            cache,
            disk,
            sender,
            receiver,
            running: 0,
        }
    }

    /// Whether a job is still running (or its result not yet taken).
    pub fn busy(&self) -> bool {
        self.running > 0
    }

    pub fn spawn<'s>(&mut self, scope: &rayon::Scope<'s>, job: Job)
    where
        'a: 's,
    {
        let (root, cache, disk) = (self.root, self.cache, self.disk);
        self.spawn_work(scope, move || parse(job, root, cache, disk));
    }

    fn spawn_work<'s>(
        &mut self,
        scope: &rayon::Scope<'s>,
        work: impl FnOnce() -> Parsed + Send + 's,
    ) {
        self.running += 1;
        let sender = self.sender.clone();
        scope.spawn(move |_| {
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            // The receiver lives until every job is taken: a send cannot fail.
            let _ = sender.send(outcome);
        });
    }

    /// Every result ready, waiting (and parsing on this thread meanwhile) for at least one. A
    /// job that panicked panics here.
    pub fn results(&mut self) -> Vec<Parsed> {
        let mut out: Vec<Outcome> = Vec::new();
        while out.is_empty() && self.running > 0 {
            out.extend(self.receiver.try_iter());
            if !out.is_empty() {
                break;
            }
            match rayon::yield_now() {
                Some(rayon::Yield::Executed) => {}
                // Nothing left to take: every job runs on another thread.
                _ => out.extend(self.receiver.recv()),
            }
        }
        self.running -= out.len();
        out.into_iter()
            .map(|o| o.unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(id: FileId) -> Parsed {
        Parsed {
            id,
            facts: FileFacts::default(),
            words: None,
            text: None,
        }
    }

    #[test]
    fn every_result_comes_back() {
        let root = Path::new(".");
        let mut pipeline = Pipeline::new(root, None, None);
        let mut ids = Vec::new();
        rayon::in_place_scope(|scope| {
            for id in 0..50 {
                pipeline.spawn_work(scope, move || parsed(id));
            }
            while pipeline.busy() {
                ids.extend(pipeline.results().into_iter().map(|p| p.id));
            }
        });
        ids.sort_unstable();
        assert_eq!(ids, (0..50).collect::<Vec<_>>());
    }

    #[test]
    fn a_job_that_panics_panics_on_the_calling_thread() {
        let root = Path::new(".");
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut pipeline = Pipeline::new(root, None, None);
            rayon::in_place_scope(|scope| {
                pipeline.spawn_work(scope, || parsed(0));
                pipeline.spawn_work(scope, || panic!("a broken parse"));
                while pipeline.busy() {
                    pipeline.results();
                }
            });
        }));
        let message = caught.expect_err("the panic reaches the caller");
        assert_eq!(message.downcast_ref::<&str>(), Some(&"a broken parse"));
    }
}
