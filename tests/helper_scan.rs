//! The search for calls of the project's permission helpers in files the pre-filter skipped
//! looks for functions whose parameters reach a permission API, not for functions that only
//! change permissions: those matter only between two checks (DJP005), in files that are read
//! for their checks anyway.

mod common;

use common::{check_with_timings, project};

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
