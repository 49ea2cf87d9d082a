//! A deterministic synthetic Django monorepo for benchmarks and tests.
//!
//! ```sh
//! cargo run --release --example gen_project -- --apps 200 --models 4 --out /tmp/mono [--seed 7] [--bugs 40]
//! ```
//!
//! `DIR/manage.py` names `acme.settings`; each app `acme/<app>/` has `apps.py` (some with a
//! custom label), `models.py` (an abstract base from `acme.core`, `Meta.permissions`), a
//! migration history (`0001` CreateModel, `0002` AlterModelOptions adding a permission,
//! sometimes `0003` RenameModel, `0004` AddField), views with `has_perm` / `permission_required` /
//! `PermissionRequiredMixin`, templates with `perms.x.y`, tests with `Permission` lookups, and
//! filler modules (utils, services, forms, serializers, admin, urls, a management command…),
//! about 25 files per app. The project migrates with real Django.
//!
//! Injected bugs (one kind after another, in apps spread by the seed): a typo in a permission
//! (DJP002), a permission without its app label (DJP001), a `Meta.permissions` entry no
//! migration records (DJP004), `has_perms` given a string (DJP006). `DIR/EXPECTED.json` lists
//! them (`code`, `file`, `line`); djperm must report exactly these.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[path = "checks.rs"]
mod checks;
#[path = "definitions.rs"]
mod definitions;
#[path = "filler.rs"]
mod filler;

const WORDS: &[&str] = &[
    "catalog",
    "orders",
    "billing",
    "inventory",
    "shipping",
    "accounts",
    "reviews",
    "payments",
    "reports",
    "search",
    "notifications",
    "pricing",
    "warehouse",
    "suppliers",
    "returns",
    "loyalty",
    "support",
    "content",
    "marketing",
    "analytics",
    "checkout",
    "channels",
    "discounts",
    "gifts",
    "taxes",
    "invoices",
    "media",
    "pages",
    "menus",
    "webhooks",
    "plugins",
    "exports",
    "imports",
    "audit",
    "tenants",
    "teams",
    "projects",
    "tickets",
    "calendar",
    "documents",
];

const NOUNS: &[&str] = &[
    "Product",
    "Order",
    "Invoice",
    "Customer",
    "Shipment",
    "Review",
    "Payment",
    "Report",
    "Voucher",
    "Address",
    "Ticket",
    "Category",
    "Supplier",
    "Refund",
    "Coupon",
    "Article",
    "Campaign",
    "Channel",
    "Document",
    "Project",
    "Task",
    "Event",
    "Webhook",
    "Attachment",
];

/// splitmix64: small, fast, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// A file being written, with the 1-based number of the next line.
#[derive(Default)]
struct Lines(String);

impl Lines {
    fn line(&mut self, text: &str) -> usize {
        let n = self.0.matches('\n').count() + 1;
        self.0.push_str(text);
        self.0.push('\n');
        n
    }

    fn text(&mut self, text: &str) {
        self.0.push_str(text);
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Bug {
    Typo,
    MissingLabel,
    Unmigrated,
    HasPermsString,
}

impl Bug {
    const ALL: [Bug; 4] = [
        Bug::Typo,
        Bug::MissingLabel,
        Bug::Unmigrated,
        Bug::HasPermsString,
    ];

    fn code(self) -> &'static str {
        match self {
            Bug::Typo => "DJP002",
            Bug::MissingLabel => "DJP001",
            Bug::Unmigrated => "DJP004",
            Bug::HasPermsString => "DJP006",
        }
    }
}

struct Model {
    class: String,
    /// Lowercase model name (final).
    name: String,
    /// The class name in `0001` when a later migration renames it.
    legacy: Option<String>,
    /// Custom permissions created by `0001`.
    initial: Vec<(String, String)>,
    /// Added by `0002` AlterModelOptions.
    added: Vec<(String, String)>,
}

impl Model {
    fn perms(&self) -> Vec<(String, String)> {
        self.initial.iter().chain(&self.added).cloned().collect()
    }
}

struct App {
    /// Last component of the package name.
    name: String,
    label: String,
    custom_label: bool,
    models: Vec<Model>,
    /// Index of an earlier app whose first model the first model here points to.
    fk_to: Option<usize>,
    bugs: Vec<Bug>,
}

struct Found {
    code: &'static str,
    file: String,
    line: usize,
}

struct Gen {
    out: PathBuf,
    rng: Rng,
    files: usize,
    bytes: usize,
    found: Vec<Found>,
}

impl Gen {
    fn write(&mut self, rel: &str, text: &str) {
        let path = self.out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create directory");
        }
        std::fs::write(&path, text).expect("write file");
        self.files += 1;
        self.bytes += text.len();
    }

    fn bug(&mut self, bug: Bug, file: &str, line: usize) {
        self.found.push(Found {
            code: bug.code(),
            file: file.to_string(),
            line,
        });
    }
}

