//! Preview rules on the cases real Django (and guardian) decides: each test asserts the silence
//! and the real bug of the same shape.

mod common;

use common::{codes, project};

const PREVIEW: (&str, &str) = ("djperm.toml", "preview = true\n");

/// The 1-based lines of the findings of one rule in one file.
fn lines_in(a: &djperm::Analysis, file: &str, code: &str) -> Vec<usize> {
    a.diagnostics
        .iter()
        .filter(|d| d.code == code && a.ws.path(d.span.file) == file)
        .map(|d| a.ws.locator(d.span.file).line(d.span.start as usize) + 1)
        .collect()
}

// DJP016 ---------------------------------------------------------------------------------------

const GRANTS: &str = "def grant(user, group, role):\n    user.user_permissions.add('blog.can_publish')\n    group.permissions.add('blog.can_publish')\n    role.permissions.add('blog.can_publish')\n";

#[test]
fn m2m_to_another_model_takes_strings() {
    // A role's `permissions` go to a capability keyed by a string: `permissions.add("a.b")` may
    // be right for it, so the `permissions` relation is not judged; `user_permissions` still is.
    let models = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\nclass Capability(models.Model):\n    code = models.CharField(max_length=100, primary_key=True)\n\nclass Role(models.Model):\n    permissions = models.ManyToManyField(Capability)\n";
    let (_d, a) = project(&[
        PREVIEW,
        ("blog/models.py", models),
        ("blog/grants.py", GRANTS),
    ]);
    assert_eq!(
        lines_in(&a, "blog/grants.py", "DJP016"),
        vec![2],
        "{:?}",
        codes(&a)
    );
    // The same relation to Django's Permission: every call is the bug.
    for to in ["Permission", "'auth.Permission'"] {
        let models = models
            .replace(
                "models.ManyToManyField(Capability)",
                &format!("models.ManyToManyField({to})"),
            )
            .replace(
                "from django.db import models\n",
                "from django.contrib.auth.models import Permission\nfrom django.db import models\n",
            );
        let (_d, a) = project(&[
            PREVIEW,
            ("blog/models.py", &models),
            ("blog/grants.py", GRANTS),
        ]);
        assert_eq!(
            lines_in(&a, "blog/grants.py", "DJP016"),
            vec![2, 3, 4],
            "{to}: {:?}",
            codes(&a)
        );
    }
    // A reverse relation named `permissions` (a related_name) goes elsewhere too.
    let models = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\nclass Role(models.Model):\n    name = models.CharField(max_length=10)\n\nclass Capability(models.Model):\n    roles = models.ManyToManyField(Role, related_name='permissions')\n";
    let (_d, a) = project(&[
        PREVIEW,
        ("blog/models.py", models),
        ("blog/grants.py", GRANTS),
    ]);
    assert_eq!(
        lines_in(&a, "blog/grants.py", "DJP016"),
        vec![2],
        "{:?}",
        codes(&a)
    );
}

// DJP011 ---------------------------------------------------------------------------------------

#[test]
fn noqa_on_the_assignment_line_of_a_parenthesized_pair() {
    let models = |noqa: &str| {
        format!("from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = ({noqa}\n            ('can_publish', 'Can publish')\n        )\n")
    };
    let (_d, a) = project(&[PREVIEW, ("blog/models.py", &models(""))]);
    assert_eq!(
        lines_in(&a, "blog/models.py", "DJP011"),
        vec![5],
        "{:?}",
        codes(&a)
    );
    let (_d, a) = project(&[PREVIEW, ("blog/models.py", &models("  # noqa: DJP011"))]);
    assert_eq!(
        lines_in(&a, "blog/models.py", "DJP011"),
        Vec::<usize>::new(),
        "{:?}",
        codes(&a)
    );
    // Nested groupings: the outermost.
    let (_d, a) = project(&[
        PREVIEW,
        (
            "blog/models.py",
            "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        default_permissions = (\n            ('view')\n        )\n",
        ),
    ]);
    assert_eq!(
        lines_in(&a, "blog/models.py", "DJP011"),
        vec![5],
        "{:?}",
        codes(&a)
    );
}

