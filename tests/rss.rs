//! The facts keep only what the index reads of a migration's operations, and the replay gives
//! the same permissions.

use djperm::config::Config;
use djperm::value::Value;
use djperm::workspace::Snapshot;
use djperm::{analyze, Selection};

const INITIAL: &str = r#"from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        migrations.CreateModel(
            name="Post",
            fields=[("id", models.AutoField(primary_key=True)), ("title", models.CharField(max_length=100))],
            options={"permissions": [("publish_post", "Can publish")]},
        ),
        migrations.AddField(model_name="post", name="body", field=models.TextField(default="")),
    ]
"#;

const SECOND: &str = r#"from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("blog", "0001_initial")]
    operations = [
        migrations.AlterModelOptions(
            name="post",
            options={"permissions": [("publish_post", "Can publish"), ("archive_post", "Can archive")]},
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    "Tag",
                    [("id", models.AutoField(primary_key=True))],
                    {"permissions": [("pin_tag", "Can pin")]},
                ),
            ],
        ),
    ]
"#;

const MODELS: &str = r#"from django.db import models


class Post(models.Model):
    title = models.CharField(max_length=100)
    body = models.TextField(default="")

    class Meta:
        permissions = [("publish_post", "Can publish"), ("archive_post", "Can archive")]


class Tag(models.Model):
    class Meta:
        permissions = [("pin_tag", "Can pin")]
"#;

const VIEWS: &str = r#"def view(request):
    request.user.has_perm("blog.publish_post")
    request.user.has_perm("blog.archive_post")
    request.user.has_perm("blog.pin_tag")
    request.user.has_perm("blog.change_tag")
    request.user.has_perm("blog.unpin_tag")
"#;

fn snapshot() -> Snapshot {
    let mut s = Snapshot::new("/nonexistent-djperm-rss");
    s.add(
        "manage.py",
        "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"settings\")\n",
    );
    s.add(
        "settings.py",
        "INSTALLED_APPS = [\"django.contrib.auth\", \"django.contrib.contenttypes\", \"blog\"]\n",
    );
    s.add("blog/__init__.py", "");
    s.add("blog/models.py", MODELS);
    s.add("blog/migrations/__init__.py", "");
    s.add("blog/migrations/0001_initial.py", INITIAL);
    s.add("blog/migrations/0002_options.py", SECOND);
    s.add("blog/views.py", VIEWS);
    s
}

#[test]
fn migration_facts_keep_what_the_replay_reads() {
    let facts = djperm::python::extract_python(0, INITIAL, "blog.migrations.0001_initial", false);
    let class = facts
        .classes
        .iter()
        .find(|c| c.name == "Migration")
        .unwrap();
    let Value::Seq(ops) = &class.attrs["operations"].value else {
        panic!("operations not a list");
    };
    let Value::Call(call) = &ops[0].value else {
        panic!("not a call");
    };
    let (func, kwargs) = (&call.func, &call.kwargs);
    assert_eq!(func, "CreateModel");
    let kwarg = |name: &str| &Value::kwarg(kwargs, name).unwrap().value;
    assert!(
        Value::kwarg(kwargs, "fields").is_none(),
        "fields are dropped"
    );
    assert!(
        matches!(kwarg("options"), Value::Dict(_)),
        "options are kept"
    );
    assert!(matches!(kwarg("name"), Value::Str(s) if s == "Post"));
    let Value::Call(call) = &ops[1].value else {
        panic!("not a call");
    };
    let (func, kwargs) = (&call.func, &call.kwargs);
    assert_eq!(func, "AddField");
    assert!(kwargs.is_empty() && call.args.is_empty());

    // Other classes keep every attribute.
    let facts = djperm::python::extract_python(0, MODELS, "blog.models", false);
    let post = facts.classes.iter().find(|c| c.name == "Post").unwrap();
    assert!(matches!(post.attrs["title"].value, Value::Call(_)));
}

#[test]
fn the_replay_of_pruned_operations_finds_every_permission() {
    let analysis = analyze(snapshot(), &Config::default(), &Selection::default());
    let found: Vec<(usize, &str)> = analysis
        .diagnostics
        .iter()
        .filter(|d| analysis.ws.path(d.span.file) == "blog/views.py")
        .map(|d| {
            let line = VIEWS[..d.span.start as usize].lines().count();
            (line, d.code)
        })
        .collect();
    // Options altered later, a model created in state only, its default permissions: known.
    // The one permission no migration creates is reported.
    assert_eq!(found, vec![(6, "DJP002")], "{:#?}", analysis.diagnostics);
}
