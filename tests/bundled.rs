//! Third-party apps in INSTALLED_APPS but not in the tree: the bundled table gives their label
//! and the rows a fresh `migrate` creates, so strings under their labels are checked.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{codes, project};

const SETTINGS: &str = "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'rest_framework', 'rest_framework.authtoken', 'guardian', 'taggit', 'blog']\n";

fn view(perm: &str) -> String {
    format!("def v(request):\n    return request.user.has_perm('{perm}')\n")
}

#[test]
fn permissions_lists_bundled_rows() {
    let (dir, _) = project(&[("proj/settings.py", SETTINGS)]);
    let run = common::run_djperm(dir.path(), &["permissions"], Duration::from_secs(60));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    for (perm, model) in [
        ("authtoken.add_token", "token"),
        ("authtoken.view_tokenproxy", "tokenproxy"),
        (
            "guardian.change_userobjectpermission",
            "userobjectpermission",
        ),
        (
            "guardian.delete_groupobjectpermission",
            "groupobjectpermission",
        ),
        ("taggit.add_tag", "tag"),
        ("taggit.view_taggeditem", "taggeditem"),
    ] {
        let line = run
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(perm))
            .unwrap_or_else(|| panic!("no {perm} in\n{}", run.stdout));
        let cols: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cols[1..4], [model, "bundled", "db"], "{line}");
    }
    // Known, so not named as an entry djperm does not know.
    assert!(!run.stderr.contains("not in the project"), "{}", run.stderr);
}

#[test]
fn typo_under_a_bundled_label_is_reported() {
    let (_d, a) = project(&[
        ("proj/settings.py", SETTINGS),
        ("blog/views.py", &view("authtoken.add_tokn")),
    ]);
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("DJP002"), "{got:?}");
    let help = a.diagnostics[0].help.as_deref().unwrap_or_default();
    assert!(help.contains("authtoken.add_token"), "{help}");
}

#[test]
fn existing_bundled_permissions_are_silent() {
    for perm in [
        "authtoken.add_token",
        "guardian.view_userobjectpermission",
        "taggit.change_tag",
    ] {
        let (_d, a) = project(&[
            ("proj/settings.py", SETTINGS),
            ("blog/views.py", &view(perm)),
        ]);
        assert_eq!(codes(&a), Vec::<String>::new(), "{perm}");
    }
}

#[test]
fn entry_selected_by_its_app_config_path_is_known() {
    let settings = "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'taggit.apps.TaggitAppConfig', 'blog']\n";
    let (_d, a) = project(&[
        ("proj/settings.py", settings),
        ("blog/views.py", &view("taggit.add_tagg")),
    ]);
    let got = codes(&a);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("DJP002"), "{got:?}");
}

#[test]
fn entry_in_no_table_stays_unchecked() {
    let settings = "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'someapp', 'blog']\n";
    let (_d, a) = project(&[
        ("proj/settings.py", settings),
        ("blog/views.py", &view("someapp.add_tokn")),
    ]);
    assert_eq!(codes(&a), Vec::<String>::new());
    let project = &a.index.projects[0];
    assert!(project.opaque_labels.contains("someapp"));
    assert!(project.warnings.iter().any(|w| w.contains("`someapp`")));
}

#[test]
fn swapped_out_model_has_no_bundled_rows() {
    // A model the project swaps out (its swappable setting names another model) gets no rows.
    let swappable = djperm::env::bundled::apps()
        .iter()
        .flat_map(|a| a.models.iter().map(move |m| (a, m)))
        .find(|(_, m)| m.swappable.is_some());
    let Some((app, model)) = swappable else {
        return;
    };
    let setting = model.swappable.as_deref().unwrap();
    let settings = format!(
        "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', '{}', 'blog']\n{setting} = 'blog.Post'\n",
        app.entry
    );
    let perm = format!("{}.{}", app.label, model.permissions[0]);
    let (_d, a) = project(&[("proj/settings.py", &settings)]);
    assert!(
        !a.index.projects[0].is_known(&app.label, &model.permissions[0]),
        "{perm}"
    );
    let settings = format!(
        "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', '{}', 'blog']\n",
        app.entry
    );
    let (_d, a) = project(&[("proj/settings.py", &settings)]);
    assert!(
        a.index.projects[0].is_known(&app.label, &model.permissions[0]),
        "{perm}"
    );
}

#[test]
fn authentication_backends_are_classified() {
    use djperm::env::bundled::{backend, BackendKind};
    let kind = |p: &str| backend(p).map(|b| b.kind);
    assert_eq!(
        kind("guardian.backends.ObjectPermissionBackend"),
        Some(BackendKind::Object)
    );
    assert_eq!(
        kind("rules.permissions.ObjectPermissionBackend"),
        Some(BackendKind::Rules)
    );
    assert_eq!(
        kind("allauth.account.auth_backends.AuthenticationBackend"),
        Some(BackendKind::Model)
    );
    assert_eq!(kind("no.such.Backend"), None);
}

/// Real Django: the rows a fresh `migrate` creates for the three apps equal the table's.
#[test]
fn bundled_rows_match_real_django() {
    let (dir, a) = project(&[("proj/settings.py", SETTINGS)]);
    let labels = ["authtoken", "guardian", "taggit"];
    let django: BTreeSet<(String, String, String)> = common::django_rows(dir.path())
        .into_iter()
        .filter(|(l, _, _)| labels.contains(&l.as_str()))
        .collect();
    let ours: BTreeSet<(String, String, String)> = a.index.projects[0]
        .perms
        .iter()
        .filter(|p| labels.contains(&p.label.as_str()))
        .map(|p| {
            assert_eq!(p.source.as_str(), "bundled");
            (
                p.label.to_string(),
                p.model.as_deref().unwrap_or_default().to_string(),
                p.codename.to_string(),
            )
        })
        .collect();
    assert!(!django.is_empty());
    assert_eq!(ours, django);
}
