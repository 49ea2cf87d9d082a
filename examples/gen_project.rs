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
    write_project(&mut g, &apps);
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

fn write_project(g: &mut Gen, apps: &[App]) {
    g.write(
        "manage.py",
        r#"#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "acme.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
"#,
    );
    g.write("acme/__init__.py", "");
    let mut s = String::from(
        r#""""Settings of the acme monorepo (generated)."""
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SECRET_KEY = "generated-not-secret"
DEBUG = True
USE_TZ = True
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "acme.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

LOCAL_APPS = [
    "acme.core",
"#,
    );
    for app in apps {
        let _ = writeln!(s, "    \"acme.{}\",", app.name);
    }
    s.push_str(
        r#"]

INSTALLED_APPS = DJANGO_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }
}

STATIC_URL = "static/"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
"#,
    );
    g.write("acme/settings.py", &s);
    let mut urls = String::from("from django.contrib import admin\nfrom django.urls import include, path\n\nurlpatterns = [\n    path(\"admin/\", admin.site.urls),\n");
    for app in apps {
        let _ = writeln!(
            urls,
            "    path(\"{0}/\", include(\"acme.{0}.urls\")),",
            app.name
        );
    }
    urls.push_str("]\n");
    g.write("acme/urls.py", &urls);
    g.write(
        "acme/wsgi.py",
        "import os\n\nfrom django.core.wsgi import get_wsgi_application\n\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"acme.settings\")\n\napplication = get_wsgi_application()\n",
    );
    // The core app: an abstract base model and shared helpers, no migrations.
    g.write("acme/core/__init__.py", "");
    g.write(
        "acme/core/apps.py",
        "from django.apps import AppConfig\n\n\nclass CoreConfig(AppConfig):\n    name = \"acme.core\"\n",
    );
    g.write(
        "acme/core/models.py",
        r#"from django.db import models


class TimeStamped(models.Model):
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-created"]
"#,
    );
    let mut helpers = Lines::default();
    helpers.text(
        "\"\"\"Helpers shared by every app.\"\"\"\nimport datetime\nimport decimal\nimport re\n\n",
    );
    for k in 0..12 {
        filler_function(&mut g.rng, &mut helpers, "core", k);
    }
    g.write("acme/core/helpers.py", &helpers.0);
}

fn model_fields(app: &App, apps: &[App], j: usize) -> Vec<(String, String)> {
    let m = &app.models[j];
    let mut fields = vec![
        (
            "name".to_string(),
            "models.CharField(max_length=200)".to_string(),
        ),
        (
            "slug".to_string(),
            "models.SlugField(max_length=200, blank=True)".to_string(),
        ),
        (
            "amount".to_string(),
            "models.DecimalField(max_digits=12, decimal_places=2, default=0)".to_string(),
        ),
    ];
    if j > 0 {
        fields.push((
            "parent".to_string(),
            format!(
                "models.ForeignKey(\"{}.{}\", on_delete=models.CASCADE, related_name=\"{}_set\")",
                app.label, app.models[0].class, m.name
            ),
        ));
    } else if let Some(k) = app.fk_to {
        let other = &apps[k];
        fields.push((
            "origin".to_string(),
            format!(
                "models.ForeignKey(\"{}.{}\", on_delete=models.SET_NULL, null=True, blank=True, related_name=\"+\")",
                other.label, other.models[0].class
            ),
        ));
    }
    fields
}

fn meta_options(m: &Model, perms: &[(String, String)], py: &mut Lines, indent: &str) {
    py.line(&format!("{indent}\"ordering\": [\"-created\"],"));
    py.line(&format!("{indent}\"verbose_name\": \"{}\",", m.name));
    py.line(&format!("{indent}\"permissions\": ["));
    for (c, n) in perms {
        py.line(&format!("{indent}    (\"{c}\", \"{n}\"),"));
    }
    py.line(&format!("{indent}],"));
}

