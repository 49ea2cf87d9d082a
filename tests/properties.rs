//! Property tests: nothing in the core panics on arbitrary input, and positions round-trip.

mod common;

use djperm::locator::Locator;
use djperm::python::extract_python;
use djperm::refs::templates::extract_template;
use djperm::workspace::Snapshot;
use proptest::prelude::*;

fn python_like() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "class ",
        "Meta",
        ":",
        "\n",
        "    ",
        "permissions",
        " = ",
        "[",
        "]",
        "(",
        ")",
        ",",
        "\"blog.add_post\"",
        "'can_x'",
        "has_perm",
        ".",
        "user",
        "def f(",
        "return ",
        "import ",
        "from . import *",
        "#",
        " noqa",
        "INSTALLED_APPS",
        "+=",
        "migrations.CreateModel(",
        "name=",
        "options={",
        "}",
        "f\"{x}\"",
        "\\",
        "é",
        "\t",
        "\r\n",
        "Permission.objects.get(codename=",
        "if ",
        "for x in ",
        "default_permissions",
        "\"view\"",
    ]);
    prop::collection::vec(atoms, 0..80).prop_map(|v| v.concat())
}

fn template_like() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "{%",
        "%}",
        "{{",
        "}}",
        "{#",
        "#}",
        " if ",
        "perms",
        ".",
        "blog",
        "add_post",
        " in ",
        "\"",
        "'",
        " as ",
        "with perms=",
        "comment",
        "endcomment",
        "noqa",
        "djperm:off",
        "djperm:on",
        "\n",
        "é",
        "x",
    ]);
    prop::collection::vec(atoms, 0..80).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn python_extraction_never_panics(src in python_like()) {
        let facts = extract_python(0, &src, "blog.views", false);
        for r in &facts.references {
            prop_assert!(r.value.span.end as usize <= src.len());
            prop_assert!(src.is_char_boundary(r.value.span.start as usize));
        }
    }

    #[test]
    fn arbitrary_bytes_as_python_never_panic(src in ".{0,200}") {
        let _ = extract_python(0, &src, "m", false);
    }

    #[test]
    fn template_extraction_never_panics(src in template_like()) {
        let facts = extract_template(0, &src);
        for r in &facts.references {
            prop_assert!(r.value.span.end as usize <= src.len());
            prop_assert!(r.value.span.start <= r.value.span.end);
        }
    }

    #[test]
    fn row_column_round_trips(text in "(.|\n){0,200}", pick in 0usize..400) {
        let locator = Locator::new(&text);
        let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
        let offset = boundaries[pick % boundaries.len()];
        let (row, col) = locator.row_col(offset);
        // Back: the line start plus (col - 1) characters.
        let start = locator.line_start(row - 1);
        let back = text[start..].char_indices().nth(col - 1).map(|(i, _)| start + i).unwrap_or(text.len());
        prop_assert_eq!(back, offset);
    }

    #[test]
    fn whole_projects_never_panic(models in python_like(), views in python_like(), settings in python_like(), tpl in template_like()) {
        let mut snapshot = Snapshot::new("/nonexistent");
        snapshot.add("manage.py", "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n");
        snapshot.add("proj/__init__.py", "");
        snapshot.add("proj/settings.py", format!("INSTALLED_APPS = ['django.contrib.auth', 'blog']\n{settings}"));
        snapshot.add("blog/__init__.py", "");
        snapshot.add("blog/models.py", models);
        snapshot.add("blog/migrations/__init__.py", "");
        snapshot.add("blog/migrations/0001_initial.py", views.clone());
        snapshot.add("blog/views.py", views);
        snapshot.add("blog/templates/x.html", tpl);
        let config = djperm::config::Config { preview: true, ..Default::default() };
        let analysis = djperm::analyze(snapshot, &config, &djperm::Selection { preview: true, ..Default::default() });
        for d in &analysis.diagnostics {
            let text = analysis.ws.text(d.span.file);
            prop_assert!(d.span.start <= d.span.end && d.span.end as usize <= text.len());
        }
    }
}
