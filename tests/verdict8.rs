//! Rows project code creates at `migrate` time for a content type named by a model class
//! (`get_for_model(Post)`), and for the tables Django creates for many-to-many fields; and one
//! diagnostic for an invalid custom permission that nothing checks.

mod common;

use std::collections::BTreeSet;

use common::{codes, project};

const APPS: &str = "from django.apps import AppConfig\n\nclass BlogConfig(AppConfig):\n    name = 'blog'\n\n    def ready(self):\n        from . import signals  # noqa: F401\n";

const MODELS: &str = "from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = [('can_publish', 'Can publish')]\n\nclass PostProxy(Post):\n    class Meta:\n        proxy = True\n";

const MIGRATION: &str = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    initial = True\n    dependencies = [('auth', '0012_alter_user_first_name_max_length')]\n    operations = [\n        migrations.CreateModel(name='Post', fields=[], options={'permissions': [('can_publish', 'Can publish')]}),\n        migrations.CreateModel(name='PostProxy', fields=[], options={'proxy': True}, bases=('blog.post',)),\n    ]\n";

/// Rows for content types named by model classes: imported, through the module, a proxy (its
/// concrete model's unless `for_concrete_model=False`), a contrib model, `get_for_models(...)[M]`.
const SIGNALS: &str = r#"from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from blog import models
from blog.models import Post, PostProxy


@receiver(post_migrate)
def make_rows(sender, **kwargs):
    ct = ContentType.objects.get_for_model(Post)
    Permission.objects.get_or_create(codename='can_pin', name='Can pin', content_type=ct)
    Permission.objects.get_or_create(
        codename='can_hide', name='Can hide', content_type=ContentType.objects.get_for_model(models.Post)
    )
    proxy = ContentType.objects.get_for_model(PostProxy)
    Permission.objects.get_or_create(codename='can_star', name='Can star', content_type=proxy)
    own = ContentType.objects.get_for_model(PostProxy, for_concrete_model=False)
    Permission.objects.get_or_create(codename='can_boost', name='Can boost', content_type=own)
    user_ct = ContentType.objects.get_for_model(User)
    Permission.objects.get_or_create(codename='can_invite', name='Can invite', content_type=user_ct)
    cts = ContentType.objects.get_for_models(Post, User)
    Permission.objects.get_or_create(codename='can_lock', name='Can lock', content_type=cts[Post])
"#;

/// `(label, model, codename)` of every row djperm puts on a fresh database.
fn fresh_rows(a: &djperm::Analysis) -> BTreeSet<(String, String, String)> {
    a.index.projects[0]
        .perms
        .iter()
        .filter(|p| p.in_database)
        .map(|p| {
            let model = p.model.as_deref().unwrap_or_default().to_string();
            (p.label.to_string(), model, p.codename.to_string())
        })
        .collect()
}

fn rows_of<'a>(
    a: &'a djperm::Analysis,
    label: &str,
    codename: &str,
) -> Vec<(Option<&'a str>, &'static str)> {
    a.index.projects[0]
        .lookup(label, codename)
        .map(|d| (d.model.as_deref(), d.source.as_str()))
        .collect()
}

