//! The checks DJP005 follows, and the search for calls of the project's permission helpers in
//! files the pre-filter skipped: it looks for functions whose parameters reach a permission API,
//! not for functions that only change permissions, which matter only between two such checks,
//! in files that are read for their checks anyway.

mod common;

use common::{check_with_timings, project};
use djperm::Analysis;

/// `(1-based line, code)` of every finding.
fn lines(a: &Analysis) -> Vec<(usize, String)> {
    a.diagnostics
        .iter()
        .map(|d| {
            let text = a.ws.text(d.span.file);
            let line = text[..d.span.start as usize].matches('\n').count() + 1;
            (line, d.code.to_string())
        })
        .collect()
}

/// Files the helper search found, summed over its rounds (`DJPERM_TIMINGS`).
fn found(stderr: &str) -> usize {
    stderr
        .lines()
        .filter(|l| l.contains("helper scan"))
        .map(|l| {
            l.split(" files found")
                .next()
                .and_then(|s| s.rsplit(' ').next())
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or_else(|| panic!("{l}"))
        })
        .sum()
}

#[test]
fn a_function_that_grants_is_followed_from_the_check_not_searched_for() {
    let grants = "from django.contrib.auth.models import Group\n\n\ndef make_editor(user):\n    user.groups.add(Group.objects.get(name='editors'))\n";
    let views = "from .grants import make_editor\n\n\ndef promote(request):\n    request.user.has_perm('blog.can_publish')\n    make_editor(request.user)\n    return request.user.has_perm('blog.can_publish')\n";
    // Calls of the granting function with no check around them.
    let tasks = "from .grants import make_editor\n\n\ndef nightly(users):\n    for u in users:\n        make_editor(u)\n";
    let helper = "def allowed(user, name):\n    return user.has_perm(name)\n";
    // Nothing here looks like a check to the pre-filter: only the helper search finds it.
    let api = "from .access import allowed\n\n\ndef v(request):\n    return allowed(request.user, 'blog.publsh')\n";
    let (dir, _) = project(&[
        ("blog/grants.py", grants),
        ("blog/views.py", views),
        ("blog/tasks.py", tasks),
        ("blog/access.py", helper),
        ("blog/api.py", api),
    ]);
    let out = check_with_timings(dir.path(), &["--output-format", "concise", "--no-cache"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The stale check through the granting function is reported...
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("blog/views.py:7:") && l.contains("DJP005")),
        "{stdout}"
    );
    // ... the helper's call site is found and checked ...
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("blog/api.py:5:") && l.contains("DJP002")),
        "{stdout}"
    );
    // ... and the search found that one file, not the file that only calls the granting
    // function.
    assert_eq!(found(&stderr), 1, "{stderr}");
}

/// A file whose only permission calls are the checks DJP005 follows is read for them, so a
/// granting call between two of them is seen without searching for the granting function.
#[test]
fn every_check_that_djp005_follows_keeps_its_file() {
    let grants = "def make_editor(user):\n    user.groups.add(1)\n";
    let methods = [
        ("has_perm", "name"),
        ("has_perms", "[name]"),
        ("ahas_perm", "name"),
        ("ahas_perms", "[name]"),
        ("has_module_perms", "label"),
        ("ahas_module_perms", "label"),
        ("get_all_permissions", ""),
        ("get_user_permissions", ""),
        ("get_group_permissions", ""),
        ("aget_all_permissions", ""),
        ("aget_user_permissions", ""),
        ("aget_group_permissions", ""),
    ];
    let views: Vec<(String, String)> = methods
        .iter()
        .enumerate()
        .map(|(i, (m, arg))| {
            (
                format!("blog/view{i}.py"),
                format!("from .grants import make_editor\n\n\ndef v(request, name, label):\n    request.user.{m}({arg})\n    make_editor(request.user)\n    return request.user.{m}({arg})\n"),
            )
        })
        .collect();
    let mut files: Vec<(&str, &str)> = vec![("blog/grants.py", grants)];
    files.extend(views.iter().map(|(p, t)| (p.as_str(), t.as_str())));
    let (dir, _) = project(&files);
    let out = check_with_timings(dir.path(), &["--output-format", "concise", "--no-cache"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for (i, (m, _)) in methods.iter().enumerate() {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("blog/view{i}.py:7:")) && l.contains("DJP005")),
            "{m}: {stdout}"
        );
    }
}

/// `has_module_perms(label)` reads (and fills) the user's permission cache like `has_perm`: its
/// argument is an app label, not an object.
#[test]
fn a_module_check_after_a_group_change_is_stale() {
    let (_d, a) = project(&[(
        "blog/views.py",
        "def v(request, group):\n    request.user.has_module_perms('blog')\n    request.user.groups.add(group)\n    return request.user.has_module_perms('blog')\n\n\ndef w(request, post):\n    request.user.get_all_permissions(post)\n    request.user.groups.add(1)\n    return request.user.get_all_permissions(post)\n",
    )]);
    // only the module check: the object query reads no cache
    assert_eq!(
        lines(&a),
        vec![(4, "DJP005".to_string())],
        "{:?}",
        lines(&a)
    );
}
