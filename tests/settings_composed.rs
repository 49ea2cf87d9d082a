//! Settings as Django composes them: django-split-settings `include()`, `exec(open(...))`,
//! branches, `settings.X = ...` assignments elsewhere, and the configuration's escape hatches;
//! and the backends they name (authentication-only, permissive).

mod common;

use common::{codes, project};

/// A view checking each permission in turn.
fn views(perms: &[&str]) -> String {
    let mut s = String::from("def v(request):\n");
    for p in perms {
        s.push_str(&format!("    request.user.has_perm('{p}')\n"));
    }
    s
}

const SHOP_MODELS: &str = "from django.db import models\n\nclass Order(models.Model):\n    pass\n";

#[test]
fn split_settings_include_with_globs_and_optional() {
    let (_d, a) = project(&[
        (
            "manage.py",
            "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"conf.settings\")\n",
        ),
        ("conf/__init__.py", ""),
        ("conf/settings/__init__.py", "from split_settings.tools import include, optional\n\ninclude('components/*.py', optional('local.py'))\n"),
        ("conf/settings/components/__init__.py", ""),
        (
            "conf/settings/components/apps.py",
            "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\n",
        ),
        (
            "conf/settings/components/more.py",
            "INSTALLED_APPS += ['shop']\nAUTH_USER_MODEL = 'auth.User'\n",
        ),
        ("shop/__init__.py", ""),
        ("shop/models.py", SHOP_MODELS),
        (
            "blog/views.py",
            &views(&["shop.add_order", "blog.can_publish", "sohp.add_order"]),
        ),
    ]);
    let project = &a.index.projects[0];
    assert!(project.has_label("shop"), "{:?}", project.labels);
    assert!(project.labels_known);
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("DJP003") && got[0].contains("sohp"),
        "{got:?}"
    );
}

#[test]
fn exec_open_read_and_both_branches_count() {
    let (_d, a) = project(&[
        (
            "proj/settings.py",
            "import os\nBASE_DIR = os.path.dirname(os.path.dirname(__file__))\nINSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\nexec(open(os.path.join(BASE_DIR, 'proj', 'extra_settings.py')).read())\n",
        ),
        ("proj/extra_settings.py", "INSTALLED_APPS += ['shop']\n"),
        ("shop/__init__.py", ""),
        ("shop/models.py", SHOP_MODELS),
        (
            "blog/views.py",
            &views(&["shop.add_order", "shop.add_ordr"]),
        ),
    ]);
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("DJP002") && got[0].contains("shop.add_ordr"),
        "{got:?}"
    );
}

#[test]
fn backends_assigned_at_run_time_count_as_possibly_active() {
    let backend = "from django.contrib.auth.backends import BaseBackend\n\nclass SiteBackend(BaseBackend):\n    def has_perm(self, user_obj, perm, obj=None):\n        return perm.startswith('site.')\n";
    let files = |runtime: bool| {
        let mut files = vec![
            ("site/__init__.py", String::new()),
            ("site/backends.py", backend.to_string()),
            ("blog/views.py", views(&["site.reboot"])),
        ];
        if runtime {
            files.push((
                "site/config.py",
                "from django.conf import settings\n\ndef configure():\n    settings.AUTHENTICATION_BACKENDS = ['site.backends.SiteBackend']\n".to_string(),
            ));
        }
        files
    };
    let with = files(true);
    let refs: Vec<(&str, &str)> = with.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let (_d, a) = project(&refs);
    let backends = a.index.projects[0].settings.backends.clone().unwrap();
    assert!(
        backends.iter().any(|b| b == "site.backends.SiteBackend"),
        "{backends:?}"
    );
    assert_eq!(codes(&a), Vec::<String>::new());
    // Without the run-time assignment, `site` is an unknown label.
    let without = files(false);
    let refs: Vec<(&str, &str)> = without.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let (_d, a) = project(&refs);
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("DJP003"), "{got:?}");
}