#[test]
fn rows_for_a_content_type_named_by_a_model_class_have_its_label_and_model() {
    let views = "def v(request):\n    a = request.user.has_perm('blog.can_pin')\n    b = request.user.has_perm('blog.can_boost')\n    c = request.user.has_perm('auth.can_invite')\n    d = request.user.has_perm('blog.can_lock')\n    e = request.user.has_perm('blog.can_pinn')\n    f = request.user.has_perm('blog.can_invite')\n    return request.user.has_perm('can_star')\n";
    let (dir, a) = project(&[
        ("blog/apps.py", APPS),
        ("blog/models.py", MODELS),
        ("blog/migrations/0001_initial.py", MIGRATION),
        ("blog/signals.py", SIGNALS),
        ("blog/views.py", views),
    ]);
    assert_eq!(
        rows_of(&a, "blog", "can_pin"),
        [(Some("post"), "post-migrate")]
    );
    assert_eq!(
        rows_of(&a, "blog", "can_hide"),
        [(Some("post"), "post-migrate")]
    );
    assert_eq!(
        rows_of(&a, "blog", "can_star"),
        [(Some("post"), "post-migrate")]
    );
    assert_eq!(
        rows_of(&a, "blog", "can_boost"),
        [(Some("postproxy"), "post-migrate")]
    );
    assert_eq!(
        rows_of(&a, "auth", "can_invite"),
        [(Some("user"), "post-migrate")]
    );
    assert_eq!(
        rows_of(&a, "blog", "can_lock"),
        [(Some("post"), "post-migrate")]
    );
    // The rows real Django's `migrate` creates are exactly those djperm knows.
    assert_eq!(fresh_rows(&a), common::django_rows(dir.path()));
    // Correct references are silent; a misspelt codename, a wrong label and a missing label
    // are reported, with the row's own name as the suggestion.
    let got = codes(&a);
    assert_eq!(
        got,
        [
            "DJP002 Unknown permission `blog.can_pinn`",
            "DJP002 Unknown permission `blog.can_invite`",
            "DJP001 Permission `can_star` has no app label",
        ],
        "{got:?}"
    );
    let help = |i: usize| a.diagnostics[i].help.clone().unwrap_or_default();
    assert!(help(0).contains("`blog.can_pin`"), "{}", help(0));
    assert!(help(1).contains("`auth.can_invite`"), "{}", help(1));
    assert!(help(2).contains("`blog.can_star`"), "{}", help(2));
}

#[test]
fn a_content_type_djperm_cannot_read_keeps_its_codename_silent_and_explains_why() {
    // `model` is a parameter: its rows may be under any label.
    let signals = "from django.contrib.auth.models import Permission\nfrom django.contrib.contenttypes.models import ContentType\nfrom django.db.models.signals import post_migrate\nfrom django.dispatch import receiver\n\ndef make(model):\n    ct = ContentType.objects.get_for_model(model)\n    Permission.objects.get_or_create(codename='can_pin', name='Can pin', content_type=ct)\n\nclass Helper:\n    pass\n\n@receiver(post_migrate)\ndef hook(sender, **kwargs):\n    ct = ContentType.objects.get_for_model(Helper)\n    Permission.objects.get_or_create(codename='can_hide', name='Can hide', content_type=ct)\n";
    let views = "def v(request):\n    a = request.user.has_perm('blog.can_pin')\n    b = request.user.has_perm('blog.can_hide')\n    return request.user.has_perm('blog.can_pinn')\n";
    let (_d, a) = project(&[
        ("blog/apps.py", APPS),
        ("blog/signals.py", signals),
        ("blog/views.py", views),
    ]);
    let p = &a.index.projects[0];
    assert!(p.lookup("blog", "can_pin").next().is_none());
    assert!(p.floating_codenames.contains("can_pin"));
    // A class that is not a model: no label either.
    assert!(p.floating_codenames.contains("can_hide"));
    let got = codes(&a);
    assert_eq!(
        got,
        ["DJP002 Unknown permission `blog.can_pinn`"],
        "{got:?}"
    );
    let e = djperm::rules::explain::explain(&a.ws, p, "blog.can_pin");
    assert_eq!(e.code, None);
    assert!(
        e.facts.iter().any(|f| f.contains(
            "project code creates a row `can_pin` whose content type djperm cannot read (at blog/signals.py:8)"
        )),
        "{:?}",
        e.facts
    );
}

