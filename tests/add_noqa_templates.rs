//! `--add-noqa` in a template: the directive is separated from the code by a space (as `# noqa`
//! is in Python; blanks already there are kept, not doubled), and the line is clean on the next run.

use assert_cmd::Command;

#[test]
fn template_noqa_gets_a_space_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let files: &[(&str, &str)] = &[
        ("manage.py", "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"proj.settings\")\n"),
        ("proj/__init__.py", ""),
        ("proj/settings.py", "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\n"),
        ("blog/__init__.py", ""),
        ("blog/models.py", "from django.db import models\n\nclass Post(models.Model):\n    pass\n"),
        ("blog/templates/blog/a.html", "{% if perms.blog.add_pst %}x{% endif %}\n{% if perms.blog.view_pst %}y{% endif %}   \n"),
    ];
    for (path, text) in files {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    Command::cargo_bin("djperm")
        .unwrap()
        .args(["check", "--add-noqa", "."])
        .current_dir(root)
        .assert()
        .code(0);
    assert_eq!(
        std::fs::read_to_string(root.join("blog/templates/blog/a.html")).unwrap(),
        "{% if perms.blog.add_pst %}x{% endif %} {# noqa: DJP002 #}\n{% if perms.blog.view_pst %}y{% endif %}   {# noqa: DJP002 #}\n"
    );
    Command::cargo_bin("djperm")
        .unwrap()
        .args(["check", "."])
        .current_dir(root)
        .assert()
        .code(0);
}