// DJP012 ---------------------------------------------------------------------------------------

#[test]
fn empty_permission_required_behind_a_has_permission_override() {
    let views = "from django.contrib.auth.mixins import PermissionRequiredMixin\nfrom django.views.generic import DetailView\nfrom .models import Post\n\nclass Hooked(PermissionRequiredMixin, DetailView):\n    model = Post\n    permission_required = ()\n\n    def has_permission(self):\n        return self.request.user.has_perm('blog.can_publish')\n\nclass Open(PermissionRequiredMixin, DetailView):\n    model = Post\n    permission_required = ()\n";
    let (_d, a) = project(&[
        PREVIEW,
        ("blog/views.py", views),
        (
            "proj/urls.py",
            "from django.urls import path\nfrom blog import views\n\nurlpatterns = [\n    path('a/<int:pk>/', views.Hooked.as_view()),\n    path('b/<int:pk>/', views.Open.as_view()),\n]\n",
        ),
    ]);
    assert_eq!(
        lines_in(&a, "blog/views.py", "DJP012"),
        vec![14],
        "{:?}",
        codes(&a)
    );
}

// DJP020 and DJP001 on guardian's get_objects_for_user -----------------------------------------

const MODELS_TWO: &str = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\nclass Comment(models.Model):\n    pass\n\nclass Draft(Post):\n    class Meta:\n        proxy = True\n";

#[test]
fn guardian_klass_of_another_model() {
    let services = "from guardian.shortcuts import get_objects_for_user\nfrom .models import Comment, Draft, Post\n\ndef a(user):\n    return get_objects_for_user(user, 'blog.change_post', klass=Comment)\n\ndef b(user):\n    return get_objects_for_user(user, ['blog.change_post'], klass=Comment.objects.all())\n\ndef c(user):\n    return get_objects_for_user(user, 'blog.change_post', Post.objects.filter(pk=1).order_by('pk'))\n\ndef d(user):\n    return get_objects_for_user(user, 'blog.change_post', klass=Post)\n\ndef e(user, qs):\n    return get_objects_for_user(user, 'blog.change_post', klass=qs)\n\ndef f(user):\n    return get_objects_for_user(user, 'blog.change_post', klass=Draft)\n";
    let (_d, a) = project(&[
        PREVIEW,
        ("blog/models.py", MODELS_TWO),
        ("blog/services.py", services),
    ]);
    assert_eq!(
        lines_in(&a, "blog/services.py", "DJP020"),
        vec![5, 8],
        "{:?}",
        codes(&a)
    );
}

#[test]
fn guardian_bare_codenames_need_a_model() {
    let services = "from guardian.shortcuts import get_objects_for_user\nfrom .models import Post\n\ndef a(user):\n    return get_objects_for_user(user, 'change_post')\n\ndef b(user):\n    return get_objects_for_user(user, 'change_post', klass=Post)\n\ndef c(user):\n    return get_objects_for_user(user, ['view_post', 'blog.change_post'])\n\ndef d(user):\n    return get_objects_for_user(user, ['blog.change_post', 'view_post'])\n\ndef e(user, perm):\n    return get_objects_for_user(user, ['view_post', perm])\n\ndef f(user):\n    return get_objects_for_user(user, ['view_post', 'change_post'], Post.objects.all())\n";
    let (_d, a) = project(&[PREVIEW, ("blog/services.py", services)]);
    assert_eq!(
        lines_in(&a, "blog/services.py", "DJP001"),
        vec![5],
        "{:?}",
        codes(&a)
    );
    assert_eq!(
        lines_in(&a, "blog/services.py", "DJP020"),
        Vec::<usize>::new(),
        "{:?}",
        codes(&a)
    );
    // DJP001 is stable: the bug is reported without preview too.
    let (_d, a) = project(&[("blog/services.py", services)]);
    assert_eq!(
        lines_in(&a, "blog/services.py", "DJP001"),
        vec![5],
        "{:?}",
        codes(&a)
    );
}

