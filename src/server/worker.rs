//! The analysis thread. It owns the disk side of every workspace folder (read once, then kept
//! current from watched-file and save events), overlays the open buffers it is handed, and runs
//! the same `analyze` as the CLI. The main loop keeps at most one job per folder in flight, so a
//! burst of edits costs one analysis of the latest text.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use globset::GlobSet;
use rustc_hash::{FxHashMap, FxHashSet};

use super::incremental::{edit_analysis, Latest, Previous};
use super::settings::ClientSettings;
use crate::config::{self, Config};
use crate::diagnostic::{FileId, Span};
use crate::discover;
use crate::facts::RefKind;
use crate::rules::verdict::Verdict;
use crate::workspace::disk_cache::{self, DiskCache};
use crate::workspace::{DjangoVersion, FactsCache, Snapshot};
use crate::{analyze_cached, analyze_cached_with_disk, Analysis, Selection};

/// An open buffer: unsaved text is the truth for its file.
#[derive(Clone, Debug)]
pub struct Overlay {
    pub path: String,
    pub text: String,
    /// The document's revision (see `session::Document::revision`).
    pub revision: u64,
}

pub struct Job {
    pub folder: usize,
    pub root: PathBuf,
    pub generation: u64,
    pub overlays: Vec<Overlay>,
    /// Relative paths changed on disk since the last job (re-read or dropped).
    pub disk_changes: Vec<String>,
    /// Re-read the whole tree and the config file.
    pub reload: bool,
    pub settings: ClientSettings,
}

/// A permission string at a reference, with what the rules decided about it.
#[derive(Debug)]
pub struct Site {
    pub span: Span,
    pub text: String,
    pub kind: RefKind,
    pub verdict: Verdict,
    /// How a project helper takes the string to a permission API.
    pub chain: Option<String>,
}

pub struct FolderAnalysis {
    pub folder: usize,
    pub generation: u64,
    pub analysis: Arc<Analysis>,
    /// Relative path → file in the analysis.
    pub files: FxHashMap<String, FileId>,
    /// Relative path → the buffer revision that was analysed (open documents only).
    pub revisions: FxHashMap<String, u64>,
    /// Per file: the permission strings of its references (for hover and definition; computed
    /// once, after the diagnostics went out).
    sites: OnceLock<Vec<Vec<Site>>>,
    pub config_error: Option<String>,
    pub elapsed: Duration,
}

impl FolderAnalysis {
    pub fn file(&self, rel: &str) -> Option<FileId> {
        self.files.get(rel).copied()
    }

    pub fn sites(&self) -> &[Vec<Site>] {
        self.sites.get_or_init(|| compute_sites(&self.analysis))
    }

    pub fn site_at(&self, file: FileId, offset: usize) -> Option<&Site> {
        let offset = offset as u32;
        self.sites()
            .get(file)?
            .iter()
            .filter(|s| s.span.start <= offset && offset <= s.span.end)
            .min_by_key(|s| s.span.end - s.span.start)
    }
}

pub enum Outcome {
    Done(Arc<FolderAnalysis>),
    /// A newer change made the job stale: it stopped early and gave nothing.
    Cancelled {
        folder: usize,
    },
    Failed {
        folder: usize,
        generation: u64,
        message: String,
    },
}

#[derive(Default)]
struct Disk {
    files: BTreeMap<String, String>,
    /// Files an ignore file hides (read for their definitions, never reported).
    ignored: FxHashSet<String>,
    /// The environment's packages the settings name, the site-packages directory and the
    /// Django version found on disk (`discover::add_environment`).
    env_files: Vec<(String, String)>,
    env_dir: Option<PathBuf>,
    django: Option<DjangoVersion>,
    config: Config,
    config_error: Option<String>,
    excludes: Option<GlobSet>,
    /// Facts of the last analysis: an edit re-parses only the files whose text changed.
    facts: FactsCache,
    /// The last analysis, for the edit path (`incremental`).
    previous: Option<Previous>,
}

/// Whether djperm reads this relative path (as `discover::load` does: Python files, templates
/// under `templates/`, JSON and YAML fixtures under `fixtures/`).
pub fn is_source(rel: &str) -> bool {
    let under =
        |dir: &str| rel.starts_with(&format!("{dir}/")) || rel.contains(&format!("/{dir}/"));
    rel.ends_with(".py")
        || ((rel.ends_with(".html") || rel.ends_with(".htm") || rel.ends_with(".txt"))
            && under("templates"))
        || ((rel.ends_with(".json") || rel.ends_with(".yaml")) && under("fixtures"))
}

fn excluded(rel: &str, user: Option<&GlobSet>) -> bool {
    let mut parts: Vec<&str> = rel.split('/').collect();
    parts.pop();
    parts.iter().any(|p| discover::DEFAULT_EXCLUDES.contains(p))
        || user.is_some_and(|g| g.is_match(rel))
}

