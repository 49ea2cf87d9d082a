//! The behaviour oracle: real Django shows each preview rule's premise — the exception,
//! the `False`, the `200` — on the very code that djperm reports.
//!
//! `tests/behaviour/run.py` runs `tests/behaviour/project/` (and, for bugs that stop `migrate`,
//! copies of it overlaid with `tests/behaviour/variants/<name>/`) with real Django and prints what
//! it observed. [`real_django_shows_each_premise`] asserts those observations.
//! [`djperm_findings_match_the_markers`] runs djperm (preview rules on) on the same files and
//! checks it against the markers in them:
//!
//! - `BUG DJPnnn`: djperm must report DJPnnn on this line;
//! - `KNOWN FN DJPnnn`: Django shows the bug, djperm misses it today (a rule bug to fix);
//! - `KNOWN FP DJPnnn`: Django shows no bug, djperm reports one today (a rule bug to fix).
//!
//! When a rule is fixed, the KNOWN assertion fails and says which marker to update.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{check_markers, markers, Marker};
use serde_json::Value;

fn behaviour_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/behaviour")
}

fn variant_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(behaviour_dir().join("variants"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

// ---------------------------------------------------------------------------------------------
// Real Django.

fn observe() -> Value {
    let python = common::python();
    let script = behaviour_dir().join("run.py");
    let out = Command::new(&python)
        .arg(&script)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} (install Django: see README): {e}",
                python.display()
            )
        });
    assert!(
        out.status.success(),
        "run.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "run.py prints JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// `(exception type, message)` when the outcome is an exception.
fn raised(v: &Value) -> Option<(&str, &str)> {
    let kind = v["raised"].as_str()?;
    Some((kind, v["message"].as_str().unwrap_or_default()))
}

/// The value of an outcome that did not raise.
fn value(v: &Value) -> &Value {
    assert!(v["raised"].is_null(), "expected a value, got {v}");
    &v["value"]
}

#[test]
fn real_django_shows_each_premise() {
    let o = observe();
    let at = |path: &str| -> &Value {
        let v = o.pointer(path).unwrap_or(&Value::Null);
        assert!(!v.is_null(), "run.py observed nothing at {path}:\n{o:#}");
        v
    };
    assert!(
        at("/versions/django").as_str().unwrap().starts_with("5.2"),
        "the fixtures are checked against Django 5.2"
    );

    // DJP010: a data migration's `get` runs before post_migrate has created the permission.
    let d010 = "/DJP010";
    for variant in [
        "djp010_get",
        "djp010_filter_get",
        "djp010_filter_then_get",
        "djp010_contrib",
        // `create_permissions` for blog only: auth's rows come later.
        "djp010_create_permissions_other_app",
    ] {
        assert_eq!(
            raised(at(&format!("{d010}/{variant}/migrate"))),
            Some(("DoesNotExist", "Permission matching query does not exist.")),
            "{variant}"
        );
    }
    // The fixes work, and so does a `get` after an earlier migration's `create_permissions`.
    for variant in [
        "djp010_create_permissions",
        "djp010_get_or_create",
        "djp010_earlier_create_permissions",
        "djp010_filter_grant_after_create",
    ] {
        value(at(&format!("{d010}/{variant}/migrate")));
        assert_eq!(
            at(&format!("{d010}/{variant}/editors")),
            &serde_json::json!(["blog.can_publish"]),
            "{variant}"
        );
        // post_migrate does not add a second row next to the migration's.
        assert_eq!(at(&format!("{d010}/{variant}/can_publish_rows")), 1);
    }
    // Catching DoesNotExist hides the crash, and a granted `filter(...)` matches nothing: the
    // grant is lost on every fresh database.
    for variant in ["djp010_try_except", "djp010_filter_grant"] {
        value(at(&format!("{d010}/{variant}/migrate")));
        assert_eq!(
            at(&format!("{d010}/{variant}/editors")),
            &serde_json::json!([]),
            "{variant}"
        );
    }
    // Reverse code runs only backwards, after post_migrate made the rows: it finds them.
    value(at(&format!("{d010}/djp010_reverse_code/migrate")));
    value(at(&format!("{d010}/djp010_reverse_code/migrate_back")));

    // DJP011: the str "view" gives one permission per character; a bare pair crashes the checks.
    assert_eq!(
        at("/DJP011/viewonly_codenames"),
        &serde_json::json!(["e_viewonly", "i_viewonly", "v_viewonly", "w_viewonly"])
    );
    for step in ["check", "migrate"] {
        assert_eq!(
            raised(at(&format!("/DJP011/djp011_pair/{step}"))),
            Some(("ValueError", "too many values to unpack (expected 2)")),
            "{step}"
        );
    }

    // DJP012: an empty list passes everyone, anonymous users included.
    assert_eq!(at("/DJP012/anonymous_has_perms_empty"), true);
    assert_eq!(at("/DJP012/nobody_has_perms_empty"), true);
    for view in ["decorator", "mixin", "inherited"] {
        assert_eq!(
            value(at(&format!("/DJP012/{view}_anonymous"))),
            200,
            "{view}"
        );
    }
    assert_eq!(value(at("/DJP012/control_anonymous")), 403);

    // DJP013: ModelBackend answers False as soon as an object is passed (not for superusers).
    assert_eq!(at("/DJP013/editor_global"), true);
    assert_eq!(at("/DJP013/editor_object"), false);
    assert_eq!(at("/DJP013/superuser_object"), true);
    assert_eq!(
        at("/DJP013/editor_none_object"),
        true,
        "`None` is no object"
    );

    // DJP014: `"x" in perms.app` raises TypeError, which `{% if %}` turns into False.
    assert_eq!(at("/DJP014/in_app_editor"), "");
    assert_eq!(at("/DJP014/in_app_superuser"), "");
    assert_eq!(at("/DJP014/attr_editor"), "yes");
    assert_eq!(at("/DJP014/attr_nobody"), "");
    assert_eq!(
        at("/DJP014/not_in_app_nobody"),
        "",
        "`not in` is always False too"
    );
    assert_eq!(
        raised(at("/DJP014/in_app_python")).map(|r| r.0),
        Some("TypeError")
    );

    // DJP015: codenames never contain the app label.
    assert_eq!(at("/DJP015/filter_dotted_count"), 0);
    assert_eq!(at("/DJP015/filter_split_count"), 1);
    assert_eq!(
        raised(at("/DJP015/get_dotted")),
        Some(("DoesNotExist", "Permission matching query does not exist."))
    );
    assert_eq!(at("/DJP015/guardian_dotted"), &serde_json::json!([]));
    assert_eq!(at("/DJP015/guardian_bare"), &serde_json::json!(["editor"]));

    // DJP016: the relation takes Permission objects (or primary keys), not strings.
    assert_eq!(
        raised(at("/DJP016/add_str")),
        Some((
            "ValueError",
            "Field 'id' expected a number but got 'blog.can_publish'."
        ))
    );
    assert_eq!(value(at("/DJP016/add_object")), true);

    // DJP017: no permission_required → every request raises.
    for (view, class) in [
        ("missing", "MissingPermissionView"),
        ("none", "NonePermissionView"),
    ] {
        let (kind, message) = raised(at(&format!("/DJP017/{view}"))).expect("raises");
        assert_eq!(kind, "ImproperlyConfigured");
        assert!(
            message.starts_with(&format!(
                "{class} is missing the permission_required attribute"
            )),
            "{message}"
        );
    }

    // DJP020: guardian needs every permission on one model.
    for (case, kind) in [
        ("two_models", "MixedContentTypeError"),
        ("two_apps", "MixedContentTypeError"),
        ("klass_mismatch", "MixedContentTypeError"),
        ("klass_queryset_mismatch", "MixedContentTypeError"),
        // (DJP001: a bare codename with nothing naming the model)
        ("bare", "WrongAppError"),
    ] {
        assert_eq!(
            raised(at(&format!("/DJP020/{case}"))).map(|r| r.0),
            Some(kind),
            "{case}"
        );
    }
    // The controls: `klass` (a model or its queryset) agrees, or a dotted permission gives the
    // app label the bare codenames share.
    for case in [
        "bare_with_klass",
        "klass_queryset",
        "mixed_bare_first",
        "mixed_dotted_first",
    ] {
        assert_eq!(
            value(at(&format!("/DJP020/{case}"))),
            &serde_json::json!(["1"]),
            "{case}"
        );
    }

    // DJP022: loaddata resolves natural keys; a missing permission fails the whole fixture.
    // The same in YAML; a natural key whose app label no app has fails on its content type.
    for (fixture, missing) in [
        ("typo_fixture", "Permission"),
        ("yaml_typo_fixture", "Permission"),
        ("label_typo_fixture", "ContentType"),
    ] {
        let (kind, message) = raised(at(&format!("/DJP022/{fixture}"))).expect("loaddata raises");
        assert_eq!(kind, "DeserializationError", "{fixture}");
        assert!(
            message.contains(&format!("{missing} matching query does not exist")),
            "{fixture}: {message}"
        );
    }
    assert_eq!(raised(at("/DJP022/good_fixture")), None);
    assert_eq!(raised(at("/DJP022/yaml_good_fixture")), None);

    // DJP021: DjangoModelPermissions needs `add_viewonly`, which ViewOnly never gets.
    assert_eq!(
        value(at("/DJP021/viewonly_post_with_all_its_permissions")),
        403
    );
    assert_eq!(value(at("/DJP021/viewonly_post_superuser")), 201);
    assert_eq!(value(at("/DJP021/comment_post_with_add_comment")), 201);

    // DJP030: a fresh DB has `blog.can_pin`, which no code, template or data migration checks.
    assert_eq!(at("/DJP030/can_pin_rows").as_i64(), Some(1));

    // Every variant was run.
    let mut seen: Vec<String> = ["/DJP010", "/DJP011"]
        .iter()
        .flat_map(|p| at(p).as_object().unwrap().keys().cloned())
        .filter(|k| k.starts_with("djp"))
        .collect();
    seen.sort();
    assert_eq!(seen, variant_names());
}

// ---------------------------------------------------------------------------------------------
// djperm on the same code.

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().filter_map(|e| e.ok()) {
        let name = entry.file_name();
        if name == "__pycache__" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

#[test]
fn djperm_findings_match_the_markers() {
    let project = behaviour_dir().join("project");
    // problem → where (the project, or which variant copies) it shows.
    let mut problems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in check_markers(&project) {
        problems.entry(p).or_default().push("project".into());
    }
    // Every preview rule has at least one real bug here that Django demonstrates.
    let mut all = markers(&project);
    for name in variant_names() {
        all.extend(markers(&behaviour_dir().join("variants").join(&name)));
    }
    // (DJP030 reports dead permissions, not a runtime failure: nothing for Django to show.)
    for rule in djperm::rules::RULES
        .iter()
        .filter(|r| r.preview && r.code != "DJP030")
    {
        assert!(
            all.iter()
                .any(|((_, _, code), m)| code == rule.code && *m == Marker::Bug),
            "no `BUG {}` marker in tests/behaviour",
            rule.code
        );
    }
    for name in variant_names() {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&project, dir.path());
        copy_dir(&behaviour_dir().join("variants").join(&name), dir.path());
        for p in check_markers(dir.path()) {
            problems.entry(p).or_default().push(name.clone());
        }
    }
    let report: Vec<String> = problems
        .iter()
        .map(|(p, places)| format!("{p} (in {})", places.join(", ")))
        .collect();
    assert!(report.is_empty(), "{}", report.join("\n"));
}
