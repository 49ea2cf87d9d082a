use super::*;

#[test]
fn folds_settings_sequences() {
    let src = r#"
from .base import *
A = ["a", "b"]
B = ("c",)
INSTALLED_APPS = A + list(B)
INSTALLED_APPS += ["d"]
INSTALLED_APPS.append("e")
X = _("hello")
"#;
    let facts = extract_python(0, src, "proj.settings", false);
    let apps = &facts.constants["INSTALLED_APPS"];
    let names: Vec<_> = apps
        .as_seq()
        .unwrap()
        .iter()
        .map(|i| i.value.as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["a", "b", "c", "d", "e"]);
    assert_eq!(facts.constants["X"], Value::Str("hello".into()));
    assert_eq!(facts.star_imports, ["proj.base"]);
}

#[test]
fn finds_references_and_skips_dynamic() {
    let src = r#"
from guardian.shortcuts import assign_perm
PERM = "blog.can_publish"
def view(request, obj, name):
    request.user.has_perm("blog.add_post")
    request.user.has_perm(PERM)
    request.user.has_perm(f"blog.{name}")
    request.user.has_perm("change_post", obj)
    request.user.has_perms("blog.add_post")
    assign_perm("change_post", request.user, obj)
"#;
    let facts = extract_python(0, src, "blog.views", false);
    let kinds: Vec<_> = facts
        .references
        .iter()
        .map(|r| {
            (
                r.kind,
                r.value.value.as_str().map(str::to_string),
                r.with_obj,
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (RefKind::HasPerm, Some("blog.add_post".into()), false),
            (RefKind::HasPerm, Some("blog.can_publish".into()), false),
            (RefKind::HasPerm, None, false),
            (RefKind::HasPerm, Some("change_post".into()), true),
            (RefKind::HasPerms, Some("blog.add_post".into()), false),
            (RefKind::GuardianAssign, Some("change_post".into()), true),
        ]
    );
}

#[test]
fn stale_cache_sequence() {
    let src = r#"
def test_it(self):
    user = User.objects.create(username="x")
    user.user_permissions.add(p)
    assert user.has_perm("blog.a_b")
    assert user.has_perm("blog.a_b")
    user.user_permissions.add(q)
    assert user.has_perm("blog.c_d")
    user = User.objects.get(pk=user.pk)
    assert user.has_perm("blog.c_d")
"#;
    let facts = extract_python(0, src, "blog.tests", false);
    assert_eq!(facts.stale_checks.len(), 1);
    assert_eq!(facts.stale_checks[0].receiver, "user");
}

#[test]
fn syntax_error_is_one_fact() {
    let facts = extract_python(0, "def f(:\n", "m", false);
    assert!(facts.syntax_error.is_some());
    assert!(facts.references.is_empty());
}

#[test]
fn deep_nesting_does_not_overflow() {
    let src = format!("X = {}1{}\n", "[".repeat(150), "]".repeat(150));
    let facts = extract_python(0, &src, "m", false);
    assert!(facts.syntax_error.is_none());
    // Folding gives up past MAX_DEPTH instead of recursing: the innermost levels are Unknown.
    let mut v = &facts.constants["X"];
    let mut depth = 0;
    while let Value::Seq(items) = v {
        v = &items[0].value;
        depth += 1;
    }
    assert_eq!(*v, Value::Unknown);
    assert!(depth < 150 && depth > 10, "{depth}");
}