// DJP010 ---------------------------------------------------------------------------------------

fn migration(body: &str, operations: &str) -> String {
    format!("from django.db import migrations\n\n{body}\n\nclass Migration(migrations.Migration):\n    dependencies = [('blog', '0001_initial')]\n    operations = [{operations}]\n")
}

#[test]
fn data_migration_fetches_and_grants_before_post_migrate() {
    let body = "def forwards(apps, schema_editor):\n    Permission = apps.get_model('auth', 'Permission')\n    Group = apps.get_model('auth', 'Group')\n    g = Group.objects.create(name='E')\n    g.permissions.add(*Permission.objects.filter(codename__in=['can_publish', 'change_post']))\n    Permission.objects.filter(codename='can_publish').delete()\n    qs = Permission.objects.filter(content_type__app_label='blog')\n    g.permissions.add(qs.get(codename='can_publish'))\n\ndef backwards(apps, schema_editor):\n    Permission = apps.get_model('auth', 'Permission')\n    Permission.objects.get(codename='can_publish').delete()\n";
    let (_d, a) = project(&[
        PREVIEW,
        (
            "blog/migrations/0002_editors.py",
            &migration(body, "migrations.RunPython(forwards, backwards)"),
        ),
    ]);
    let file = "blog/migrations/0002_editors.py";
    // the granted filter (both codenames named) and the get through a local; not the delete,
    // not the reverse code
    assert_eq!(lines_in(&a, file, "DJP010"), vec![7, 10], "{:?}", codes(&a));
    assert!(
        codes(&a)
            .iter()
            .any(|c| c.contains("`blog.can_publish`, `blog.change_post` do not exist yet")),
        "{:?}",
        codes(&a)
    );
    // The same function run forwards too: read.
    let (_d, a) = project(&[
        PREVIEW,
        (
            file,
            &migration(
                body,
                "migrations.RunPython(forwards, backwards), migrations.RunPython(backwards)",
            ),
        ),
    ]);
    assert_eq!(
        lines_in(&a, file, "DJP010"),
        vec![7, 10, 14],
        "{:?}",
        codes(&a)
    );
}

#[test]
fn create_permissions_for_one_app_creates_that_app_only() {
    let body = |label: &str| {
        format!("from django.contrib.auth.management import create_permissions\n\ndef forwards(apps, schema_editor):\n    create_permissions(apps.get_app_config({label}), apps=apps, verbosity=0)\n    Permission = apps.get_model('auth', 'Permission')\n    Permission.objects.get(codename='can_publish', content_type__app_label='blog')\n    Permission.objects.get(codename='view_user', content_type__app_label='auth')\n")
    };
    let file = "blog/migrations/0002_editors.py";
    let (_d, a) = project(&[
        PREVIEW,
        (
            file,
            &migration(&body("'blog'"), "migrations.RunPython(forwards)"),
        ),
    ]);
    assert_eq!(lines_in(&a, file, "DJP010"), vec![9], "{:?}", codes(&a));
    // An app config djperm cannot name: every app's, maybe.
    let (_d, a) = project(&[
        PREVIEW,
        (
            file,
            &migration(&body("label"), "migrations.RunPython(forwards)"),
        ),
    ]);
    assert_eq!(
        lines_in(&a, file, "DJP010"),
        Vec::<usize>::new(),
        "{:?}",
        codes(&a)
    );
}

