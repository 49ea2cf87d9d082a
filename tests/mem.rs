//! What the facts of every parsed file cost in memory: short strings are held inline (no
//! allocation of their own), and the values stay small.

use djperm::value::{CompactString, Item, Value};

const MODELS: &str = r#"from django.db import models
from django.contrib.auth.models import Permission


class Post(models.Model):
    title = models.CharField(max_length=100, verbose_name="a title longer than twenty-four bytes")
    author = models.ForeignKey("accounts.User", on_delete=models.CASCADE)
    perms = models.ManyToManyField(Permission, related_name="posts")

    class Meta:
        permissions = [("publish_post", "Can publish"), ("archive_post", "Can archive")]
"#;

/// Every string inside `value`, with the field it sits in.
fn strings<'v>(value: &'v Value, out: &mut Vec<&'v CompactString>) {
    match value {
        Value::Str(s) => out.push(s),
        Value::Seq(items) => items.iter().for_each(|i| strings(&i.value, out)),
        Value::Dict(items) => items.iter().for_each(|(k, v)| {
            strings(k, out);
            strings(&v.value, out);
        }),
        Value::Ref { module, path } => {
            out.push(module);
            out.extend(path.iter());
        }
        Value::StarRef { modules, path } => {
            out.extend(modules.iter());
            out.extend(path.iter());
        }
        Value::Concat(parts) => parts.iter().for_each(|p| strings(p, out)),
        Value::Call(call) => {
            out.push(&call.func);
            if let Some(on) = &call.on {
                strings(on, out);
            }
            call.args.iter().for_each(|i| strings(&i.value, out));
            for (k, i) in &call.kwargs {
                out.push(k);
                strings(&i.value, out);
            }
        }
        Value::Bool(_) | Value::Int(_) | Value::None | Value::Unknown => {}
    }
}

#[test]
fn values_stay_small() {
    assert_eq!(std::mem::size_of::<Value>(), 32);
    assert!(std::mem::size_of::<Item>() <= 56);
}

/// Every parsed file's facts stay in memory for the whole run, and most of their lists are
/// empty: a list is one pointer wide (`ThinVec`), a class's rare `Meta` is boxed.
#[test]
fn empty_facts_stay_small() {
    use djperm::facts::{ClassFact, FileFacts};
    assert!(
        std::mem::size_of::<FileFacts>() <= 400,
        "{}",
        std::mem::size_of::<FileFacts>()
    );
    assert!(
        std::mem::size_of::<ClassFact>() <= 160,
        "{}",
        std::mem::size_of::<ClassFact>()
    );
    // Every file of the tree has a template slot; few files are templates.
    let (_dir, a) = common::project(&[]);
    let slot = |path: &str| {
        let id = (0..a.ws.templates.len())
            .find(|&id| a.ws.path(id) == path)
            .unwrap();
        &a.ws.templates[id]
    };
    assert!(slot("blog/templates/blog/base.html").is_some());
    assert!(slot("blog/models.py").is_none());
    assert_eq!(std::mem::size_of_val(slot("blog/models.py")), 8);
}

#[test]
fn short_strings_in_the_facts_are_inline() {
    let facts = djperm::python::extract_python(0, MODELS, "blog.models", false);
    let post = facts.classes.iter().find(|c| c.name == "Post").unwrap();
    let mut all = Vec::new();
    for item in post.attrs.values() {
        strings(&item.value, &mut all);
    }
    for item in post.meta.as_ref().unwrap().attrs.values() {
        strings(&item.value, &mut all);
    }
    // The names the file imports, and from where.
    for (local, (module, path)) in facts.imports.iter() {
        all.push(local);
        all.push(module);
        all.extend(path.iter());
    }
    all.extend(facts.imported_modules.iter());
    // Names, module paths, kwargs, labels: all there, none of them allocated on its own.
    for expected in [
        "CharField",
        "related_name",
        "django.db",
        "models",
        "accounts.User",
        "publish_post",
        "Permission",
        "django.contrib.auth.models",
    ] {
        assert!(
            all.iter().any(|s| s.as_str() == expected),
            "{expected} not in {all:?}"
        );
    }
    for s in &all {
        assert_eq!(
            s.is_heap_allocated(),
            s.len() > 24,
            "{s:?}: only strings longer than 24 bytes allocate"
        );
    }
    assert!(all.iter().any(|s| s.is_heap_allocated()), "a long one does");
}

mod common;

use djperm::config::Config;
use djperm::workspace::prefilter::Scope;
use djperm::{analyze, discover, Selection};