fn write_app(g: &mut Gen, apps: &[App], i: usize) {
    let app = &apps[i];
    let dir = format!("acme/{}", app.name);
    let cls = |j: usize| app.models[j].class.clone();
    let mut rng = Rng(g.rng.next());
    g.write(&format!("{dir}/__init__.py"), "");

    // apps.py
    let mut s = String::from("from django.apps import AppConfig\n\n\n");
    let config = format!("{}Config", capitalize(&app.name));
    let _ = writeln!(s, "class {config}(AppConfig):");
    let _ = writeln!(
        s,
        "    default_auto_field = \"django.db.models.BigAutoField\""
    );
    let _ = writeln!(s, "    name = \"acme.{}\"", app.name);
    if app.custom_label {
        let _ = writeln!(s, "    label = \"{}\"", app.label);
    }
    let _ = writeln!(s, "    verbose_name = \"{}\"", capitalize(&app.name));
    g.write(&format!("{dir}/apps.py"), &s);

    // models.py
    let unmigrated = app.bugs.contains(&Bug::Unmigrated);
    let mut py = Lines::default();
    py.text("from django.db import models\n\nfrom acme.core.models import TimeStamped\n\n");
    let mut unmigrated_line = None;
    for (j, m) in app.models.iter().enumerate() {
        py.text("\n");
        py.line(&format!("class {}(TimeStamped):", m.class));
        for (f, def) in model_fields(app, apps, j) {
            py.line(&format!("    {f} = {def}"));
        }
        if j == 0 {
            py.line("    notes = models.TextField(blank=True, default=\"\")");
        }
        py.text("\n    class Meta(TimeStamped.Meta):\n");
        py.line(&format!("        verbose_name = \"{}\"", m.name));
        py.line("        permissions = [");
        for (c, n) in m.perms() {
            py.line(&format!("            (\"{c}\", \"{n}\"),"));
        }
        if unmigrated && j == 0 {
            unmigrated_line = Some(py.line(&format!(
                "            (\"archive_{0}\", \"Can archive {0}\"),",
                m.name
            )));
        }
        py.line("        ]");
        py.text("\n    def __str__(self):\n        return self.name\n");
    }
    let file = format!("{dir}/models.py");
    if let Some(line) = unmigrated_line {
        g.bug(Bug::Unmigrated, &file, line);
    }
    g.write(&file, &py.0);

    // migrations
    let mig = format!("{dir}/migrations");
    g.write(&format!("{mig}/__init__.py"), "");
    let mut py = Lines::default();
    py.text("import django.db.models.deletion\nfrom django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n\n    dependencies = [\n");
    if let Some(k) = app.fk_to {
        let _ = writeln!(py.0, "        (\"{}\", \"0001_initial\"),", apps[k].label);
    }
    py.text("    ]\n\n    operations = [\n");
    for (j, m) in app.models.iter().enumerate() {
        let name = m.legacy.clone().unwrap_or_else(|| m.class.clone());
        py.line("        migrations.CreateModel(");
        py.line(&format!("            name=\"{name}\","));
        py.line("            fields=[");
        py.line("                (\"id\", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name=\"ID\")),");
        py.line("                (\"created\", models.DateTimeField(auto_now_add=True)),");
        py.line("                (\"updated\", models.DateTimeField(auto_now=True)),");
        for (f, def) in model_fields(app, apps, j) {
            let def = def.replace("models.ForeignKey(", "models.ForeignKey(to=");
            let def = def.replace("on_delete=models.", "on_delete=django.db.models.deletion.");
            py.line(&format!("                (\"{f}\", {def}),"));
        }
        py.line("            ],");
        py.line("            options={");
        meta_options(m, &m.initial, &mut py, "                ");
        py.line("            },");
        py.line("        ),");
    }
    py.text("    ]\n");
    g.write(&format!("{mig}/0001_initial.py"), &py.0);

    let mut py = Lines::default();
    let _ = write!(py.0, "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [\n        (\"{}\", \"0001_initial\"),\n    ]\n\n    operations = [\n", app.label);
    for m in app.models.iter().filter(|m| !m.added.is_empty()) {
        let name = m.legacy.clone().unwrap_or_else(|| m.class.clone());
        py.line("        migrations.AlterModelOptions(");
        py.line(&format!("            name=\"{}\",", name.to_lowercase()));
        py.line("            options={");
        meta_options(m, &m.perms(), &mut py, "                ");
        py.line("            },");
        py.line("        ),");
    }
    py.text("    ]\n");
    g.write(&format!("{mig}/0002_permissions.py"), &py.0);
    let mut last = "0002_permissions".to_string();
    if let Some(m) = app.models.iter().find(|m| m.legacy.is_some()) {
        let legacy = m.legacy.clone().unwrap_or_default();
        let s = format!(
            "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [\n        (\"{}\", \"{last}\"),\n    ]\n\n    operations = [\n        migrations.RenameModel(\n            old_name=\"{legacy}\",\n            new_name=\"{}\",\n        ),\n    ]\n",
            app.label, m.class
        );
        last = format!("0003_rename_{}", legacy.to_lowercase());
        g.write(&format!("{mig}/{last}.py"), &s);
    }
    let s = format!(
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    dependencies = [\n        (\"{}\", \"{last}\"),\n    ]\n\n    operations = [\n        migrations.AddField(\n            model_name=\"{}\",\n            name=\"notes\",\n            field=models.TextField(blank=True, default=\"\"),\n        ),\n    ]\n",
        app.label, app.models[0].name
    );
    g.write(&format!("{mig}/0004_{}_notes.py", app.models[0].name), &s);

    // constants.py: a codename without its label (no dot), completed in views.
    let m0 = &app.models[0];
    g.write(
        &format!("{dir}/constants.py"),
        &format!(
            "\"\"\"Names used across the {} app.\"\"\"\n\nPUBLISH_CODENAME = \"publish_{}\"\nPAGE_SIZE = 50\nDATE_FORMAT = \"%Y-%m-%d\"\n",
            app.name, m0.name
        ),
    );

    // views.py
    let file = format!("{dir}/views.py");
    let mut py = Lines::default();
    py.text("from django.contrib.auth.decorators import login_required, permission_required\nfrom django.contrib.auth.mixins import PermissionRequiredMixin\nfrom django.core.exceptions import PermissionDenied\nfrom django.http import JsonResponse\nfrom django.shortcuts import get_object_or_404, render\nfrom django.views.generic import DetailView, ListView\n\nfrom . import constants\n");
    let names: Vec<String> = app.models.iter().map(|m| m.class.clone()).collect();
    let _ = writeln!(py.0, "from .models import {}", names.join(", "));
    let _ = writeln!(py.0, "from .services import summarize\n");
    let label = &app.label;
    let mut typo_done = false;
    let mut missing_done = false;
    let mut has_perms_done = false;
    for (j, m) in app.models.iter().enumerate() {
        let c = cls(j);
        let n = &m.name;
        py.text("\n\n");
        // A function view with the decorator.
        if !missing_done && app.bugs.contains(&Bug::MissingLabel) {
            missing_done = true;
            let line = py.line(&format!("@permission_required(\"publish_{n}\")"));
            g.bug(Bug::MissingLabel, &file, line);
        } else {
            py.line(&format!(
                "@permission_required(\"{label}.view_{n}\", raise_exception=True)"
            ));
        }
        py.line(&format!("def {n}_list(request):"));
        py.line(&format!("    items = {c}.objects.order_by(\"-created\")"));
        py.line(&format!(
            "    return render(request, \"{}/{n}_list.html\", {{\"items\": items}})",
            app.name
        ));
        py.text("\n\n");
        py.line(&format!("def {n}_publish(request, pk):"));
        py.line(&format!("    obj = get_object_or_404({c}, pk=pk)"));
        let check = if !typo_done && app.bugs.contains(&Bug::Typo) {
            typo_done = true;
            let line = py.line(&format!(
                "    if not request.user.has_perm(\"{label}.pubilsh_{n}\"):"
            ));
            g.bug(Bug::Typo, &file, line);
            None
        } else {
            Some(format!(
                "    if not request.user.has_perm(\"{label}.publish_{n}\"):"
            ))
        };
        if let Some(check) = check {
            py.line(&check);
        }
        py.line("        raise PermissionDenied");
        py.line("    obj.save(update_fields=[\"updated\"])");
        py.line("    return JsonResponse({\"id\": obj.pk, \"name\": obj.name})");
        py.text("\n\n");
        py.line(&format!(
            "class {c}ListView(PermissionRequiredMixin, ListView):"
        ));
        py.line(&format!("    model = {c}"));
        py.line(&format!(
            "    permission_required = (\"{label}.view_{n}\", \"{label}.change_{n}\")"
        ));
        py.line("    paginate_by = constants.PAGE_SIZE");
        py.line(&format!(
            "    template_name = \"{}/{n}_list.html\"",
            app.name
        ));
        if !m.added.is_empty() {
            py.text("\n\n");
            py.line(&format!("def {n}_export(request):"));
            if !has_perms_done && app.bugs.contains(&Bug::HasPermsString) {
                has_perms_done = true;
                let line = py.line(&format!(
                    "    if not request.user.has_perms(\"{label}.export_{n}\"):"
                ));
                g.bug(Bug::HasPermsString, &file, line);
            } else {
                py.line(&format!(
                    "    if not request.user.has_perms([\"{label}.export_{n}\", \"{label}.view_{n}\"]):"
                ));
            }
            py.line("        raise PermissionDenied");
            py.line(&format!(
                "    rows = [summarize(o) for o in {c}.objects.all()[: constants.PAGE_SIZE]]"
            ));
            py.line("    return JsonResponse({\"rows\": rows})");
        }
    }
    py.text("\n\n");
    py.line("@login_required");
    py.line(&format!("def {}_publish_first(request):", m0.name));
    py.line(&format!(
        "    if not request.user.has_perm(\"{label}.\" + constants.PUBLISH_CODENAME):"
    ));
    py.line("        raise PermissionDenied");
    py.line(&format!(
        "    return render(request, \"{}/{}_detail.html\", {{}})",
        app.name, m0.name
    ));
    py.text("\n\n");
    py.line(&format!("class {}DetailView(DetailView):", cls(0)));
    py.line(&format!("    model = {}", cls(0)));
    py.line(&format!(
        "    template_name = \"{}/{}_detail.html\"",
        app.name, m0.name
    ));
    g.write(&file, &py.0);

    // urls.py
    let mut s = String::from("from django.urls import path\n\nfrom . import views\n\n");
    let _ = writeln!(s, "app_name = \"{}\"\n\nurlpatterns = [", app.name);
    for m in &app.models {
        let n = &m.name;
        let _ = writeln!(s, "    path(\"{n}/\", views.{n}_list, name=\"{n}-list\"),");
        let _ = writeln!(
            s,
            "    path(\"{n}/<int:pk>/publish/\", views.{n}_publish, name=\"{n}-publish\"),"
        );
        let _ = writeln!(
            s,
            "    path(\"{n}/all/\", views.{}ListView.as_view(), name=\"{n}-all\"),",
            m.class
        );
        if !m.added.is_empty() {
            let _ = writeln!(
                s,
                "    path(\"{n}/export/\", views.{n}_export, name=\"{n}-export\"),"
            );
        }
    }
    let _ = writeln!(
        s,
        "    path(\"first/\", views.{}_publish_first, name=\"publish-first\"),",
        m0.name
    );
    let _ = writeln!(
        s,
        "    path(\"{0}/<int:pk>/\", views.{1}DetailView.as_view(), name=\"{0}-detail\"),\n]",
        m0.name,
        cls(0)
    );
    g.write(&format!("{dir}/urls.py"), &s);

    // templates
    let tdir = format!("{dir}/templates/{}", app.name);
    for m in &app.models {
        let n = &m.name;
        let s = format!(
            "{{% extends \"base.html\" %}}\n{{% block content %}}\n<h1>{c}s</h1>\n{{% if perms.{label} %}}\n<nav class=\"app-menu\">{app_name}</nav>\n{{% endif %}}\n<table>\n{{% for obj in object_list %}}\n  <tr>\n    <td>{{{{ obj.name }}}}</td>\n    <td>{{{{ obj.amount }}}}</td>\n    {{% if perms.{label}.change_{n} %}}<td><a href=\"#\">Edit</a></td>{{% endif %}}\n    {{% if perms.{label}.delete_{n} %}}<td><a href=\"#\">Delete</a></td>{{% endif %}}\n  </tr>\n{{% empty %}}\n  <tr><td>No {n} yet.</td></tr>\n{{% endfor %}}\n</table>\n{{% if perms.{label}.add_{n} %}}<a class=\"button\" href=\"#\">New {n}</a>{{% endif %}}\n{{% endblock %}}\n",
            c = m.class,
            app_name = app.name,
        );
        g.write(&format!("{tdir}/{n}_list.html"), &s);
    }
    g.write(
        &format!("{tdir}/{}_detail.html", m0.name),
        "{% extends \"base.html\" %}\n{% block content %}\n<h1>{{ object.name }}</h1>\n<p>{{ object.notes|linebreaks }}</p>\n<p>Updated {{ object.updated|date:\"Y-m-d\" }}</p>\n{% endblock %}\n",
    );

    // tests.py
    let mut s = String::from(
        "from django.contrib.auth.models import Permission, User\nfrom django.test import TestCase\n\n",
    );
    let _ = writeln!(s, "from .models import {}\n\n", cls(0));
    let _ = writeln!(
        s,
        "class {}PermissionTests(TestCase):",
        capitalize(&app.name)
    );
    let _ = writeln!(s, "    def setUp(self):");
    let _ = writeln!(
        s,
        "        self.user = User.objects.create_user(\"staff\", password=\"secret\")"
    );
    let _ = writeln!(
        s,
        "        perm = Permission.objects.get(codename=\"publish_{}\", content_type__app_label=\"{label}\")",
        m0.name
    );
    let _ = writeln!(s, "        self.user.user_permissions.add(perm)\n");
    let _ = writeln!(s, "    def test_publish_granted(self):");
    let _ = writeln!(s, "        user = User.objects.get(pk=self.user.pk)");
    let _ = writeln!(
        s,
        "        self.assertTrue(user.has_perm(\"{label}.publish_{}\"))\n",
        m0.name
    );
    let _ = writeln!(s, "    def test_delete_denied(self):");
    let _ = writeln!(s, "        user = User.objects.get(pk=self.user.pk)");
    let _ = writeln!(
        s,
        "        self.assertFalse(user.has_perm(\"{label}.delete_{}\"))",
        m0.name
    );
    for k in 0..(8 + rng.below(24)) {
        let _ = writeln!(
            s,
            "\n    def test_list_{k}(self):\n        self.client.force_login(self.user)\n        for index in range({}):\n            {}.objects.create(name=f\"item {{index}}\", amount=index)\n        response = self.client.get(\"/{}/{}/\", {{\"page\": {}}})\n        self.assertIn(response.status_code, (200, 302, 403))\n        self.assertLessEqual(len(response.content), 1_000_000)",
            k + 2,
            cls(0),
            app.name,
            m0.name,
            k % 3 + 1
        );
    }
    g.write(&format!("{dir}/tests.py"), &s);

    // admin.py
    let mut s = String::from("from django.contrib import admin\n\n");
    let _ = writeln!(s, "from .models import {}\n", names.join(", "));
    for m in &app.models {
        let _ = writeln!(s, "\n@admin.register({})", m.class);
        let _ = writeln!(s, "class {}Admin(admin.ModelAdmin):", m.class);
        let _ = writeln!(
            s,
            "    list_display = (\"name\", \"amount\", \"created\")\n    search_fields = (\"name\", \"slug\")\n    ordering = (\"-created\",)"
        );
    }
    g.write(&format!("{dir}/admin.py"), &s);

    // services.py (imported by views)
    let mut py = Lines::default();
    py.text("\"\"\"Business logic.\"\"\"\nimport datetime\nimport decimal\nimport re\n\n\ndef summarize(obj):\n    return {\"id\": obj.pk, \"name\": obj.name, \"amount\": str(obj.amount)}\n\n");
    for k in 0..(8 + rng.below(16)) {
        filler_function(&mut rng, &mut py, &app.name, k);
    }
    g.write(&format!("{dir}/services.py"), &py.0);

    // forms.py
    let mut s = String::from("from django import forms\n\n");
    let _ = writeln!(s, "from .models import {}\n", names.join(", "));
    for m in &app.models {
        let _ = writeln!(s, "\nclass {0}Form(forms.ModelForm):\n    class Meta:\n        model = {0}\n        fields = [\"name\", \"slug\", \"amount\"]\n\n    def clean_name(self):\n        name = self.cleaned_data[\"name\"].strip()\n        if len(name) < 2:\n            raise forms.ValidationError(\"Too short\")\n        return name\n", m.class);
    }
    g.write(&format!("{dir}/forms.py"), &s);

    // Filler modules, no permission in sight.
    for module in ["utils", "serializers", "selectors", "tasks"] {
        let mut py = Lines::default();
        let _ = write!(
            py.0,
            "\"\"\"{} for the {} app.\"\"\"\nimport datetime\nimport decimal\nimport re\n\n",
            capitalize(module),
            app.name
        );
        for k in 0..(12 + rng.below(36)) {
            filler_function(&mut rng, &mut py, module, k);
        }
        g.write(&format!("{dir}/{module}.py"), &py.0);
    }
    g.write(&format!("{dir}/management/__init__.py"), "");
    g.write(&format!("{dir}/management/commands/__init__.py"), "");
    let mut py = Lines::default();
    let _ = write!(py.0, "from django.core.management.base import BaseCommand\n\nfrom ...models import {}\n\n\nclass Command(BaseCommand):\n    help = \"Recompute slugs\"\n\n    def add_arguments(self, parser):\n        parser.add_argument(\"--dry-run\", action=\"store_true\")\n\n    def handle(self, *args, **options):\n        for obj in {}.objects.all():\n            obj.slug = obj.name.lower().replace(\" \", \"-\")\n            if not options[\"dry_run\"]:\n                obj.save(update_fields=[\"slug\"])\n", cls(0), cls(0));
    g.write(
        &format!("{dir}/management/commands/sync_{}.py", app.name),
        &py.0,
    );
}

/// One plausible helper function (a few hundred bytes), chosen by the generator.
fn filler_function(rng: &mut Rng, py: &mut Lines, module: &str, k: usize) {
    let name = format!("{module}_{k}");
    let body = match rng.below(6) {
        0 => format!(
            "\n\ndef normalize_{name}(value, *, max_length=120):\n    \"\"\"Collapse whitespace and trim `value` to `max_length` characters.\"\"\"\n    if value is None:\n        return \"\"\n    value = re.sub(r\"\\s+\", \" \", str(value)).strip()\n    if len(value) > max_length:\n        value = value[: max_length - 1].rstrip() + \"…\"\n    return value\n"
        ),
        1 => format!(
            "\n\ndef total_{name}(lines, tax_rate=\"0.20\"):\n    subtotal = decimal.Decimal(\"0\")\n    for line in lines:\n        quantity = int(line.get(\"quantity\", 1))\n        price = decimal.Decimal(str(line.get(\"price\", \"0\")))\n        subtotal += quantity * price\n    tax = (subtotal * decimal.Decimal(tax_rate)).quantize(decimal.Decimal(\"0.01\"))\n    return {{\"subtotal\": subtotal, \"tax\": tax, \"total\": subtotal + tax}}\n"
        ),
        2 => format!(
            "\n\nclass {cls}Error(Exception):\n    \"\"\"Raised when a {module} record cannot be processed.\"\"\"\n\n    def __init__(self, message, code=None):\n        super().__init__(message)\n        self.code = code or \"invalid\"\n\n    def as_dict(self):\n        return {{\"message\": str(self), \"code\": self.code}}\n",
            cls = capitalize(&name.replace('_', ""))
        ),
        3 => format!(
            "\n\ndef window_{name}(days=30, now=None):\n    now = now or datetime.datetime.now(datetime.timezone.utc)\n    start = now - datetime.timedelta(days=days)\n    buckets = []\n    cursor = start\n    while cursor < now:\n        buckets.append((cursor.date().isoformat(), cursor.weekday()))\n        cursor += datetime.timedelta(days=1)\n    return buckets\n"
        ),
        4 => format!(
            "\n\ndef group_{name}(rows, key=\"status\"):\n    grouped = {{}}\n    for row in rows:\n        grouped.setdefault(row.get(key), []).append(row)\n    return sorted(\n        ((k, len(v)) for k, v in grouped.items() if k is not None),\n        key=lambda item: (-item[1], str(item[0])),\n    )\n"
        ),
        _ => format!(
            "\n\nclass {cls}Serializer:\n    fields = (\"id\", \"name\", \"amount\", \"created\")\n\n    def __init__(self, instance, context=None):\n        self.instance = instance\n        self.context = context or {{}}\n\n    @property\n    def data(self):\n        out = {{}}\n        for field in self.fields:\n            value = getattr(self.instance, field, None)\n            if isinstance(value, (datetime.date, datetime.datetime)):\n                value = value.isoformat()\n            elif isinstance(value, decimal.Decimal):\n                value = str(value)\n            out[field] = value\n        return out\n",
            cls = capitalize(&name.replace('_', ""))
        ),
    };
    py.text(&body);
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