#[test]
fn grants_after_post_migrate_or_of_one_tested_row_are_not_reported() {
    let file = "blog/migrations/0002_editors.py";
    // A receiver the migration connects to post_migrate runs after the rows are made.
    let connected = "from django.db.models.signals import post_migrate\n\ndef forwards(apps, schema_editor):\n    def later(sender=None, **kwargs):\n        Permission = kwargs['apps'].get_model('auth', 'Permission')\n        Group = kwargs['apps'].get_model('auth', 'Group')\n        g = Group.objects.get(name='E')\n        g.permissions.add(*Permission.objects.filter(codename='can_publish'))\n        g.permissions.add(Permission.objects.get(codename='can_publish'))\n    post_migrate.connect(later, weak=False)\n";
    let (_d, a) = project(&[
        PREVIEW,
        (
            file,
            &migration(connected, "migrations.RunPython(forwards)"),
        ),
    ]);
    assert_eq!(
        lines_in(&a, file, "DJP010"),
        Vec::<usize>::new(),
        "{:?}",
        codes(&a)
    );
    // `.first()` is one row or None, which the code may test; the queryset itself is the bug.
    let first = "def forwards(apps, schema_editor):\n    Permission = apps.get_model('auth', 'Permission')\n    Group = apps.get_model('auth', 'Group')\n    g = Group.objects.get(name='E')\n    p = Permission.objects.filter(codename='can_publish').first()\n    if p:\n        g.permissions.add(p)\n    q = Permission.objects.filter(codename='can_publish').distinct()\n    g.permissions.set(q)\n";
    let (_d, a) = project(&[
        PREVIEW,
        (file, &migration(first, "migrations.RunPython(forwards)")),
    ]);
    assert_eq!(lines_in(&a, file, "DJP010"), vec![10], "{:?}", codes(&a));
}

// DJP022 ---------------------------------------------------------------------------------------

#[test]
fn yaml_fixtures_and_unknown_labels() {
    let yaml = "# groups\n- model: auth.group\n  pk: 1\n  fields:\n    name: \"Editors é\"\n    permissions:\n    - [can_publish, blog, post]\n    - ['can_publsh', blog, post]\n    - - view_post\n      - blog\n      - post\n    - [view_post, blogg, post]\n    - 7\n";
    let (_d, a) = project(&[PREVIEW, ("blog/fixtures/groups.yaml", yaml)]);
    let file = "blog/fixtures/groups.yaml";
    assert_eq!(lines_in(&a, file, "DJP022"), vec![8, 12], "{:?}", codes(&a));
    let spans: Vec<&str> = a
        .diagnostics
        .iter()
        .filter(|d| d.code == "DJP022")
        .map(|d| &a.ws.text(d.span.file)[d.span.start as usize..d.span.end as usize])
        .collect();
    assert_eq!(spans, vec!["'can_publsh'", "view_post"]);
    assert!(
        codes(&a)
            .iter()
            .any(|c| c.contains("no installed app has the label `blogg`")),
        "{:?}",
        codes(&a)
    );
    // `.yml` is not a format loaddata knows; a YAML file that does not parse is loaddata's
    // business; an unknown label in a project whose labels are not all known is not judged.
    let (_d, a) = project(&[
        PREVIEW,
        ("blog/fixtures/other.yml", yaml),
        ("blog/fixtures/broken.yaml", "- [can_publsh, blog, post\n"),
        ("blog/fixtures/labels.json", "[{\"model\": \"auth.group\", \"pk\": 1, \"fields\": {\"permissions\": [[\"view_item\", \"shop\", \"item\"]]}}]"),
        ("proj/settings.py", "from .apps import EXTRA\nINSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog'] + EXTRA\n"),
    ]);
    assert_eq!(
        a.diagnostics.iter().filter(|d| d.code == "DJP022").count(),
        0,
        "{:?}",
        codes(&a)
    );
    // Every label known: `shop` is none of them.
    let (_d, a) = project(&[
        PREVIEW,
        ("blog/fixtures/labels.json", "[{\"model\": \"auth.group\", \"pk\": 1, \"fields\": {\"permissions\": [[\"view_item\", \"shop\", \"item\"]]}}]"),
    ]);
    assert_eq!(
        lines_in(&a, "blog/fixtures/labels.json", "DJP022"),
        vec![1],
        "{:?}",
        codes(&a)
    );
}