/// A report-only `check` (a lean snapshot) keeps only the helper calls a sink may name: a call of
/// a field class with a permission-shaped argument is dropped, the call of the project's own
/// helper is kept, and the unknown permission passed to that helper is still reported.
#[test]
fn a_lean_check_drops_the_calls_no_sink_names() {
    let (dir, fresh) = common::project(&[
        (
            "blog/perms.py",
            "def can(user, perm):\n    return user.has_perm(perm)\n",
        ),
        (
            "blog/views.py",
            "from blog.perms import can\n\ndef v(request):\n    return can(request.user, \"blog.can_unpublish\")\n",
        ),
        (
            "blog/models.py",
            "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\nclass Note(models.Model):\n    post = models.ForeignKey(\"blog.Post\", on_delete=models.CASCADE)\n",
        ),
    ]);
    let (snapshot, _) = discover::load_parsed(dir.path(), &[], Scope::Everything, 0);
    assert!(snapshot.lean);
    let lean = analyze(snapshot, &Config::default(), &Selection::default());
    let calls = |a: &djperm::Analysis, path: &str| {
        let id = (0..a.ws.python.len())
            .find(|&id| a.ws.path(id) == path)
            .unwrap();
        a.ws.python[id].as_ref().unwrap().helpers.calls.len()
    };
    // Kept in full where the workspace may be analysed again.
    assert_eq!(calls(&fresh, "blog/models.py"), 1);
    assert_eq!(
        calls(&lean, "blog/models.py"),
        0,
        "the field's call is dropped"
    );
    assert_eq!(calls(&lean, "blog/views.py"), 1, "the helper's call stays");
    let unknown = |a: &djperm::Analysis| {
        a.diagnostics
            .iter()
            .filter(|d| d.code == "DJP002" && a.ws.path(d.span.file) == "blog/views.py")
            .count()
    };
    assert_eq!(unknown(&fresh), 1, "{:#?}", common::codes(&fresh));
    assert_eq!(unknown(&lean), 1, "{:#?}", common::codes(&lean));
}

/// The rules' context keeps only the verdicts a rule reports; the full list (the hover's) has the
/// fine ones too, and the unknown permission is reported either way.
#[test]
fn the_rules_keep_only_the_verdicts_they_report() {
    use djperm::rules::verdict::Verdict;
    use djperm::rules::Context;
    let (_dir, a) = common::project(&[(
        "blog/views.py",
        "def v(request):\n    request.user.has_perm(\"blog.can_publish\")\n    return request.user.has_perm(\"blog.can_unpublish\")\n",
    )]);
    let says = |v: &Verdict| !matches!(v, Verdict::Fine | Verdict::Silent);
    let all = Context::with_sinks(&a.ws, &a.index, &[]);
    let texts = |ctx: &Context<'_>| -> Vec<String> {
        ctx.verdicts
            .iter()
            .map(|(_, s, _)| s.text.clone())
            .collect()
    };
    assert!(texts(&all).contains(&"blog.can_publish".to_string()));
    assert!(all.verdicts.iter().any(|(_, _, v)| !says(v)));
    let rules = Context::for_rules(&a.ws, &a.index, &[]);
    assert_eq!(texts(&rules), vec!["blog.can_unpublish".to_string()]);
    assert!(rules.verdicts.iter().all(|(_, _, v)| says(v)));
    assert!(common::codes(&a)
        .iter()
        .any(|c| c.starts_with("DJP002") && c.contains("can_unpublish")));
}

/// Who checks which permission is built once per context, however many rules read it.
#[test]
fn the_checks_map_is_built_once() {
    use djperm::rules::{perms, Context};
    let (_dir, a) = common::project(&[(
        "blog/views.py",
        "def v(request):\n    return request.user.has_perm(\"blog.can_publish\")\n",
    )]);
    let ctx = Context::for_rules(&a.ws, &a.index, &[]);
    let first = perms::checks(&ctx);
    assert!(first.contains_key("blog.can_publish"));
    assert!(std::ptr::eq(first, perms::checks(&ctx)));
}

/// A class's attributes are a list with no spare room (not a hash table): the last assignment
/// wins, in the place of the first.
#[test]
fn class_attributes_take_no_spare_room() {
    let src =
        "class A:\n    x = 1\n    y = 2\n    x = 3\n\n    class Meta:\n        abstract = True\n";
    let facts = djperm::python::extract_python(0, src, "m", false);
    let attrs = &facts.classes[0].attrs;
    assert_eq!(attrs.len(), 2);
    assert_eq!(attrs.capacity(), 2);
    assert_eq!(attrs["x"].value, Value::Int(3));
    let names: Vec<&str> = attrs.keys().map(|k| k.as_str()).collect();
    assert_eq!(names, ["x", "y"]);
    let meta = &facts.classes[0].meta.as_ref().unwrap().attrs;
    assert_eq!(meta.capacity(), 1);
    assert_eq!(meta["abstract"].value, Value::Bool(true));
}

/// The rules' context borrows a reference's value from the facts when resolving it changes
/// nothing, and resolves (owns) the others.
#[test]
fn settled_values_are_borrowed_by_the_context() {
    use djperm::rules::{Context, Held};
    let (_dir, a) = common::project(&[
        ("blog/perms.py", "PERM = \"blog.can_publish\"\n"),
        (
            "blog/views.py",
            "from blog.perms import PERM\n\ndef v(request):\n    request.user.has_perm(\"blog.can_publish\")\n    return request.user.has_perm(PERM)\n",
        ),
    ]);
    let ctx = Context::for_rules(&a.ws, &a.index, &[]);
    let of_views: Vec<_> = ctx
        .refs
        .iter()
        .filter(|r| a.ws.path(r.file) == "blog/views.py")
        .collect();
    assert_eq!(of_views.len(), 2);
    assert!(matches!(of_views[0].value, Held::Borrowed(_)));
    assert!(
        matches!(&of_views[1].value, Held::Owned(i) if i.value.as_str() == Some("blog.can_publish"))
    );
}