#[test]
fn an_authentication_only_backend_relaxes_nothing() {
    let (_d, a) = project(&[
        (
            "proj/settings.py",
            "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog', 'sso']\nAUTHENTICATION_BACKENDS = ['sso.backends.TokenBackend', 'django.contrib.auth.backends.ModelBackend']\n",
        ),
        ("sso/__init__.py", ""),
        (
            "sso/backends.py",
            "class TokenBackend:\n    def authenticate(self, request, token=None):\n        return None\n\n    def get_user(self, user_id):\n        return None\n",
        ),
        ("blog/views.py", &views(&["blog.edit_post", "blog.change_post"])),
    ]);
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("DJP002") && got[0].contains("blog.edit_post"),
        "{got:?}"
    );
}

#[test]
fn a_permissive_project_backend_is_said_not_silent() {
    let (_d, a) = project(&[
        (
            "proj/settings.py",
            "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog', 'acl']\nAUTHENTICATION_BACKENDS = ['acl.backends.AclBackend']\n",
        ),
        ("acl/__init__.py", ""),
        (
            "acl/backends.py",
            "class AclBackend:\n    def has_perm(self, user_obj, perm, obj=None):\n        return perm in user_obj.acl\n",
        ),
        ("blog/views.py", &views(&["blog.edit_post"])),
    ]);
    assert_eq!(codes(&a), Vec::<String>::new());
    let warnings = &a.index.projects[0].warnings;
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("acl.backends.AclBackend")),
        "{warnings:?}"
    );
}

#[test]
fn config_escape_hatches_name_what_cannot_be_read() {
    let settings = "from .plugins import get_plugins\nINSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog'] + get_plugins()\n";
    let base = [
        ("proj/settings.py", settings),
        (
            "proj/plugins.py",
            "def get_plugins():\n    return ['shop']\n",
        ),
        ("shop/__init__.py", ""),
        ("shop/models.py", SHOP_MODELS),
        (
            "blog/views.py",
            "def v(request):\n    return request.user.has_perm('billing.pay_invoice')\n",
        ),
    ];
    let (_d, a) = project(&base);
    assert!(!a.index.projects[0].labels_known);
    assert_eq!(codes(&a), Vec::<String>::new());
    let mut with = base.to_vec();
    with.push(("djperm.toml", "installed-apps = [\"shop\"]\n"));
    // The named list is complete and leaves `blog` out: the base template's check of
    // `blog.can_publish` would be a second DJP003, not this test's subject.
    with.push(("blog/templates/blog/base.html", ""));
    let (_d, a) = project(&with);
    assert!(a.index.projects[0].labels_known);
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("DJP003") && got[0].contains("billing"),
        "{got:?}"
    );
}

#[test]
fn both_branches_of_if_and_try_count() {
    let (_d, a) = project(&[
        (
            "proj/settings.py",
            "import os\nBASE = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\nif os.environ.get('X'):\n    INSTALLED_APPS = BASE + ['shop']\nelse:\n    INSTALLED_APPS = BASE + ['billing']\ntry:\n    import debug_toolbar\n    INSTALLED_APPS += ['extras']\nexcept ImportError:\n    pass\n",
        ),
        ("shop/__init__.py", ""),
        ("shop/models.py", SHOP_MODELS),
        ("billing/__init__.py", ""),
        ("billing/models.py", "from django.db import models\n\nclass Invoice(models.Model):\n    pass\n"),
        ("extras/__init__.py", ""),
        ("extras/models.py", "from django.db import models\n\nclass Note(models.Model):\n    pass\n"),
        (
            "blog/views.py",
            &views(&["shop.add_order", "billing.add_invoice", "extras.add_note", "extras.add_nte"]),
        ),
    ]);
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].starts_with("DJP002") && got[0].contains("extras.add_nte"),
        "{got:?}"
    );
}