fn load(root: &Path, settings: &ClientSettings) -> Disk {
    let (config, config_error) = match config::discover(root) {
        Ok(found) => (found.map(|(_, c)| c).unwrap_or_default(), None),
        Err(e) => (Config::default(), Some(e.to_string())),
    };
    let merged = settings.apply(&config);
    let (mut snapshot, _) = discover::load(root, &merged.exclude);
    // An environment named wrongly in the configuration is reported by the CLI; here it is
    // simply not read.
    let _ = discover::add_environment(&mut snapshot, &merged);
    let ignored = snapshot
        .files
        .iter()
        .filter(|f| f.ignored)
        .map(|f| f.path.clone())
        .collect();
    let (env_files, files): (Vec<_>, Vec<_>) = snapshot
        .files
        .into_iter()
        .map(|f| (f.path, f.text))
        .partition(|(p, _)| crate::workspace::in_environment(p));
    Disk {
        files: files.into_iter().collect(),
        ignored,
        env_files,
        env_dir: snapshot.env_dir,
        django: snapshot.django,
        config,
        config_error,
        excludes: Some(discover::excludes(&merged.exclude)),
        facts: FactsCache::default(),
        previous: None,
    }
}

/// The on-disk facts cache of `djperm check` for this folder, unless `DJPERM_NO_CACHE` is set.
fn check_cache(root: &Path, config: &Config) -> Option<DiskCache> {
    let off = std::env::var_os("DJPERM_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0");
    let dir = root.join(
        config
            .cache_dir
            .as_deref()
            .unwrap_or(disk_cache::DEFAULT_DIR),
    );
    (!off && dir.is_dir())
        .then(|| DiskCache::open_read_only(&dir, &disk_cache::build_fingerprint()))
}

fn refresh(disk: &mut Disk, root: &Path, rel: &str) {
    let abs = root.join(rel);
    match std::fs::read(&abs) {
        Ok(bytes) if is_source(rel) && !excluded(rel, disk.excludes.as_ref()) => {
            match discover::decode(bytes) {
                Ok(text) => {
                    disk.files.insert(rel.to_string(), text);
                }
                Err(_) => {
                    disk.files.remove(rel);
                }
            }
        }
        _ => {
            // Gone (or a directory that went away): drop it and everything under it.
            disk.files.remove(rel);
            let prefix = format!("{rel}/");
            disk.files.retain(|k, _| !k.starts_with(&prefix));
        }
    }
}

/// Build the folder's snapshot from the disk and the buffers (`files`) and analyse it, reusing
/// the facts of unchanged files (and, on the first build, those of `check`'s cache). It is
/// finished even when a newer change comes meanwhile: the next edit then takes the edit path
/// from it.
fn full_analysis(
    disk: &Disk,
    root: &Path,
    files: BTreeMap<&str, &str>,
    from_disk: Option<&DiskCache>,
    config: &Config,
    selection: &Selection,
) -> Analysis {
    let mut snapshot = Snapshot::new(root.to_path_buf());
    for (path, text) in files {
        let id = snapshot.add(path, text);
        snapshot.files[id].ignored = disk.ignored.contains(path);
    }
    for (path, text) in &disk.env_files {
        snapshot.add(path.clone(), text.clone());
    }
    snapshot.env_dir.clone_from(&disk.env_dir);
    snapshot.django.clone_from(&disk.django);
    match from_disk {
        Some(cache) => analyze_cached_with_disk(snapshot, config, selection, &disk.facts, cache),
        None => analyze_cached(snapshot, config, selection, &disk.facts),
    }
}

