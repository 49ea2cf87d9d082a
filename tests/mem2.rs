//! What a report-only check keeps in memory until its rules end stays small: who checks which
//! permission holds only the names some project defines, in one compact list.

mod common;

/// The checks map holds the places of the names a project defines (by full name and by bare
/// codename) and nothing for a string that names no permission; the rules reading it still
/// see every check.
#[test]
fn the_checks_map_holds_only_defined_names() {
    use djperm::facts::RefKind;
    use djperm::rules::{perms, Context};
    let (_dir, a) = common::project(&[(
        "blog/views.py",
        "from django.contrib.auth.models import Permission\n\n\
         def v(request):\n    request.user.has_perm(\"blog.can_publish\")\n    \
         request.user.has_perm(\"blog.can_publish\")\n    \
         Permission.objects.get(codename=\"can_publish\")\n    \
         return request.user.has_perm(\"blog.nothing_defines_this\")\n",
    )]);
    let ctx = Context::for_rules(&a.ws, &a.index, &[]);
    let checks = perms::checks(&ctx);
    let full = checks.get("blog.can_publish").unwrap();
    // The base template's check and the two calls, in the order of their spans.
    assert_eq!(full.len(), 3, "{full:?}");
    assert!(full.windows(2).all(|w| w[0].1 < w[1].1), "{full:?}");
    let bare = checks.get("can_publish").unwrap();
    assert!(bare.iter().any(|(k, _)| *k == RefKind::Lookup), "{bare:?}");
    assert!(checks.get("blog.nothing_defines_this").is_none());
    assert!(checks.get("nothing_defines_this").is_none());
    assert!(checks.get("blog.can_publis").is_none());
    let codes = common::codes(&a);
    assert!(
        codes
            .iter()
            .any(|c| c.starts_with("DJP002") && c.contains("nothing_defines_this")),
        "{codes:#?}"
    );
    assert!(!codes.iter().any(|c| c.starts_with("DJP030")), "{codes:#?}");
}
