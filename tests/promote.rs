//! DJP030 (unused-permission) as a stable rule, through the binary: the uses it looks for are read
//! in every file, also in those a lean snapshot did not keep (templates, tests), while a
//! permission nothing mentions is still reported.

mod common;

use common::{run_djperm, write_tree, MANAGE_PY};

const LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

const MODELS: &[u8] = b"from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish'), ('can_refund', 'Can refund'), ('can_pin', 'Can pin')]\n";
const MIGRATION: &[u8] = b"from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [migrations.CreateModel(name='Post', fields=[], options={'permissions': [('can_publish', 'Can publish'), ('can_refund', 'Can refund'), ('can_pin', 'Can pin')]})]\n";

#[test]
fn uses_in_files_a_lean_snapshot_drops_count_and_the_unused_one_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write_tree(
        dir.path(),
        &[
            ("manage.py", MANAGE_PY.as_bytes()),
            ("proj/__init__.py", b""),
            (
                "proj/settings.py",
                b"INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\n",
            ),
            ("blog/__init__.py", b""),
            ("blog/models.py", MODELS),
            ("blog/migrations/__init__.py", b""),
            ("blog/migrations/0001_initial.py", MIGRATION),
            // a template check, and a lookup in a test file
            (
                "blog/templates/blog/post.html",
                b"{% if perms.blog.can_publish %}<a href=\"publish/\">Publish</a>{% endif %}\n",
            ),
            (
                "blog/tests.py",
                b"from django.contrib.auth.models import Permission\n\ndef grant(user):\n    user.user_permissions.add(Permission.objects.get(codename='can_refund'))\n",
            ),
        ],
    );
    // Default rules: DJP030 is stable, no selection needed.
    let run = run_djperm(dir.path(), &["check", "--output-format", "concise"], LIMIT);
    let found: Vec<&str> = run.stdout.lines().filter(|l| l.contains(": DJP")).collect();
    assert_eq!(
        found,
        ["blog/models.py:5:86: DJP030 Custom permission `blog.can_pin` is never checked"],
        "{run:#?}"
    );
    assert_eq!(run.code, Some(1), "{run:#?}");
}