struct Args {
    apps: usize,
    models: usize,
    out: PathBuf,
    seed: u64,
    bugs: Option<usize>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        apps: 20,
        models: 4,
        out: PathBuf::new(),
        seed: 1,
        bugs: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--apps" => args.apps = value()?.parse().map_err(|e| format!("--apps: {e}"))?,
            "--models" => args.models = value()?.parse().map_err(|e| format!("--models: {e}"))?,
            "--seed" => args.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--bugs" => args.bugs = Some(value()?.parse().map_err(|e| format!("--bugs: {e}"))?),
            "--out" => args.out = PathBuf::from(value()?),
            "-h" | "--help" => {
                return Err(
                    "usage: gen_project --apps N --models M --out DIR [--seed S] [--bugs K]".into(),
                )
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if args.out.as_os_str().is_empty() {
        return Err("--out DIR is required".into());
    }
    if args.apps == 0 || args.models == 0 || args.models > NOUNS.len() {
        return Err(format!(
            "--apps must be ≥ 1 and --models between 1 and {}",
            NOUNS.len()
        ));
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gen_project: {e}");
            std::process::exit(2);
        }
    };
    let summary = generate(&args.out, args.apps, args.models, args.seed, args.bugs);
    println!("{summary}");
}

/// Generate the project into `out` (replacing it); returns a one-line summary. `bugs` defaults
/// to one per five apps, at least four (one of each kind). `tests/generated.rs` includes this
/// file as a module to call it.
pub fn generate(
    out: &Path,
    n_apps: usize,
    n_models: usize,
    seed: u64,
    bugs: Option<usize>,
) -> String {
    if out.exists() {
        std::fs::remove_dir_all(out).expect("clear --out");
    }
    let mut g = Gen {
        out: out.to_path_buf(),
        rng: Rng(seed.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0xD1B5_4A32_D192_ED03),
        files: 0,
        bytes: 0,
        found: Vec::new(),
    };
    let mut apps = plan_apps(&mut g.rng, n_apps, n_models);
    // Bugs: kinds in turn, each in an app picked by the seed.
    // At most one bug of a kind per app, so that each is one finding.
    let n_bugs = bugs.unwrap_or_else(|| (n_apps / 5).max(4)).min(4 * n_apps);
    for k in 0..n_bugs {
        let kind = Bug::ALL[k % 4];
        let mut app = g.rng.below(n_apps);
        while apps[app].bugs.contains(&kind) {
            app = (app + 1) % n_apps;
        }
        apps[app].bugs.push(kind);
    }
    definitions::write_project(&mut g, &apps);
    for i in 0..apps.len() {
        write_app(&mut g, &apps, i);
    }
    let mut expected = String::from("{\n");
    let _ = writeln!(expected, "  \"apps\": {n_apps},");
    let _ = writeln!(expected, "  \"models\": {n_models},");
    let _ = writeln!(expected, "  \"seed\": {seed},");
    let _ = writeln!(expected, "  \"files\": {},", g.files);
    expected.push_str("  \"bugs\": [\n");
    g.found
        .sort_by(|a, b| (&a.file, a.line, a.code).cmp(&(&b.file, b.line, b.code)));
    for (i, f) in g.found.iter().enumerate() {
        let comma = if i + 1 < g.found.len() { "," } else { "" };
        let _ = writeln!(
            expected,
            "    {{\"code\": \"{}\", \"file\": \"{}\", \"line\": {}}}{comma}",
            f.code, f.file, f.line
        );
    }
    expected.push_str("  ]\n}\n");
    let n_found = g.found.len();
    g.write("EXPECTED.json", &expected);
    format!(
        "{}: {} apps, {} models, {} files ({:.1} MB), {} injected bugs",
        out.display(),
        n_apps,
        n_apps * n_models,
        g.files,
        g.bytes as f64 / 1e6,
        n_found
    )
}

fn plan_apps(rng: &mut Rng, n_apps: usize, n_models: usize) -> Vec<App> {
    let mut apps = Vec::new();
    for i in 0..n_apps {
        let word = WORDS[i % WORDS.len()];
        let name = if i < WORDS.len() {
            word.to_string()
        } else {
            format!("{word}{}", i / WORDS.len())
        };
        let custom_label = rng.chance(20);
        let label = if custom_label {
            format!("acme_{name}")
        } else {
            name.clone()
        };
        let rename_last = n_models >= 2 && rng.chance(25);
        let offset = rng.below(NOUNS.len());
        let mut models = Vec::new();
        for j in 0..n_models {
            let class = NOUNS[(offset + j) % NOUNS.len()].to_string();
            let lower = class.to_lowercase();
            let legacy = (rename_last && j == n_models - 1).then(|| format!("Legacy{class}"));
            let initial = vec![(format!("publish_{lower}"), format!("Can publish {lower}"))];
            let added = if j % 2 == 0 {
                vec![(format!("export_{lower}"), format!("Can export {lower}"))]
            } else {
                Vec::new()
            };
            models.push(Model {
                class,
                name: lower,
                legacy,
                initial,
                added,
            });
        }
        let fk_to = (i > 0).then(|| rng.below(i));
        apps.push(App {
            name,
            label,
            custom_label,
            models,
            fk_to,
            bugs: Vec::new(),
        });
    }
    apps
}

fn write_app(g: &mut Gen, apps: &[App], i: usize) {
    let dir = format!("acme/{}", apps[i].name);
    let mut rng = Rng(g.rng.next());
    g.write(&format!("{dir}/__init__.py"), "");
    definitions::write_app(g, apps, i);
    checks::write_app(g, &apps[i], &mut rng);
    filler::write_app(g, &apps[i], &mut rng);
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
