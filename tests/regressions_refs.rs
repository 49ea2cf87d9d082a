//! False positives found on real projects: permission rows made by code, and calls that look
//! like permission checks but reach some other method.

mod common;

use common::{codes, project};
use djperm::Analysis;

/// `(file, 1-based line, code)` of every finding.
fn found(a: &Analysis) -> Vec<(String, usize, String)> {
    a.diagnostics
        .iter()
        .map(|d| {
            let text = a.ws.text(d.span.file);
            let line = text[..d.span.start as usize].matches('\n').count() + 1;
            (a.ws.path(d.span.file).to_string(), line, d.code.to_string())
        })
        .collect()
}

fn at(file: &str, lines: &[usize], code: &str) -> Vec<(String, usize, String)> {
    lines
        .iter()
        .map(|l| (file.to_string(), *l, code.to_string()))
        .collect()
}

const VIEWS_HEAD: &str = "def v(request):\n";

fn views(checks: &[&str]) -> String {
    let mut text = VIEWS_HEAD.to_string();
    for perm in checks {
        text.push_str(&format!("    request.user.has_perm('{perm}')\n"));
    }
    text
}

/// A project whose command `text` creates rows, and a view checking two of them and a typo.
fn rows_from_command(text: &str) -> (tempfile::TempDir, Analysis) {
    let views = views(&[
        "blog.moderate_post",
        "blog.feature_post",
        "blog.moderate_psot",
    ]);
    project(&[
        ("blog/management/commands/setup_perms.py", text),
        ("blog/views.py", &views),
    ])
}

#[test]
fn rows_created_in_a_loop_over_a_literal_list_of_dicts() {
    let (_d, a) = rows_from_command(
        "from django.contrib.auth.models import Permission\nfrom django.contrib.contenttypes.models import ContentType\n\nPERMS = [{'codename': 'moderate_post', 'name': 'x'}]\n\ndef run():\n    ct = ContentType.objects.get(app_label='blog', model='post')\n    for p in PERMS:\n        Permission.objects.get_or_create(codename=p['codename'], name=p['name'], content_type=ct)\n    perms = [{'codename': 'feature_post', 'name': 'y'}]\n    for p in perms:\n        Permission.objects.create(codename=p['codename'], name=p['name'], content_type=ct)\n",
    );
    let p = &a.index.projects[0];
    assert!(p.is_known("blog", "moderate_post"));
    assert!(p.is_known("blog", "feature_post"));
    assert_eq!(
        codes(&a),
        vec!["DJP002 Unknown permission `blog.moderate_psot`".to_string()]
    );
}

#[test]
fn rows_created_in_a_loop_with_a_content_type_that_does_not_fold() {
    let (_d, a) = rows_from_command(
        "from django.contrib.auth.models import Permission\nfrom django.contrib.contenttypes.models import ContentType\nfrom blog import models\n\ndef run():\n    ct = ContentType.objects.get_for_model(models.Post)\n    for p in [{'codename': 'moderate_post'}]:\n        Permission.objects.get_or_create(codename=p['codename'], content_type=ct)\n    for codename, name in [('feature_post', 'y')]:\n        Permission.objects.get_or_create(codename=codename, name=name, content_type=ct)\n",
    );
    assert_eq!(
        codes(&a),
        vec!["DJP002 Unknown permission `blog.moderate_psot`".to_string()]
    );
}

const DATA_MIGRATION: &str = "from django.db import migrations\n\ndef create_perms(apps, schema_editor):\n    alias = schema_editor.connection.alias\n    Post = apps.get_model('blog', 'Post')\n    ContentType = apps.get_model('contenttypes', 'ContentType')\n    ct = ContentType.objects.get_for_model(Post)\n    perm_model = apps.get_model(MODEL)\n    perm_model.objects.using(alias).get_or_create(codename='edit_post', name='x', content_type=ct)\n\nclass Migration(migrations.Migration):\n    dependencies = [('blog', '0001_initial')]\n    operations = [migrations.RunPython(create_perms)]\n";