#[test]
fn m2m_receiver_model_from_annotation_or_binding() {
    let models = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\nclass Capability(models.Model):\n    code = models.CharField(max_length=100, primary_key=True)\n\nclass Role(models.Model):\n    permissions = models.ManyToManyField(Capability)\n";
    let grants = "from django.contrib.auth.models import Group\nfrom .models import Role\n\ndef a(group: Group):\n    group.permissions.add('blog.can_publish')\n\ndef b():\n    g, _ = Group.objects.get_or_create(name='E')\n    g.permissions.add('blog.can_publish')\n\ndef c(role: Role):\n    role.permissions.add('blog.can_publish')\n\ndef d():\n    r = Role.objects.create()\n    r.permissions.add('blog.can_publish')\n\ndef e(x):\n    x.permissions.add('blog.can_publish')\n";
    let (_d, a) = project(&[
        PREVIEW,
        ("blog/models.py", models),
        ("blog/grants.py", grants),
    ]);
    assert_eq!(
        lines_in(&a, "blog/grants.py", "DJP016"),
        vec![5, 9],
        "{:?}",
        codes(&a)
    );
}

// DJP030 ---------------------------------------------------------------------------------------

#[test]
fn unused_permission_sees_guardian_checks_and_the_whole_tree() {
    // A reusable app: its test settings live in tests/, its code (and the checks) beside it.
    let perms =
        "[('can_publish', 'Can publish'), ('can_pin', 'Can pin'), ('can_lock', 'Can lock')]";
    let model = format!("from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = {perms}\n");
    let migration = format!("from django.db import migrations\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [migrations.CreateModel(name='Post', fields=[], options={{'permissions': {perms}}})]\n");
    let dir = tempfile::tempdir().unwrap();
    common::write_tree(
        dir.path(),
        &[
            ("djperm.toml", b"preview = true\n"),
            ("pyproject.toml", b"[project]\nname = 'blog'\n"),
            ("blog/__init__.py", b""),
            ("blog/models.py", model.as_bytes()),
            ("blog/migrations/__init__.py", b""),
            ("blog/migrations/0001_initial.py", migration.as_bytes()),
            ("tests/__init__.py", b""),
            ("tests/manage.py", b"import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'tests.settings')\n"),
            ("tests/settings.py", b"INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'guardian', 'blog']\n"),
            (
                "blog/views.py",
                b"from guardian.shortcuts import get_objects_for_user\nfrom .models import Post\n\ndef v(request):\n    get_objects_for_user(request.user, 'blog.can_publish')\n    return get_objects_for_user(request.user, ['can_pin'], klass=Post)\n",
            ),
        ],
    );
    let config = djperm::config::Config {
        preview: true,
        ..Default::default()
    };
    let a = common::analyze_with(dir.path(), &config);
    let got: Vec<String> = codes(&a)
        .into_iter()
        .filter(|c| c.starts_with("DJP030"))
        .collect();
    assert_eq!(got.len(), 1, "{:?}", codes(&a));
    assert!(got[0].contains("`blog.can_lock`"), "{got:?}");
}

#[test]
fn hostile_yaml_fixtures_do_not_crash() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let blocks: String = (0..3000)
        .map(|i| format!("{}- \n", "  ".repeat(i)))
        .collect();
    let (_d, a) = project(&[
        PREVIEW,
        ("blog/fixtures/deep.yaml", &deep),
        ("blog/fixtures/blocks.yaml", &blocks),
        ("blog/fixtures/tabs.yaml", "\t- [x\n\0\u{feff}"),
        ("blog/fixtures/typo.yaml", "- model: auth.group\n  pk: 1\n  fields:\n    permissions:\n    - [can_publsh, blog, post]\n"),
    ]);
    assert_eq!(
        lines_in(&a, "blog/fixtures/typo.yaml", "DJP022"),
        vec![5],
        "{:?}",
        codes(&a)
    );
}
