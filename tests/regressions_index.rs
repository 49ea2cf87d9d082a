//! False positives whose cause is in the index: which labels are complete, which classes are
//! models, which apps are installed together, what the backends accept.

mod common;

use common::{codes, project};

fn warnings(a: &djperm::Analysis) -> Vec<String> {
    a.index
        .projects
        .iter()
        .flat_map(|p| p.warnings.clone())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Rules names under the label of an app outside the project.

const OUTSIDE_APP_SETTINGS: &str = "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'rules.apps.AutodiscoverRulesConfig', 'extpkg.projects', 'blog']\nAUTHENTICATION_BACKENDS = ['rules.permissions.ObjectPermissionBackend', 'django.contrib.auth.backends.ModelBackend']\n";

#[test]
fn rules_names_under_the_label_of_an_outside_app_leave_the_label_open() {
    let (_d, a) = project(&[
        ("proj/settings.py", OUTSIDE_APP_SETTINGS),
        (
            "blog/rules.py",
            "import rules\nrules.add_perm('extprojects.view_project', rules.is_authenticated)\n",
        ),
        (
            "blog/views.py",
            "def v(request):\n    a = request.user.has_perm('extprojects.view_project')\n    b = request.user.has_perm('extprojects.change_project')\n    return request.user.has_perm('blog.can_publsh')\n",
        ),
    ]);
    let got = codes(&a);
    // The outside app's own permissions are unknown; a typo in a project label still counts.
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("DJP002 Unknown permission `blog.can_publsh`"),
        "{got:?}"
    );
    assert!(
        warnings(&a).iter().any(|w| w.contains("`extpkg.projects`")),
        "{:?}",
        warnings(&a)
    );
}

#[test]
fn rules_names_under_a_label_no_app_owns_are_complete_when_every_app_is_known() {
    let (_d, a) = project(&[
        (
            "blog/rules.py",
            "import rules\nrules.add_perm('extprojects.view_project', rules.is_authenticated)\n",
        ),
        (
            "blog/views.py",
            "def v(request):\n    a = request.user.has_perm('extprojects.view_project')\n    return request.user.has_perm('extprojects.change_project')\n",
        ),
    ]);
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("DJP002 Unknown permission `extprojects.change_project`"),
        "{got:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Classes that are not Django models.

#[test]
fn classes_that_are_not_django_models_need_no_migration() {
    let (_d, a) = project(&[(
        "blog/models.py",
        "from typing import TYPE_CHECKING\nfrom django.db import models\nfrom django.contrib.auth.models import AnonymousUser\nfrom pydantic import BaseModel\nfrom pydantic.main import BaseModel as Base2\n\nif TYPE_CHECKING:\n    class Typed(models.Model):\n        pass\n\nclass Spec(BaseModel):\n    url: str\n\nclass Spec2(Base2):\n    url: str\n\nclass Guest(AnonymousUser):\n    pass\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\nclass Note(models.Model):\n    pass\n",
    )]);
    let got = codes(&a);
    // Only the real model without a migration.
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("DJP004") && got[0].contains("`Note`"),
        "{got:?}"
    );
}

#[test]
fn model_bases_from_model_libraries_stay_models() {
    let (_d, a) = project(&[(
        "blog/models.py",
        "from django.db import models\nfrom somelib.models import TimeStampedModel\nfrom treelib.mp_tree import MP_Node\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\nclass Stamp(TimeStampedModel):\n    pass\n\nclass Node(MP_Node):\n    pass\n",
    )]);
    let got = codes(&a);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(got.iter().all(|c| c.starts_with("DJP004")), "{got:?}");
}

// ---------------------------------------------------------------------------------------------
// Apps installed in alternative branches of the settings.

fn organization_app(name: &str) -> [(String, String); 4] {
    [
        (format!("{name}/__init__.py"), String::new()),
        (
            format!("{name}/models.py"),
            "from django.db import models\n\nclass Organization(models.Model):\n    pass\n".to_string(),
        ),
        (format!("{name}/migrations/__init__.py"), String::new()),
        (
            format!("{name}/migrations/0001_initial.py"),
            "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [migrations.CreateModel(name='Organization', fields=[])]\n".to_string(),
        ),
    ]
}

