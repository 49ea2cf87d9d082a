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

// ---- positions: byte offset ↔ (row, character column) ↔ LSP position -----------------------------

/// Text with every kind of line break and characters of 1 to 4 UTF-8 bytes (1 or 2 UTF-16 units).
fn mixed_text() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "a", "x = 1", " ", "\t", "\n", "\r\n", "\r", "é", "€", "𝄞", "🎉", "\u{feff}", "'", "\u{c}",
    ]);
    prop::collection::vec(atoms, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn offsets_rows_columns_and_lsp_positions_agree(text in mixed_text(), pick in 0usize..200) {
        use djperm::server::text::{Encoding, LineIndex};
        let boundaries: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            // Between `\r` and `\n` is no place on a line.
            .filter(|&i| !(text[..i].ends_with('\r') && text[i..].starts_with('\n')))
            .collect();
        let offset = boundaries[pick % boundaries.len()];
        let locator = Locator::new(&text);
        let index = LineIndex::new(&text);
        let (row, col) = locator.row_col(offset);
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
            let pos = index.position(offset, enc);
            // Back to the same byte.
            prop_assert_eq!(index.offset(pos, enc), offset, "{:?} {:?}", enc, pos);
            // The CLI's rows are the server's lines.
            prop_assert_eq!(pos.line as usize + 1, row);
            let before = &text[locator.line_start(row - 1)..offset];
            let units: usize = match enc {
                Encoding::Utf8 => before.len(),
                Encoding::Utf16 => before.encode_utf16().count(),
                Encoding::Utf32 => before.chars().count(),
            };
            prop_assert_eq!(pos.character as usize, units);
        }
        // The CLI's columns count characters, like UTF-32 positions.
        prop_assert_eq!(col - 1, index.position(offset, Encoding::Utf32).character as usize);
    }
}

// ---- fixes: disjoint edits, idempotent application -----------------------------------------------

/// Lines of a view with findings that have fixes (DJP001, DJP002, DJP006, DJP009…), several
/// per line at times.
fn view_line() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "    request.user.has_perm('blog.can_publsh')\n",
        "    request.user.has_perm('can_publish')\n",
        "    request.user.has_perms('blog.can_publish')\n",
        "    request.user.has_perms('blog.can_publsh')\n",
        "    request.user.has_perm('blog.can_publish ')\n",
        "    request.user.has_perm('blgo.can_publish')\n",
        "    request.user.has_perm('shop.can_sel') or request.user.has_perm('can_sell')\n",
        "    request.user.has_perms(['blog.can_publsh', 'can_sell', 'shop.can_sell'])\n",
        "    request.user.has_perm('blog.can_publish')\n",
        "    x = 'blog.change_postt'\n",
        "    pass\n",
    ])
}

fn fix_project(views: &[Vec<&str>]) -> Snapshot {
    let mut snapshot = Snapshot::new("/nonexistent");
    snapshot.add(
        "manage.py",
        "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')\n",
    );
    snapshot.add("proj/__init__.py", "");
    snapshot.add(
        "proj/settings.py",
        "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog', 'shop']\n",
    );
    for app in ["blog", "shop"] {
        snapshot.add(format!("{app}/__init__.py"), "");
    }
    snapshot.add("blog/models.py", "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n");
    snapshot.add("shop/models.py", "from django.db import models\n\nclass Item(models.Model):\n    class Meta:\n        permissions = [('can_sell', 'Can sell')]\n");
    for (i, lines) in views.iter().enumerate() {
        snapshot.add(
            format!("blog/views{i}.py"),
            format!("def v(request):\n{}", lines.concat()),
        );
    }
    snapshot.add("blog/templates/blog/p.html", "{% if perms.blog.can_pubish %}x{% endif %}{% if 'can_publish' in perms.blog %}y{% endif %}\n");
    snapshot
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn fix_edits_never_overlap(views in prop::collection::vec(prop::collection::vec(view_line(), 1..8), 1..3)) {
        use djperm::diagnostic::Edit;
        let config = djperm::config::Config { preview: true, ..Default::default() };
        let analysis = djperm::analyze(fix_project(&views), &config, &djperm::Selection { preview: true, ..Default::default() });
        let mut by_file: std::collections::BTreeMap<usize, Vec<&Edit>> = Default::default();
        for fix in analysis.diagnostics.iter().filter_map(|d| d.fix.as_ref()) {
            for e in &fix.edits {
                prop_assert!(e.span.start <= e.span.end);
                prop_assert!(analysis.ws.text(e.span.file).is_char_boundary(e.span.end as usize));
                by_file.entry(e.span.file).or_default().push(e);
            }
        }
        // Every edit of every fix (safe, unsafe and display-only) in a file: pairwise disjoint,
        // except the very same edit offered twice (two rules agreeing).
        for edits in by_file.values_mut() {
            edits.sort_by_key(|e| (e.span.start, e.span.end));
            edits.dedup();
            for w in edits.windows(2) {
                prop_assert!(
                    w[0].span.end <= w[1].span.start,
                    "overlapping edits in {}: {:?} and {:?}",
                    analysis.ws.path(w[0].span.file), w[0], w[1]
                );
            }
        }
    }

    #[test]
    fn applying_fixes_is_idempotent(views in prop::collection::vec(prop::collection::vec(view_line(), 1..8), 1..3)) {
        use djperm::diagnostic::Applicability;
        let config = djperm::config::Config { preview: true, ..Default::default() };
        let selection = djperm::Selection { preview: true, ..Default::default() };
        let first = djperm::fix::fix_snapshot(fix_project(&views), &config, &selection, Applicability::Unsafe, &|_, _| true);
        prop_assert!(first.problems.is_empty(), "{:?}", first.problems);
        let fixed = first.analysis.ws.snapshot.clone();
        let second = djperm::fix::fix_snapshot(fixed.clone(), &config, &selection, Applicability::Unsafe, &|_, _| true);
        prop_assert_eq!(second.fixed_count(), 0);
        prop_assert!(second.changed().is_empty());
        for (a, b) in fixed.files.iter().zip(&second.analysis.ws.snapshot.files) {
            prop_assert_eq!(&a.text, &b.text);
        }
    }
}