#[test]
fn permissions_and_explain_name_the_source_of_a_row_for_a_model_class() {
    let dir = tempfile::tempdir().unwrap();
    let files: &[(&str, &str)] = &[
        (
            "manage.py",
            "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"proj.settings\")\n",
        ),
        ("proj/__init__.py", ""),
        (
            "proj/settings.py",
            "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog']\n",
        ),
        ("blog/__init__.py", ""),
        ("blog/apps.py", APPS),
        ("blog/models.py", MODELS),
        ("blog/migrations/__init__.py", ""),
        ("blog/migrations/0001_initial.py", MIGRATION),
        ("blog/signals.py", SIGNALS),
    ];
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    let limit = std::time::Duration::from_secs(60);
    let run = common::run_djperm(
        dir.path(),
        &["permissions", "--output-format", "json"],
        limit,
    );
    let rows: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    let pin = rows
        .iter()
        .find(|r| r["codename"] == "can_pin")
        .expect("blog.can_pin is listed");
    assert_eq!(pin["app_label"], "blog");
    assert_eq!(pin["model"], "post");
    assert_eq!(pin["source"], "post-migrate");
    assert_eq!(pin["in_database"], true);
    let run = common::run_djperm(dir.path(), &["explain", "auth.can_invite"], limit);
    assert!(
        run.stdout.contains("`auth.can_invite` exists"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("a row code run by `migrate` creates (a `post_migrate` receiver or `AppConfig.ready()`) (model `user`) at blog/signals.py:22"),
        "{}",
        run.stdout
    );
}

// ---- one diagnostic for an invalid definition nothing checks ------------------------------------

#[test]
fn an_invalid_definition_nothing_checks_gets_djp007_only_and_an_unused_valid_one_djp030() {
    let perms = "[('add_post', 'Can add'), ('can_pin', 'Can pin'), ('can_pin', 'Can pin again'), ('can_hide', 'Can hide'), ('can_publish', 'Can publish')]";
    let model = format!("from django.db import models\n\nclass Post(models.Model):\n    class Meta:\n        permissions = {perms}\n");
    let migration = format!("from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = [migrations.CreateModel(name='Post', fields=[], options={{'permissions': {perms}}})]\n");
    let (_d, a) = project(&[
        ("blog/models.py", &model),
        ("blog/migrations/0001_initial.py", &migration),
    ]);
    let got = codes(&a);
    assert_eq!(
        got,
        [
            "DJP007 The permission codenamed 'add_post' clashes with a builtin permission for model 'blog.Post' (auth.E005)",
            "DJP007 The permission codenamed 'can_pin' is duplicated for model 'blog.Post' (auth.E006)",
            "DJP030 Custom permission `blog.can_hide` is never checked",
        ],
        "{got:?}"
    );
    // Each definition DJP007 reports gets that one diagnostic.
    for codename in ["add_post", "can_pin"] {
        let about = got.iter().filter(|m| m.contains(codename)).count();
        assert_eq!(about, 1, "{codename}: {got:?}");
    }
}

// ---- rows for the tables of many-to-many fields ----------------------------------------------

const SHOP_SETTINGS: &str =
    "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog', 'shop']\n";

/// `Order.tags` → `shop.order_tags`; `labels` (inherited from an abstract model) →
/// `order_labels`; `rel` (to itself) → `order_rel`; `members` has a model of its own.
const SHOP_MODELS: &str = "from django.db import models\n\n\nclass Tag(models.Model):\n    pass\n\n\nclass Base(models.Model):\n    labels = models.ManyToManyField(Tag, related_name='+')\n\n    class Meta:\n        abstract = True\n\n\nclass Order(Base):\n    tags = models.ManyToManyField(Tag, related_name='orders')\n    rel = models.ManyToManyField('self')\n    members = models.ManyToManyField(Tag, through='Membership', related_name='+')\n\n\nclass Membership(models.Model):\n    order = models.ForeignKey(Order, on_delete=models.CASCADE)\n    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)\n";

const SHOP_MIGRATION: &str = "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    initial = True\n    dependencies = []\n    operations = [\n        migrations.CreateModel(name='Tag', fields=[('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID'))]),\n        migrations.CreateModel(name='Order', fields=[('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')), ('rel', models.ManyToManyField(to='shop.order')), ('labels', models.ManyToManyField(related_name='+', to='shop.tag'))], options={'abstract': False}),\n        migrations.CreateModel(name='Membership', fields=[('id', models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')), ('order', models.ForeignKey(on_delete=models.CASCADE, to='shop.order')), ('tag', models.ForeignKey(on_delete=models.CASCADE, to='shop.tag'))]),\n        migrations.AddField(model_name='order', name='members', field=models.ManyToManyField(related_name='+', through='shop.Membership', to='shop.tag')),\n        migrations.AddField(model_name='order', name='tags', field=models.ManyToManyField(related_name='orders', to='shop.tag')),\n    ]\n";

const SHOP_VIEWS: &str = "def v(request):\n    a = request.user.has_perm('shop.add_order_tags')\n    b = request.user.has_perm('shop.view_order_labels')\n    c = request.user.has_perm('shop.delete_order_rel')\n    d = request.user.has_perm('auth.change_user_groups')\n    e = request.user.has_perm('shop.add_order_members')\n    return request.user.has_perm('shop.add_order_tagz')\n";

fn shop(signals: (&str, &str)) -> (tempfile::TempDir, djperm::Analysis) {
    project(&[
        ("proj/settings.py", SHOP_SETTINGS),
        ("shop/__init__.py", ""),
        ("shop/models.py", SHOP_MODELS),
        ("shop/migrations/__init__.py", ""),
        ("shop/migrations/0001_initial.py", SHOP_MIGRATION),
        signals,
        ("shop/views.py", SHOP_VIEWS),
    ])
}

/// The through tables of the shop project and of `auth`, four actions each.
fn through_rows() -> BTreeSet<(String, String, String)> {
    let tables = [
        ("shop", "order_tags"),
        ("shop", "order_labels"),
        ("shop", "order_rel"),
        ("auth", "group_permissions"),
        ("auth", "user_groups"),
        ("auth", "user_user_permissions"),
    ];
    let mut out = BTreeSet::new();
    for (label, model) in tables {
        for action in ["add", "change", "delete", "view"] {
            out.insert((
                label.to_string(),
                model.to_string(),
                format!("{action}_{model}"),
            ));
        }
    }
    out
}

/// The findings on the shop views: the tables' rows are silent, a name of no table (an
/// explicit `through=` model's field) and a misspelt one are reported (`suggests`: with the
/// table's row as the suggestion).
fn assert_shop_findings(a: &djperm::Analysis, suggests: bool) {
    let got = codes(a);
    assert_eq!(
        got,
        [
            "DJP002 Unknown permission `shop.add_order_members`",
            "DJP002 Unknown permission `shop.add_order_tagz`",
        ],
        "{got:?}"
    );
    let help = a.diagnostics[1].help.clone().unwrap_or_default();
    assert_eq!(help.contains("`shop.add_order_tags`"), suggests, "{help}");
}

#[test]
fn rows_for_each_auto_created_model_of_the_registry_are_on_a_fresh_database() {
    // A function `ready()` connects to `post_migrate`: every model with the tables of
    // many-to-many fields (`include_auto_created=True`), only the tables kept.
    let apps = "from django.apps import AppConfig\nfrom django.db.models.signals import post_migrate\n\n\ndef through_perms(sender, **kwargs):\n    from django.apps import apps\n    from django.contrib.auth.models import Permission\n    from django.contrib.contenttypes.models import ContentType\n\n    for model in apps.get_models(include_auto_created=True):\n        if not model._meta.auto_created:\n            continue\n        ct = ContentType.objects.get_for_model(model)\n        for action in ('add', 'change', 'delete', 'view'):\n            Permission.objects.get_or_create(\n                codename=f'{action}_{model._meta.model_name}',\n                content_type=ct,\n                defaults={'name': f'Can {action} {model._meta.verbose_name}'},\n            )\n\n\nclass ShopConfig(AppConfig):\n    name = 'shop'\n\n    def ready(self):\n        post_migrate.connect(through_perms, sender=self)\n";
    let (dir, a) = shop(("shop/apps.py", apps));
    let p = &a.index.projects[0];
    let ours = fresh_rows(&a);
    let django = common::django_rows(dir.path());
    assert_eq!(ours, django);
    assert!(through_rows().is_subset(&django));
    let sources: Vec<&str> = p
        .lookup("shop", "add_order_tags")
        .map(|d| d.source.as_str())
        .collect();
    assert_eq!(sources, ["post-migrate"]);
    let e = djperm::rules::explain::explain(&a.ws, p, "shop.add_order_tags");
    assert!(
        e.facts.iter().any(|f| f == "defined: a row code run by `migrate` creates (a `post_migrate` receiver or `AppConfig.ready()`) (model `order_tags`) at shop/apps.py:15"),
        "{:?}",
        e.facts
    );
    assert_shop_findings(&a, true);
}

#[test]
fn rows_for_the_through_model_of_each_many_to_many_field_are_on_a_fresh_database() {
    // A `post_migrate` receiver over one app's models, their fields' `remote_field.through`,
    // Django's `get_permission_codename` and each table's default actions.
    let signals = "from django.apps import apps\nfrom django.contrib.auth import get_permission_codename\nfrom django.contrib.auth.models import Permission\nfrom django.contrib.contenttypes.models import ContentType\nfrom django.db.models.signals import post_migrate\nfrom django.dispatch import receiver\n\n\n@receiver(post_migrate)\ndef through_perms(sender, **kwargs):\n    for model in apps.get_app_config('shop').get_models():\n        for field in model._meta.many_to_many:\n            through = field.remote_field.through\n            opts = through._meta\n            ct = ContentType.objects.get_for_model(through)\n            for action in opts.default_permissions:\n                Permission.objects.get_or_create(\n                    codename=get_permission_codename(action, opts),\n                    content_type=ct,\n                    defaults={'name': 'Can %s %s' % (action, opts.verbose_name)},\n                )\n";
    let apps = "from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n    name = 'shop'\n\n    def ready(self):\n        from . import signals  # noqa: F401\n";
    let (dir, a) = project(&[
        ("proj/settings.py", SHOP_SETTINGS),
        ("shop/__init__.py", ""),
        ("shop/apps.py", apps),
        ("shop/models.py", SHOP_MODELS),
        ("shop/migrations/__init__.py", ""),
        ("shop/migrations/0001_initial.py", SHOP_MIGRATION),
        ("shop/signals.py", signals),
        (
            "shop/views.py",
            SHOP_VIEWS
                .replace("auth.change_user_groups", "shop.change_order_tags")
                .as_str(),
        ),
    ]);
    let django = common::django_rows(dir.path());
    assert_eq!(fresh_rows(&a), django);
    // Only `shop`'s tables: `auth`'s have no rows.
    assert!(!django.iter().any(|(_, m, _)| m == "user_groups"));
    assert!(django.contains(&(
        "shop".into(),
        "order_labels".into(),
        "view_order_labels".into()
    )));
    assert_shop_findings(&a, true);
}

#[test]
fn a_many_to_many_table_row_made_by_code_djperm_cannot_read_is_silent_and_explained() {
    // The codename comes from a helper djperm does not follow.
    let apps = "from django.apps import AppConfig, apps\nfrom django.contrib.auth.models import Permission\nfrom django.contrib.contenttypes.models import ContentType\nfrom django.db.models.signals import post_migrate\n\n\ndef codename_for(action, model):\n    return f'{action}_{model._meta.model_name}'\n\n\ndef through_perms(sender, **kwargs):\n    for model in apps.get_models(include_auto_created=True):\n        if model._meta.auto_created:\n            for action in ('add', 'change', 'delete', 'view'):\n                Permission.objects.get_or_create(\n                    codename=codename_for(action, model),\n                    content_type=ContentType.objects.get_for_model(model),\n                )\n\n\nclass ShopConfig(AppConfig):\n    name = 'shop'\n\n    def ready(self):\n        post_migrate.connect(through_perms, sender=self)\n";
    let (_d, a) = shop(("shop/apps.py", apps));
    let p = &a.index.projects[0];
    assert!(p.lookup("shop", "add_order_tags").next().is_none());
    // The tables' rows are silent; a name of no table is still reported.
    assert_shop_findings(&a, false);
    let e = djperm::rules::explain::explain(&a.ws, p, "shop.add_order_tags");
    assert_eq!(e.code, None);
    assert!(
        e.facts.iter().any(|f| f.contains("names the table of a many-to-many field, for which Django creates no permission; code `migrate` runs creates rows djperm cannot read (at shop/apps.py:15)")),
        "{:?}",
        e.facts
    );
    // Without that code no row exists, and every name of a table is reported.
    let plain =
        "from django.apps import AppConfig\n\n\nclass ShopConfig(AppConfig):\n    name = 'shop'\n";
    let (_d, a) = shop(("shop/apps.py", plain));
    let got = codes(&a);
    assert_eq!(
        got,
        [
            "DJP002 Unknown permission `shop.add_order_tags`",
            "DJP002 Unknown permission `shop.view_order_labels`",
            "DJP002 Unknown permission `shop.delete_order_rel`",
            "DJP002 Unknown permission `auth.change_user_groups`",
            "DJP002 Unknown permission `shop.add_order_members`",
            "DJP002 Unknown permission `shop.add_order_tagz`",
        ],
        "{got:?}"
    );
}

#[test]
fn rows_for_each_model_of_an_app_outside_the_tree_leave_its_label_unanalysed_and_say_why() {
    let settings = "INSTALLED_APPS = ['django.contrib.auth', 'django.contrib.contenttypes', 'blog', 'shop', 'taggit', 'corsheaders']\n";
    let apps = "from django.apps import AppConfig, apps\nfrom django.contrib.auth.models import Permission\nfrom django.contrib.contenttypes.models import ContentType\nfrom django.db.models.signals import post_migrate\n\n\ndef through_perms(sender, **kwargs):\n    for model in apps.get_models(include_auto_created=True):\n        ct = ContentType.objects.get_for_model(model)\n        Permission.objects.get_or_create(codename=f'audit_{model._meta.model_name}', content_type=ct)\n\n\nclass ShopConfig(AppConfig):\n    name = 'shop'\n\n    def ready(self):\n        post_migrate.connect(through_perms, sender=self)\n";
    let views = "def v(request):\n    a = request.user.has_perm('taggit.audit_tag_things')\n    b = request.user.has_perm('shop.audit_order_tags')\n    c = request.user.has_perm('taggit.audit_tag')\n    return request.user.has_perm('shop.audit_ordr')\n";
    let (_d, a) = project(&[
        ("proj/settings.py", settings),
        ("shop/__init__.py", ""),
        ("shop/apps.py", apps),
        ("shop/models.py", SHOP_MODELS),
        ("shop/migrations/__init__.py", ""),
        ("shop/migrations/0001_initial.py", SHOP_MIGRATION),
        ("shop/views.py", views),
    ]);
    let p = &a.index.projects[0];
    let got = codes(&a);
    assert_eq!(
        got,
        ["DJP002 Unknown permission `shop.audit_ordr`"],
        "{got:?}"
    );
    assert_eq!(
        rows_of(&a, "shop", "audit_order"),
        [(Some("order"), "post-migrate")]
    );
    assert_eq!(
        rows_of(&a, "taggit", "audit_tag"),
        [(Some("tag"), "post-migrate")]
    );
    // An app with models outside the tree: said once, and why; an app with no models: nothing.
    assert!(p.opaque_labels.contains("taggit"));
    assert!(!p.opaque_labels.contains("corsheaders"));
    let warned: Vec<&String> = p
        .warnings
        .iter()
        .filter(|w| w.contains("many-to-many"))
        .collect();
    assert_eq!(warned.len(), 1, "{:?}", p.warnings);
    assert!(
        warned[0].contains("code at shop/apps.py creates permissions for each model of `taggit`")
    );
    let e = djperm::rules::explain::explain(&a.ws, p, "taggit.audit_tag_things");
    assert!(
        e.facts
            .iter()
            .any(|f| f.starts_with("label `taggit` is not analysed: code at shop/apps.py")),
        "{:?}",
        e.facts
    );
}
