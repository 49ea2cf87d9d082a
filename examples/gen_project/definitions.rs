//! The definitions of the generated project: settings, URLs, the core app, and per app
//! `apps.py`, `models.py` and the migration history.

use std::fmt::Write as _;

use super::{capitalize, filler, App, Bug, Gen, Lines, Model};

pub fn write_project(g: &mut Gen, apps: &[App]) {
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
        filler::filler_function(&mut g.rng, &mut helpers, "core", k);
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
/// `apps.py`, `models.py` and `migrations/` of app `i`.
pub fn write_app(g: &mut Gen, apps: &[App], i: usize) {
    let app = &apps[i];
    let dir = format!("acme/{}", app.name);

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
}