fn swapped_apps(settings: &str) -> Vec<String> {
    let mut files: Vec<(String, String)> = Vec::new();
    files.extend(organization_app("users"));
    files.extend(organization_app("sample_users"));
    files.push(("proj/settings.py".into(), settings.into()));
    files.push((
        "blog/migrations/0002_grant.py".into(),
        "from django.db import migrations\nfrom django.contrib.auth.models import Permission\n\ndef grant(apps, schema_editor):\n    Permission.objects.get(codename='view_organization')\n\nclass Migration(migrations.Migration):\n    dependencies = [('blog', '0001_initial')]\n    operations = [migrations.RunPython(grant)]\n".into(),
    ));
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let (_d, a) = project(&refs);
    codes(&a)
}

#[test]
fn apps_swapped_in_a_settings_branch_are_not_installed_together() {
    let got = swapped_apps("import os\nSAMPLE_APP = os.environ.get('SAMPLE_APP', False)\nINSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog', 'users']\nif SAMPLE_APP:\n    INSTALLED_APPS.insert(INSTALLED_APPS.index('users'), 'sample_users')\n    INSTALLED_APPS.remove('users')\n");
    assert!(got.is_empty(), "{got:?}");
    // Installed together unconditionally: the lookup is ambiguous.
    let got = swapped_apps("INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog', 'users', 'sample_users']\n");
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("DJP008"), "{got:?}");
}

// ---------------------------------------------------------------------------------------------
// Backends.

const VIEWS_WITH_TYPOS: &str = "def v(request):\n    a = request.user.has_perm('cloud.services.image')\n    b = request.user.has_perm('can_publish')\n    return request.user.has_perm('blog.can_publsh')\n";

#[test]
fn backends_that_answer_has_perm_themselves_make_strings_unknowable() {
    let (_d, a) = project(&[
        (
            "proj/settings.py",
            "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\nAUTHENTICATION_BACKENDS = ('blog.backend.TokenBackend',)\n",
        ),
        (
            "blog/backend.py",
            "class TokenBackend:\n    def authenticate(self, request, token=None):\n        return None\n\n    def get_all_permissions(self, user, obj=None):\n        return {'cloud.services.%s' % s for s in user.services}\n\n    def has_perm(self, user, perm, obj=None):\n        return perm in self.get_all_permissions(user, obj)\n",
        ),
        ("blog/views.py", VIEWS_WITH_TYPOS),
    ]);
    let got = codes(&a);
    assert!(got.is_empty(), "{got:?}");
    let w = warnings(&a);
    assert!(
        w.iter().any(|w| w.contains("`blog.backend.TokenBackend`")),
        "{w:?}"
    );
}

fn custom_user(has_perm_body: &str) -> (tempfile::TempDir, djperm::Analysis) {
    let models = format!("from django.db import models\nfrom django.contrib.auth.models import AbstractUser\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\nclass Member(AbstractUser):\n    def has_perm(self, perm, obj=None):\n        {has_perm_body}\n");
    project(&[
        (
            "proj/settings.py",
            "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\nAUTH_USER_MODEL = 'blog.Member'\n",
        ),
        ("blog/models.py", &models),
        (
            "blog/migrations/0001_initial.py",
            "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [migrations.CreateModel(name='Post', fields=[], options={'permissions': [('can_publish', 'Can publish')]}), migrations.CreateModel(name='Member', fields=[])]\n",
        ),
        ("blog/views.py", VIEWS_WITH_TYPOS),
    ])
}

#[test]
fn a_user_model_that_overrides_has_perm_makes_strings_unknowable() {
    let (_d, a) = custom_user("return perm in self.roles");
    let got = codes(&a);
    assert!(got.is_empty(), "{got:?}");
    // An override that asks the parent (a cache, an extra condition) changes nothing.
    let (_d, b) = custom_user("return self.is_active and super().has_perm(perm, obj)");
    let got = codes(&b);
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(
        warnings(&a).iter().any(|w| w.contains("`blog.Member`")),
        "{:?}",
        warnings(&a)
    );
}