#[test]
fn permission_model_bound_under_another_name_in_a_data_migration() {
    let views = views(&["blog.edit_post", "blog.edit_psot"]);
    for model in ["'auth', 'Permission'", "'auth.Permission'"] {
        let migration = DATA_MIGRATION.replace("MODEL", model);
        let (_d, a) = project(&[
            ("blog/migrations/0002_perms.py", &migration),
            ("blog/views.py", &views),
        ]);
        assert!(a.index.projects[0].is_known("blog", "edit_post"), "{model}");
        assert_eq!(
            codes(&a),
            vec!["DJP002 Unknown permission `blog.edit_psot`".to_string()],
            "{model}"
        );
    }
    // Another model bound the same way creates no permission.
    let migration = DATA_MIGRATION.replace("MODEL", "'auth', 'Group'");
    let (_d, a) = project(&[
        ("blog/migrations/0002_perms.py", &migration),
        ("blog/views.py", &views),
    ]);
    assert!(!a.index.projects[0].is_known("blog", "edit_post"));
}

#[test]
fn a_models_own_permission_methods_called_with_keywords() {
    let (_d, a) = project(&[
        (
            "blog/mixins.py",
            "class ObjectPermissionMixin:\n    def has_perm(self, user_obj, perm):\n        return False\n    def assign_perm(self, user_obj, perm):\n        pass\n    def remove_perm(self, user_obj, perm):\n        pass\n",
        ),
        (
            "blog/views.py",
            "from guardian.shortcuts import assign_perm, remove_perm\n\ndef v(request, post):\n    post.has_perm(request.user, 'can_publish')\n    post.has_perm(user_obj=request.user, perm='can_publish')\n    post.assign_perm(user_obj=request.user, perm='can_publish')\n    post.remove_perm(request.user, 'can_publish')\n    post.assign_perm('can_publish', request.user)\n    post.has_perm('can_publish', request.user, 1)\n    request.user.has_perm(perm='can_publish')\n    request.user.has_perms(perm_list=['can_publish'], obj=None)\n    assign_perm(perm='can_publish', user_or_group=request.user)\n    remove_perm('can_publish', request.user)\n",
        ),
    ]);
    assert_eq!(
        found(&a),
        at("blog/views.py", &[10, 11, 12, 13], "DJP001"),
        "{:?}",
        codes(&a)
    );
}

#[test]
fn a_views_own_has_perm_taking_an_action() {
    let (_d, a) = project(&[
        (
            "blog/mixins.py",
            "class ApiViewMixin:\n    def has_perm(self, action, obj=None):\n        return self.request.user.has_perm('blog.%s_post' % action, obj)\n",
        ),
        (
            "blog/api.py",
            "from blog.mixins import ApiViewMixin\n\nclass PostViewSet(ApiViewMixin):\n    def get_queryset(self):\n        if self.has_perm('change'):\n            return []\n        if self.request.user.has_perm('can_publish'):\n            return []\n\nclass Standalone:\n    def get(self, request):\n        user = request.user\n        return self.has_perm('update') or user.has_perm('can_publsh')\n",
        ),
    ]);
    assert_eq!(
        found(&a),
        at("blog/api.py", &[7, 13], "DJP001"),
        "{:?}",
        codes(&a)
    );
}

#[test]
fn self_has_perm_inside_a_user_model_is_checked() {
    let (_d, a) = project(&[(
        "blog/users.py",
        "from django.contrib.auth.models import AbstractUser\n\nclass Author(AbstractUser):\n    class Meta:\n        abstract = True\n\n    def can_edit(self):\n        return self.has_perm('can_publish')\n\nclass Editor(Author):\n    class Meta:\n        abstract = True\n\n    @classmethod\n    def f(cls):\n        return cls.has_perm('can_publish')\n\nclass OwnCheck(Author):\n    class Meta:\n        abstract = True\n\n    def has_perm(self, action, obj=None):\n        return False\n\n    def g(self):\n        return self.has_perm('update')\n",
    )]);
    assert_eq!(
        found(&a),
        at("blog/users.py", &[8, 16], "DJP001"),
        "{:?}",
        codes(&a)
    );
}
