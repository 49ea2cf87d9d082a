//! The tree-wide word scans (calls of the project's permission helpers in files the pre-filter
//! skipped, uses of a custom permission's codename for DJP030) read again only the files whose
//! words may hold what they look for, and still find every use.

mod common;

use common::project;

/// Padding that makes a file too large to be held by a lean reading.
fn padding() -> String {
    format!("# {}\n", "x".repeat(78)).repeat(20)
}

#[test]
fn helper_calls_and_codename_uses_are_found_without_reading_every_file_twice() {
    let pad = padding();
    let helper = "def allowed(user, name):\n    return user.has_perm(name)\n";
    // Nothing in the view looks like a permission check to the pre-filter: only the helper
    // scan finds it. `blog.publsh` is no permission.
    let view = format!(
        "{pad}from blog.access import allowed\n\n\ndef v(request):\n    return allowed(request.user, 'blog.publsh')\n"
    );
    // `can_archive` is used only by this file's text (a custom permission DJP030 must not call
    // unused); `can_unused` by none.
    let archive = format!("{pad}ACTIONS = {{'archive': 'can_archive'}}\n");
    let models = "from django.db import models\n\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_archive', 'Can archive'), ('can_unused', 'Can unused')]\n";
    let migration = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    dependencies = []\n    operations = [\n        migrations.CreateModel(\n            name='Post',\n            fields=[('id', models.AutoField(primary_key=True))],\n            options={'permissions': [('can_archive', 'Can archive'), ('can_unused', 'Can unused')]},\n        ),\n    ]\n";
    let mut files: Vec<(String, String)> = vec![
        ("blog/access.py".into(), helper.into()),
        ("blog/views.py".into(), view),
        ("blog/archive.py".into(), archive),
        ("blog/models.py".into(), models.into()),
        ("blog/migrations/__init__.py".into(), String::new()),
        ("blog/migrations/0001_initial.py".into(), migration.into()),
    ];
    // Large files that neither call the helper nor name a codename (one names the helper
    // without calling it).
    for i in 0..40 {
        files.push((
            format!("blog/util{i}.py"),
            format!("{pad}def util_{i}(x):\n    return [x, 'allowed', {i}]\n"),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let (dir, _) = project(&refs);
    let (out, read) = common::check_counting_reads(dir.path());
    let total = files.len() + 2; // and manage.py and the settings of `project`
                                 // The helper's call site is found and checked...
    assert!(
        out.lines()
            .any(|l| l.starts_with("blog/views.py:25:") && l.contains("DJP002")),
        "{out}"
    );
    // ... DJP030 reports the unused permission and not the one a file names...
    let unused: Vec<&str> = out.lines().filter(|l| l.contains("DJP030")).collect();
    assert_eq!(unused.len(), 1, "{out}");
    assert!(unused[0].contains("can_unused"), "{out}");
    // ... and the 40 large files were read once, not again for each scan (three scans read
    // them all again before: 182 reads). The few files parsed and reported are read again.
    assert!(
        read < total + 20,
        "{read} reads for {total} files: the scans read skipped files again"
    );
}