#[test]
fn authentication_only_backends_relax_nothing() {
    let backend = "from django.contrib.auth.backends import ModelBackend\n\nclass EmailBackend(ModelBackend):\n    pass\n\nclass TokenBackend:\n    def authenticate(self, request, token=None):\n        return None\n\n    def get_user(self, user_id):\n        return None\n";
    let views = "def v(request):\n    return request.user.has_perm('blog.publish_post')\n";
    let settings = |backends: &str| {
        format!("INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\nAUTHENTICATION_BACKENDS = [{backends}]\n")
    };
    let only_auth = settings("'blog.backend.TokenBackend', 'blog.backend.EmailBackend'");
    let (_d, a) = project(&[
        ("proj/settings.py", &only_auth),
        ("blog/backend.py", backend),
        ("blog/views.py", views),
    ]);
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("DJP002 Unknown permission `blog.publish_post`"),
        "{got:?}"
    );
    assert!(warnings(&a).is_empty(), "{:?}", warnings(&a));
    // A backend that cannot be read may accept free-form actions on real models.
    let unread =
        settings("'elsewhere.backends.RoleBackend', 'django.contrib.auth.backends.ModelBackend'");
    let (_d, a) = project(&[("proj/settings.py", &unread), ("blog/views.py", views)]);
    let got = codes(&a);
    assert!(got.is_empty(), "{got:?}");
    // A package's backend outside the project that the bundled table knows authenticates only
    // (a social-login backend) relaxes nothing either.
    let social = settings(
        "'social_core.backends.github.GithubMemberOAuth2', 'django.contrib.auth.backends.ModelBackend'",
    );
    let (_d, a) = project(&[("proj/settings.py", &social), ("blog/views.py", views)]);
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("DJP002 Unknown permission `blog.publish_post`"),
        "{got:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Names a function imports itself.

fn rows_migration(body: &str) -> String {
    format!(
        "from django.db import migrations\n\n\ndef create(apps, schema_editor):\n{body}    ct = ContentType.objects.get_for_model(Group)\n    Permission.objects.create(name='Decide', codename='decide_for_group', content_type=ct)\n\n\nclass Migration(migrations.Migration):\n    dependencies = [('blog', '0001_initial')]\n    operations = [migrations.RunPython(create)]\n"
    )
}

const DECIDE_VIEWS: &str = "def v(request):\n    a = request.user.has_perm('auth.decide_for_group')\n    return request.user.has_perm('blog.decide_for_group')\n";

/// A data migration that imports `Group` inside its function creates its row under `auth`: the
/// same codename under another label is unknown (and `auth` is suggested). A name the function
/// both imports and assigns is not followed: the row's label stays open.
#[test]
fn a_name_a_function_imports_itself_is_what_it_imports() {
    let imports = "    from django.contrib.auth.models import Group, Permission\n    from django.contrib.contenttypes.models import ContentType\n\n";
    let (_d, a) = project(&[
        ("blog/migrations/0002_rows.py", &rows_migration(imports)),
        ("blog/views.py", DECIDE_VIEWS),
    ]);
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("DJP002 Unknown permission `blog.decide_for_group`"),
        "{got:?}"
    );
    let suggested = a.diagnostics.iter().any(|d| {
        d.notes
            .iter()
            .chain(d.help.iter())
            .any(|n| n.contains("auth.decide_for_group"))
    });
    assert!(suggested, "{:?}", a.diagnostics);

    let rebound = format!(
        "{imports}    if schema_editor is None:\n        Group = apps.get_model('blog', 'Post')\n"
    );
    let (_d, a) = project(&[
        ("blog/migrations/0002_rows.py", &rows_migration(&rebound)),
        ("blog/views.py", DECIDE_VIEWS),
    ]);
    assert_eq!(codes(&a), Vec::<String>::new());
}
