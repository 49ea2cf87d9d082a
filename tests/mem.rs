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
    // Names, module paths, kwargs, labels: all there, none of them allocated on its own.
    for expected in [
        "CharField",
        "max_length",
        "django.db",
        "models",
        "accounts.User",
        "publish_post",
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
