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

const TEAM_MODELS: &str = "from django.contrib.auth.models import Permission\nfrom django.db import models\n\n\nclass Post(models.Model):\n    tags = models.ManyToManyField('Tag', blank=True)\n    labels = models.ManyToManyField('Tag', through='Labelled', blank=True, related_name='+')\n\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\n\nclass Tag(models.Model):\n    name = models.CharField(max_length=20, null=True, unique=True)\n\n\nclass Labelled(models.Model):\n    post = models.ForeignKey(Post, on_delete=models.CASCADE, db_index=False)\n    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)\n\n\nclass Team(models.Model):\n    permissions = models.ManyToManyField(Permission, blank=True, related_name='teams')\n    size = models.DecimalField(max_digits=12, decimal_places=2, default=0)\n    code = models.CharField('code', 'extra', default=make_code, help_text=_('The code'), choices=Kind.choices)\n";

const GRANT: &str = "def grant(team):\n    team.permissions.add('blog.can_publish')\n";

/// A field declaration keeps, of its arguments, only what some reader asks for: the first
/// positional one and the keywords `to`, `through` and `related_name`; a class's other
/// attributes and its `Meta` stay whole.
#[test]
fn field_declarations_keep_only_the_arguments_read() {
    use djperm::value::Value;
    let facts = djperm::python::extract_python(0, TEAM_MODELS, "blog.models", false);
    let kwargs = |class: &str, attr: &str| -> Vec<String> {
        let c = facts.classes.iter().find(|c| c.name == class).unwrap();
        match &c.attrs.get(attr).unwrap().value {
            Value::Call(call) => call.kwargs.iter().map(|(k, _)| k.to_string()).collect(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(kwargs("Post", "tags"), Vec::<String>::new());
    assert_eq!(kwargs("Post", "labels"), ["through", "related_name"]);
    assert_eq!(kwargs("Tag", "name"), Vec::<String>::new());
    assert_eq!(kwargs("Labelled", "post"), Vec::<String>::new());
    assert_eq!(kwargs("Team", "permissions"), ["related_name"]);
    assert_eq!(kwargs("Team", "size"), Vec::<String>::new());
    assert_eq!(kwargs("Team", "code"), Vec::<String>::new());
    let args = |class: &str, attr: &str| -> Vec<Value> {
        let c = facts.classes.iter().find(|c| c.name == class).unwrap();
        match &c.attrs.get(attr).unwrap().value {
            Value::Call(call) => call.args.iter().map(|i| i.value.clone()).collect(),
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(args("Team", "code"), [Value::Str("code".into())]);
    assert!(matches!(&args("Labelled", "post")[..], [Value::Ref { .. }]));
    // Not a field: kept whole.
    let other = djperm::python::extract_python(
        0,
        "class Urls:\n    router = DefaultRouter(trailing_slash=False)\n\n    class Meta:\n        managed = False\n",
        "blog.urls",
        false,
    );
    let c = &other.classes[0];
    match &c.attrs.get("router").unwrap().value {
        Value::Call(call) => assert_eq!(call.kwargs.len(), 1),
        v => panic!("{v:?}"),
    }
    assert!(c.meta.as_ref().unwrap().attrs.get("managed").is_some());
}

/// The rules reading fields see the same: DJP016 judges a relation to `Permission` (and stays
/// silent on one to another model), and the tables of many-to-many fields without `through`
/// get the rows code run by `migrate` creates for each auto-created model.
#[test]
fn what_is_read_of_fields_survives_the_pruning() {
    let migration = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [\n        migrations.CreateModel(name='Post', fields=[], options={'permissions': [('can_publish', 'Can publish')]}),\n        migrations.CreateModel(name='Tag', fields=[]),\n        migrations.CreateModel(name='Labelled', fields=[]),\n        migrations.CreateModel(name='Team', fields=[]),\n    ]\n";
    let apps = "from django.apps import AppConfig\nfrom django.db.models.signals import post_migrate\n\n\ndef through_perms(sender, **kwargs):\n    from django.apps import apps\n    from django.contrib.auth.models import Permission\n    from django.contrib.contenttypes.models import ContentType\n\n    for model in apps.get_models(include_auto_created=True):\n        if not model._meta.auto_created:\n            continue\n        ct = ContentType.objects.get_for_model(model)\n        Permission.objects.get_or_create(codename=f'audit_{model._meta.model_name}', content_type=ct)\n\n\nclass BlogConfig(AppConfig):\n    name = 'blog'\n\n    def ready(self):\n        post_migrate.connect(through_perms, sender=self)\n";
    let (_dir, a) = common::project(&[
        ("blog/models.py", TEAM_MODELS),
        ("blog/migrations/0001_initial.py", migration),
        ("blog/apps.py", apps),
        ("blog/services.py", GRANT),
        ("djperm.toml", "preview = true\n"),
    ]);
    let codes = common::codes(&a);
    assert!(
        codes
            .iter()
            .any(|c| c.starts_with("DJP016") && c.contains("blog.can_publish")),
        "{codes:#?}"
    );
    let p = &a.index.projects[0];
    assert!(p.lookup("blog", "audit_post_tags").next().is_some());
    assert!(p.lookup("blog", "audit_post_labels").next().is_none());
    let (_dir, a) = common::project(&[
        (
            "blog/models.py",
            &TEAM_MODELS.replace("ManyToManyField(Permission", "ManyToManyField(Tag"),
        ),
        ("blog/services.py", GRANT),
        ("djperm.toml", "preview = true\n"),
    ]);
    let codes = common::codes(&a);
    assert!(!codes.iter().any(|c| c.starts_with("DJP016")), "{codes:#?}");
}

const INITIAL: &str = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [\n        migrations.CreateModel(\n            name='Post',\n            fields=[('id', models.AutoField(primary_key=True))],\n            options={'ordering': ['-id'], 'verbose_name': 'post', 'permissions': [('can_publish', 'Can publish')], 'proxy': False},\n        ),\n    ]\n";

/// A migration's `CreateModel` and `AlterModelOptions` keep only the options the replay reads
/// (`permissions`, `default_permissions`, `swappable`, `proxy`); the replay gives the same
/// state: an `AlterModelOptions` without `permissions` still drops them.
#[test]
fn migration_options_keep_only_what_the_replay_reads() {
    use djperm::value::Value;
    let facts = djperm::python::extract_python(0, INITIAL, "blog.migrations.0001_initial", false);
    let ops = facts.classes[0].attrs.get("operations").unwrap();
    let Value::Seq(ops) = &ops.value else {
        panic!("{ops:?}")
    };
    let keys: Vec<&str> = match ops[0].value.arg(2, "options").map(|i| &i.value) {
        Some(Value::Dict(items)) => items.iter().filter_map(|(k, _)| k.as_str()).collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(keys, ["permissions", "proxy"]);

    let in_database = |a: &djperm::Analysis| {
        a.index.projects[0]
            .lookup("blog", "can_publish")
            .any(|d| d.in_database)
    };
    let (_dir, a) = common::project(&[("blog/migrations/0001_initial.py", INITIAL)]);
    assert!(in_database(&a));
    let state = &a.index.projects[0].state["blog"].models["post"];
    let mut keys: Vec<&str> = state.options.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["permissions", "proxy"]);
    let alter = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [('blog', '0001_initial')]\n    operations = [migrations.AlterModelOptions(name='post', options={'ordering': ['id']})]\n";
    let (_dir, a) = common::project(&[
        ("blog/migrations/0001_initial.py", INITIAL),
        ("blog/migrations/0002_alter.py", alter),
    ]);
    assert!(!in_database(&a));
    let codes = common::codes(&a);
    assert!(codes.iter().any(|c| c.starts_with("DJP004")), "{codes:#?}");
}

/// A report-only check drops, once its workspace is built, the words called in each file it
/// does not hold (only the helper-call scan of the build reads them); the word sets the rules'
/// scans read stay, and the file the scan found through the helper's call is still reported.
#[test]
fn a_lean_check_forgets_the_words_called_after_its_build() {
    use djperm::config::Config;
    use djperm::workspace::prefilter::Scope;
    let (dir, fresh) = common::project(&[
        (
            "blog/perms.py",
            "def can(user, perm):\n    return user.has_perm(perm)\n",
        ),
        (
            "blog/other.py",
            "from blog.perms import can\n\nAPP = 'blog'\n\ndef v(request):\n    return can(request.user, APP + '.can_unpublish')\n",
        ),
    ]);
    let (snapshot, _) = djperm::discover::load_parsed(dir.path(), &[], Scope::Stable, 0);
    assert!(snapshot.lean);
    let config = Config::default();
    let lean = djperm::analyze(snapshot, &config, &djperm::Selection::from_config(&config));
    let id = (0..lean.ws.python.len())
        .find(|&id| lean.ws.path(id) == "blog/other.py")
        .unwrap();
    let file = &lean.ws.snapshot.files[id];
    assert!(file.words.is_some());
    assert!(file.may_hold_any(["can"].into_iter()));
    assert!(!file.may_call_any(["can"].into_iter()), "forgotten");
    let reported = |a: &djperm::Analysis| {
        a.diagnostics
            .iter()
            .filter(|d| d.code == "DJP002" && a.ws.path(d.span.file) == "blog/other.py")
            .count()
    };
    assert_eq!(reported(&fresh), 1, "{:#?}", common::codes(&fresh));
    assert_eq!(reported(&lean), 1, "{:#?}", common::codes(&lean));
}

/// The context holds one resolved reference for each reference of the tree until the rules
/// end: its value, like the reference, is one pointer wide (borrowed, or boxed when owned). A
/// reference's class bases (most have none) are a list one pointer wide.
#[test]
fn a_resolved_reference_stays_small() {
    assert!(
        std::mem::size_of::<djperm::facts::Reference>() <= 128,
        "{}",
        std::mem::size_of::<djperm::facts::Reference>()
    );
    assert!(
        std::mem::size_of::<djperm::rules::Resolved>() <= 64,
        "{}",
        std::mem::size_of::<djperm::rules::Resolved>()
    );
}

/// A file's imports are a list sorted by name with no spare room (not a hash table): the last
/// import of a name wins, every name is found, and the resolver follows them as before.
#[test]
fn imports_are_a_sorted_list() {
    let src = "import os\nfrom b import zeta, alpha as a\nfrom c.d import mid\nfrom e import alpha as a\n";
    let facts = djperm::python::extract_python(0, src, "m", false);
    let names: Vec<&str> = facts.imports.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["a", "mid", "os", "zeta"]);
    let (module, path) = facts.imports.get("a").unwrap();
    assert_eq!((module.as_str(), path.len()), ("e", 1));
    assert_eq!(path[0], "alpha", "the last import of a name wins");
    assert_eq!(facts.imports.get("mid").unwrap().0, "c.d");
    assert!(facts.imports.get("b").is_none());
    let (_dir, a) = common::project(&[
        ("blog/perms.py", "PUBLISH = \"blog.can_unpublish\"\n"),
        (
            "blog/views.py",
            "from blog.perms import PUBLISH as P\n\ndef v(request):\n    return request.user.has_perm(P)\n",
        ),
    ]);
    let codes = common::codes(&a);
    assert!(
        codes
            .iter()
            .any(|c| c.starts_with("DJP002") && c.contains("can_unpublish")),
        "{codes:#?}"
    );
}

/// A project's index keeps no spare room in its lists once built: a codename's list of
/// permissions is held inline (nearly always one), and one spilled to the heap is exact.
#[test]
fn the_index_lists_take_no_spare_room() {
    let (_dir, a) = common::project(&[]);
    let p = &a.index.projects[0];
    assert!(p.perms.len() > 4);
    assert_eq!(p.perms.capacity(), p.perms.len());
    for at in p.by_label.values().flat_map(|m| m.values()) {
        assert!(!at.is_empty());
        assert!(!at.spilled() || at.capacity() == at.len(), "{at:?}");
    }
    assert!(
        p.by_label
            .values()
            .flat_map(|m| m.values())
            .all(|at| !at.spilled()),
        "one permission per label and codename: no list leaves its slot"
    );
    assert_eq!(p.code_models.capacity(), p.code_models.len());
}

/// A template's facts, held for the whole run as a Python file's are, keep no spare room.
#[test]
fn template_facts_take_no_spare_room() {
    let facts = djperm::refs::templates::extract_template(
        0,
        "{% if perms.blog.can_publish %}x{% endif %}{% if perms.blog.can_archive %}y{% endif %}\n",
    );
    assert_eq!(facts.references.len(), 2);
    assert_eq!(facts.references.capacity(), 2);
}

/// `CreateModel` keeps no `fields` keyword (a positional one stays as an unknown value, so
/// `options` keeps its place), and an operation the replay ignores keeps no argument; the
/// replay reads the options either way.
#[test]
fn migration_operations_keep_no_argument_the_replay_ignores() {
    use djperm::value::Value;
    let src = "from django.db import migrations, models\n\nclass Migration(migrations.Migration):\n    operations = [\n        migrations.CreateModel(name='Post', fields=[('id', models.AutoField(primary_key=True))], options={'permissions': [('can_publish', 'Can publish')]}),\n        migrations.CreateModel('Note', [('id', models.AutoField(primary_key=True))], {'permissions': [('can_note', 'Can note')]}),\n        migrations.AddField(model_name='post', name='notes', field=models.TextField(blank=True)),\n    ]\n";
    let facts = djperm::python::extract_python(0, src, "blog.migrations.0001_initial", false);
    let Value::Seq(ops) = &facts.classes[0].attrs.get("operations").unwrap().value else {
        panic!()
    };
    let call = |i: usize| match &ops[i].value {
        Value::Call(c) => c.clone(),
        v => panic!("{v:?}"),
    };
    let names: Vec<String> = call(0).kwargs.iter().map(|(k, _)| k.to_string()).collect();
    assert_eq!(names, ["name", "options"]);
    assert_eq!(call(1).args.len(), 3);
    assert!(matches!(call(1).args[1].value, Value::Unknown));
    assert!(call(2).args.is_empty() && call(2).kwargs.is_empty());
    assert_eq!(call(2).func, "AddField");
    let (_dir, a) = common::project(&[
        ("blog/migrations/0001_initial.py", src),
        (
            "blog/models.py",
            "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\nclass Note(models.Model):\n    class Meta:\n        permissions = [('can_note', 'Can note')]\n",
        ),
    ]);
    let p = &a.index.projects[0];
    for codename in ["can_publish", "can_note"] {
        assert!(
            p.lookup("blog", codename).any(|d| d.in_database),
            "{codename}"
        );
    }
}