/// Analyse a folder for a job; `None` when a newer change made the job stale before it ended.
fn run_job(
    disks: &mut FxHashMap<usize, Disk>,
    job: Job,
    latest: &Latest,
) -> Option<FolderAnalysis> {
    let start = Instant::now();
    let cancelled = || latest.stale(job.folder, job.generation);
    let needs_reload = job.reload
        || !disks.contains_key(&job.folder)
        || job
            .disk_changes
            .iter()
            .any(|rel| job.root.join(rel).is_dir());
    // The first build of a folder may start from the facts `djperm check` left in its cache
    // directory (read only: the server never writes it).
    let mut from_disk = None;
    if needs_reload {
        let mut disk = load(&job.root, &job.settings);
        match disks.remove(&job.folder) {
            Some(old) => disk.facts = old.facts, // keyed by text: still valid for unchanged files
            None => from_disk = check_cache(&job.root, &disk.config),
        }
        disks.insert(job.folder, disk);
    }
    let disk = disks.get_mut(&job.folder).expect("loaded above");
    if !needs_reload {
        for rel in &job.disk_changes {
            refresh(disk, &job.root, rel);
        }
    }
    let config = job.settings.apply(&disk.config);
    let mut files: BTreeMap<&str, &str> = disk
        .files
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut revisions = FxHashMap::default();
    for o in &job.overlays {
        if is_source(&o.path) && !excluded(&o.path, disk.excludes.as_ref()) {
            files.insert(&o.path, &o.text);
            revisions.insert(o.path.clone(), o.revision);
        }
    }
    let selection = Selection::from_config(&config);
    let texts: Vec<(&str, &str)> = files.iter().map(|(k, v)| (*k, *v)).collect();
    let edited = match (&disk.previous, needs_reload) {
        (Some(previous), false) => edit_analysis(
            previous,
            &job.settings,
            &texts,
            &config,
            &selection,
            &cancelled,
        ),
        _ => None,
    };
    // Stale before it starts (or the edit path stopped for a newer change): leave it to the
    // next job.
    if edited.is_none() && cancelled() {
        return None;
    }
    let (analysis, files) = match edited {
        Some(analysis) => {
            // The same files as the previous analysis: only texts changed.
            let previous = disk
                .previous
                .as_ref()
                .expect("the edit path starts from it");
            (analysis, previous.analysis.files.clone())
        }
        None => {
            let analysis = full_analysis(
                disk,
                &job.root,
                files,
                from_disk.as_ref(),
                &config,
                &selection,
            );
            let files: FxHashMap<String, FileId> = analysis
                .ws
                .snapshot
                .files
                .iter()
                .enumerate()
                .map(|(i, f)| (f.path.clone(), i))
                .collect();
            (Arc::new(analysis), files)
        }
    };
    let analysed = start.elapsed();
    Some(FolderAnalysis {
        folder: job.folder,
        generation: job.generation,
        analysis,
        files,
        revisions,
        sites: OnceLock::new(),
        config_error: disk.config_error.clone(),
        elapsed: analysed,
    })
}

/// Every permission string of every reference with its verdict, by file.
fn compute_sites(analysis: &Analysis) -> Vec<Vec<Site>> {
    let mut sites: Vec<Vec<Site>> = (0..analysis.ws.snapshot.files.len())
        .map(|_| Vec::new())
        .collect();
    let mut ctx = crate::rules::Context::new(&analysis.ws, &analysis.index);
    let verdicts = std::mem::take(&mut ctx.verdicts);
    for (i, s, verdict) in verdicts {
        let kind = ctx.refs[i].reference.kind;
        let chain = ctx.refs[i].chain.clone();
        if let Some(list) = sites.get_mut(s.span.file) {
            list.push(Site {
                span: s.span,
                text: s.text,
                kind,
                verdict,
                chain,
            });
        }
    }
    sites
}

/// Start the analysis thread: jobs in, outcomes out. A panic in one analysis is reported as
/// `Outcome::Failed` and the folder is re-read from disk next time.
pub fn spawn(latest: Latest) -> (Sender<Job>, Receiver<Outcome>) {
    let (job_tx, job_rx) = crossbeam_channel::unbounded::<Job>();
    let (out_tx, out_rx) = crossbeam_channel::unbounded::<Outcome>();
    // Off the analysis thread, prepare what hover and definition read for the latest analysis
    // once no newer one came for a while (a request that comes first computes it itself;
    // `OnceLock` makes the other wait).
    let (sites_tx, sites_rx) = crossbeam_channel::unbounded::<Arc<FolderAnalysis>>();
    std::thread::Builder::new()
        .name("djperm-sites".into())
        .spawn(move || {
            while let Ok(mut fa) = sites_rx.recv() {
                // Once edits pause: while typing, the next analysis needs the cores.
                while let Ok(newer) = sites_rx.recv_timeout(Duration::from_millis(300)) {
                    fa = newer;
                }
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fa.sites().len()));
            }
        })
        .expect("spawn the sites thread");
    std::thread::Builder::new()
        .name("djperm-analysis".into())
        .spawn(move || {
            let mut disks: FxHashMap<usize, Disk> = FxHashMap::default();
            for job in job_rx {
                let (folder, generation) = (job.folder, job.generation);
                let settings = job.settings.clone();
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run_job(&mut disks, job, &latest)
                }));
                let mut done = None;
                let outcome = match result {
                    Ok(None) => Outcome::Cancelled { folder },
                    Ok(Some(fa)) => {
                        let fa = Arc::new(fa);
                        done = Some(fa.clone());
                        if let Some(disk) = disks.get_mut(&folder) {
                            disk.previous = Some(Previous {
                                analysis: fa.clone(),
                                settings,
                            });
                        }
                        Outcome::Done(fa)
                    }
                    Err(panic) => {
                        disks.remove(&folder);
                        Outcome::Failed {
                            folder,
                            generation,
                            message: super::panic_message(panic.as_ref()),
                        }
                    }
                };
                if out_tx.send(outcome).is_err() {
                    break;
                }
                if let Some(fa) = done {
                    let _ = sites_tx.send(fa);
                }
            }
        })
        .expect("spawn the analysis thread");
    (job_tx, out_rx)
}
