//! The project's own permission helpers: wrappers, mixin attributes, template filters and tags,
//! decorator factories, declared sinks, access-policy conditions; and look-alikes judged by what
//! their code does.

mod common;

use common::project;
use djperm::Analysis;

/// `(file, 1-based line, code)` of every finding.
fn found(a: &Analysis) -> Vec<(String, usize, String)> {
    a.diagnostics
        .iter()
        .map(|d| {
            let text = a.ws.text(d.span.file);
            let line = text[..d.span.start as usize].matches('\n').count() + 1;
            (a.ws.path(d.span.file).to_string(), line, d.code.to_string())
        })
        .collect()
}

fn at(file: &str, line: usize, code: &str) -> (String, usize, String) {
    (file.to_string(), line, code.to_string())
}

fn notes(a: &Analysis) -> Vec<String> {
    a.diagnostics.iter().flat_map(|d| d.notes.clone()).collect()
}

#[test]
fn a_function_wrapper_is_checked_at_its_call_sites_across_modules() {
    let (_d, a) = project(&[
        (
            "blog/perms.py",
            "def can(user, perm):\n    return user.has_perm(perm)\n",
        ),
        (
            "blog/views.py",
            "from .perms import can\n\n\ndef v(request):\n    can(request.user, 'can_publish')\n    can(request.user, 'blog.can_publish')\n    can(request.user, perm='blog.can_publsh')\n    return can(request.user, 'blog.' + request.GET['p'])\n",
        ),
    ]);
    assert_eq!(
        found(&a),
        vec![
            at("blog/views.py", 5, "DJP001"),
            at("blog/views.py", 7, "DJP002")
        ]
    );
    assert!(
        notes(&a).iter().any(
            |n| n == "`can()` (blog/perms.py:1) passes it to `user.has_perm` (blog/perms.py:2)"
        ),
        "{:?}",
        notes(&a)
    );
}

#[test]
fn a_wrapper_of_a_wrapper_through_locals_and_tuples() {
    let (_d, a) = project(&[
        (
            "blog/perms.py",
            "def can_all(user, *names):\n    wanted = (names[0],)\n    return user.has_perms(wanted)\n\n\ndef allowed(user, perm, obj=None):\n    perms = (perm,)\n    return user.has_perms(perms)\n",
        ),
        (
            "blog/utils.py",
            "from blog import perms\n\n\ndef check(request, what):\n    return perms.allowed(request.user, what)\n",
        ),
        (
            "blog/views.py",
            "from blog.utils import check\n\n\ndef v(request):\n    check(request, 'blog.can_publish')\n    check(request, 'blog.publish')\n",
        ),
    ]);
    assert_eq!(found(&a), vec![at("blog/views.py", 6, "DJP002")]);
    let n = notes(&a);
    assert!(
        n.iter().any(|n| n.starts_with("`check()` (blog/utils.py:4) passes it to `allowed()` (blog/perms.py:6), which passes it to `user.has_perms`")),
        "{n:?}"
    );
}

#[test]
fn a_decorator_factory_is_a_sink() {
    let (_d, a) = project(&[
        (
            "blog/decorators.py",
            "from django.contrib.auth.decorators import permission_required\n\n\ndef require(perm):\n    return permission_required(perm, raise_exception=True)\n\n\ndef needs(perm):\n    def deco(view):\n        def inner(request, *a, **k):\n            if not request.user.has_perm(perm):\n                raise PermissionError\n            return view(request, *a, **k)\n        return inner\n    return deco\n",
        ),
        (
            "blog/views.py",
            "from .decorators import needs, require\n\n\n@require('blog.can_publsh')\ndef a(request):\n    pass\n\n\n@needs('blog.can_publish')\ndef b(request):\n    pass\n\n\n@needs('can_publish')\ndef c(request):\n    pass\n",
        ),
    ]);
    assert_eq!(
        found(&a),
        vec![
            at("blog/views.py", 4, "DJP002"),
            at("blog/views.py", 14, "DJP001")
        ]
    );
}

#[test]
fn a_parameter_shadowed_by_a_nested_function_is_not_forwarded() {
    let (_d, a) = project(&[
        (
            "blog/decorators.py",
            "def needs(perm):\n    def deco(perm):\n        return perm.has_perm('x.y')\n    return deco\n\n\ndef other(user, perm):\n    def inner(perm='blog.can_publish'):\n        return user.has_perm(perm)\n    return inner()\n",
        ),
        (
            "blog/views.py",
            "from .decorators import other\n\n\ndef v(request):\n    other(request.user, 'can_publsh')\n",
        ),
    ]);
    assert!(
        !found(&a).iter().any(|f| f.0 == "blog/views.py"),
        "{:?}",
        found(&a)
    );
}

#[test]
fn a_mixin_attribute_read_by_its_methods_is_checked_on_subclasses() {
    let (_d, a) = project(&[
        (
            "blog/mixins.py",
            "from django.core.exceptions import PermissionDenied\n\n\nclass NeedsPerm:\n    required_perm = None\n\n    def dispatch(self, request, *args, **kwargs):\n        if not request.user.has_perm(self.required_perm):\n            raise PermissionDenied\n        return super().dispatch(request, *args, **kwargs)\n\n\nclass NeedsAll:\n    def check(self, user):\n        return user.has_perms(getattr(self, 'needed', ()))\n",
        ),
        (
            "blog/views.py",
            "from django.views.generic import View\n\nfrom .mixins import NeedsAll, NeedsPerm\n\n\nclass Base(NeedsPerm, View):\n    pass\n\n\nclass A(Base):\n    required_perm = 'blog.can_publsh'\n\n\nclass B(NeedsPerm, View):\n    required_perm = 'blog.can_publish'\n\n\nclass C(NeedsAll, View):\n    needed = ('blog.can_publish', 'blog.nope_post')\n\n\nclass D(View):\n    required_perm = 'blog.whatever'\n",
        ),
    ]);
    assert_eq!(
        found(&a),
        vec![
            at("blog/views.py", 11, "DJP002"),
            at("blog/views.py", 19, "DJP002")
        ]
    );
    assert!(
        notes(&a).iter().any(|n| n.starts_with(
            "`NeedsPerm.required_perm` passes it to `request.user.has_perm` (blog/mixins.py:8)"
        )),
        "{:?}",
        notes(&a)
    );
}

const TEMPLATETAGS: &str = "from django import template\n\nregister = template.Library()\n\n\n@register.filter\ndef has_cfg_perm(perm, request):\n    return request.user.has_perm(perm)\n\n\n@register.filter(name='can')\ndef can_filter(user, perm):\n    return user.has_perm(perm)\n\n\n@register.simple_tag(takes_context=True)\ndef allowed(context, perm, obj=None):\n    return context['request'].user.has_perm(perm)\n\n\n@register.filter\ndef upper_case(value, arg):\n    return value.upper()\n";

#[test]
fn template_filters_and_tags_are_sinks() {
    let (_d, a) = project(&[
        ("blog/templatetags/__init__.py", ""),
        ("blog/templatetags/blog_perms.py", TEMPLATETAGS),
        (
            "blog/templates/blog/x.html",
            "{% load blog_perms %}\n{% if 'blog.can_publish'|has_cfg_perm:request %}ok{% endif %}\n{% if 'blog.can_publsh'|has_cfg_perm:request %}no{% endif %}\n{% if user|can:'blog.nope_post' %}no{% endif %}\n{% allowed 'blog.can_pub' as ok %}\n{{ 'blog.zzz_post'|upper_case:'blog.yyy_post' }}\n",
        ),
    ]);
    assert_eq!(
        found(&a),
        vec![
            at("blog/templates/blog/x.html", 3, "DJP002"),
            at("blog/templates/blog/x.html", 4, "DJP002"),
            at("blog/templates/blog/x.html", 5, "DJP002")
        ]
    );
}

#[test]
fn declared_sinks_reach_what_inference_cannot_see() {
    let (_d, a) = project(&[
        (
            "djperm.toml",
            "permission-sinks = [\"blog.graphql.BaseMutation:Meta.permissions\", \"blog.utils.check:1\", \"extlib.gate.allow:0\"]\n",
        ),
        (
            "blog/graphql.py",
            "class BaseMutation:\n    @classmethod\n    def mutate(cls, root, info):\n        return cls._meta.permissions\n\n\nclass Publish(BaseMutation):\n    class Meta:\n        permissions = ('blog.can_publsh',)\n\n\nclass Fine(BaseMutation):\n    class Meta:\n        permissions = ('blog.can_publish',)\n",
        ),
        (
            "blog/utils.py",
            "def check(user, perm):\n    return perm in user.get_all_permissions()\n",
        ),
        (
            "blog/views.py",
            "from extlib.gate import allow\n\nfrom .utils import check\n\n\ndef v(request):\n    check(request.user, 'blog.can_publsh')\n    allow('can_publish')\n",
        ),
    ]);
    assert_eq!(
        found(&a),
        vec![
            at("blog/graphql.py", 9, "DJP002"),
            at("blog/views.py", 7, "DJP002"),
            at("blog/views.py", 8, "DJP001")
        ]
    );
}

#[test]
fn access_policy_conditions_name_permissions() {
    let (_d, a) = project(&[(
        "blog/policies.py",
        "from rest_access_policy import AccessPolicy\n\n\nclass PostPolicy(AccessPolicy):\n    statements = [\n        {'action': ['list'], 'principal': '*', 'effect': 'allow', 'condition': 'has_model_perms:blog.can_publish'},\n        {'action': ['update'], 'principal': '*', 'effect': 'allow', 'condition': ['has_model_perms:blog.can_publsh']},\n        {'action': ['destroy'], 'principal': '*', 'effect': 'allow', 'condition_expression': 'is_owner and has_model_perms:can_publish'},\n        {'action': ['retrieve'], 'principal': '*', 'effect': 'allow', 'condition': 'has_obj_perms:blog.nope'},\n    ]\n",
    )]);
    assert_eq!(
        found(&a),
        vec![
            at("blog/policies.py", 7, "DJP002"),
            at("blog/policies.py", 8, "DJP001"),
            at("blog/policies.py", 9, "DJP002")
        ]
    );
    let d = &a.diagnostics[0];
    assert_eq!(
        &a.ws.text(d.span.file)[d.span.start as usize..d.span.end as usize],
        "blog.can_publsh"
    );
}

#[test]
fn url_names_log_messages_and_setting_keys_are_not_permissions() {
    let (_d, a) = project(&[
        (
            "blog/urls.py",
            "from django.urls import path\n\nfrom . import views\n\nurlpatterns = [path('p/', views.v, name='blog.change_postt')]\n",
        ),
        (
            "blog/views.py",
            "import logging\n\nlogger = logging.getLogger(__name__)\n\n\ndef v(request):\n    logger.info('blog.change_postt')\n    logging.warning('blog.change_postt', extra={})\n    return None\n",
        ),
        (
            "proj/logs.py",
            "LOGGING = {'loggers': {'blog.change_postt': {'level': 'INFO'}}}\nREAL = 'blog.change_postt'\n",
        ),
    ]);
    assert_eq!(found(&a), vec![at("proj/logs.py", 2, "DJP002")]);
}

#[test]
fn a_look_alike_mixin_is_judged_by_its_origin_and_code() {
    let (_d, a) = project(&[
        (
            "blog/roles.py",
            "class PermissionRequiredMixin:\n    permission_required = None\n\n    def dispatch(self, request, *args, **kwargs):\n        if request.user.role != self.permission_required:\n            raise PermissionError\n        return super().dispatch(request, *args, **kwargs)\n",
        ),
        (
            "blog/checks.py",
            "class PermissionRequiredMixin:\n    def dispatch(self, request, *args, **kwargs):\n        if not request.user.has_perm(self.permission_required):\n            raise PermissionError\n        return super().dispatch(request, *args, **kwargs)\n",
        ),
        (
            "blog/views.py",
            "from django.contrib.auth import mixins\nfrom django.views.generic import View\nfrom otherpkg.views import PermissionRequiredMixin as OtherMixin\n\nfrom . import checks, roles\n\n\nclass A(roles.PermissionRequiredMixin, View):\n    permission_required = 'editor'\n\n\nclass B(OtherMixin, View):\n    permission_required = 'can_publish'\n\n\nclass C(checks.PermissionRequiredMixin, View):\n    permission_required = 'can_publish'\n\n\nclass D(mixins.PermissionRequiredMixin, View):\n    permission_required = 'blog.can_publsh'\n",
        ),
    ]);
    assert_eq!(
        found(&a),
        vec![
            at("blog/views.py", 17, "DJP001"),
            at("blog/views.py", 21, "DJP002")
        ]
    );
}

#[test]
fn a_project_function_named_like_guardians_is_judged_by_its_code() {
    let (_d, a) = project(&[
        (
            "blog/shortcuts.py",
            "def get_objects_for_user(user, perms, qs=None):\n    if user.has_perms(perms):\n        return qs\n    return []\n\n\ndef assign_perm(perm, user, obj=None):\n    return (perm, user, obj)\n",
        ),
        (
            "blog/views.py",
            "from .shortcuts import assign_perm, get_objects_for_user\n\n\ndef v(request):\n    get_objects_for_user(request.user, ['blog.can_publsh'])\n    assign_perm('editor', request.user)\n",
        ),
    ]);
    assert_eq!(found(&a), vec![at("blog/views.py", 5, "DJP002")]);
}

#[test]
fn djp005_through_a_helper_and_after_the_decorator() {
    let (_d, a) = project(&[
        (
            "blog/grants.py",
            "from django.contrib.auth.models import Group\n\n\ndef make_editor(user):\n    user.groups.add(Group.objects.get(name='editors'))\n\n\ndef log_user(user):\n    print(user)\n",
        ),
        (
            "blog/views.py",
            "from django.contrib.auth.decorators import permission_required\nfrom django.contrib.auth.mixins import PermissionRequiredMixin\nfrom django.views.generic import View\n\nfrom .grants import log_user, make_editor\n\n\ndef a(request):\n    request.user.has_perm('blog.can_publish')\n    make_editor(request.user)\n    return request.user.has_perm('blog.can_publish')\n\n\ndef b(request):\n    request.user.has_perm('blog.can_publish')\n    log_user(request.user)\n    return request.user.has_perm('blog.can_publish')\n\n\n@permission_required('blog.can_publish')\ndef c(request):\n    request.user.groups.add(1)\n    return request.user.has_perm('blog.can_publish')\n\n\ndef d(request):\n    request.user.groups.add(1)\n    return request.user.has_perm('blog.can_publish')\n\n\nclass E(PermissionRequiredMixin, View):\n    permission_required = 'blog.can_publish'\n\n    def post(self, request):\n        request.user.groups.add(1)\n        return request.user.has_perm('blog.can_publish')\n",
        ),
    ]);
    assert_eq!(
        found(&a),
        vec![
            at("blog/views.py", 11, "DJP005"),
            at("blog/views.py", 23, "DJP005"),
            at("blog/views.py", 36, "DJP005")
        ]
    );
}

#[test]
fn checks_about_an_object_do_not_use_the_cache_and_empty_defaults_are_not_empty_requirements() {
    let (_d, a) = project(&[
        ("djperm.toml", "preview = true\nignore = ['DJP030', 'DJP013']\n"),
        (
            "blog/grants.py",
            "def join(user, team):\n    user.groups.add(team)\n",
        ),
        (
            "blog/tabs.py",
            "class Tab:\n    permissions = []\n\n    def allowed(self, request):\n        return request.user.has_perms(self.permissions)\n\n\nclass Open(Tab):\n    permissions = ()\n\n\nclass Closed(Tab):\n    permissions = ('blog.can_publsh',)\n",
        ),
        (
            "blog/views.py",
            "from .grants import join\n\n\ndef a(request, team, post):\n    request.user.has_perm('blog.can_publish', post)\n    join(request.user, team)\n    request.user.has_perm('blog.can_publish', post)\n    request.user.has_perm('blog.can_publish')\n    join(request.user, team)\n    return request.user.has_perm('blog.can_publish')\n",
        ),
    ]);
    assert_eq!(
        found(&a),
        vec![
            at("blog/tabs.py", 13, "DJP002"),
            at("blog/views.py", 10, "DJP005")
        ]
    );
}

#[test]
fn the_command_line_finds_helper_call_sites_in_files_it_did_not_parse() {
    // The command line reads lean: a file the pre-filter skips is not held in memory. A call of
    // a project helper in such a file (nothing in it looks like a permission check, and it is
    // too large to be kept) is still found, in a Python file and in a template.
    let padding = format!("# {}\n", "x".repeat(78)).repeat(20);
    let helper = "def allowed(user, name):\n    return user.has_perm(name)\n";
    let tags = "from django import template\n\nregister = template.Library()\n\n\n@register.filter\ndef may(user, name):\n    return user.has_perm(name)\n";
    let view = format!(
        "{padding}from blog.access import allowed\n\n\ndef v(request):\n    return allowed(request.user, 'blog.can_publsh')\n"
    );
    let page = format!(
        "{padding}{{% load gate %}}\n{{% if request.user|may:'blog.can_pubish' %}}x{{% endif %}}\n"
    );
    let (dir, _) = project(&[
        ("blog/access.py", helper),
        ("blog/templatetags/__init__.py", ""),
        ("blog/templatetags/gate.py", tags),
        ("blog/views.py", &view),
        ("blog/templates/blog/page.html", &page),
    ]);
    let run = common::run_djperm(
        dir.path(),
        &["check", "--no-cache", "--output-format", "concise"],
        std::time::Duration::from_secs(60),
    );
    let found: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.contains("DJP002"))
        .collect();
    assert_eq!(found.len(), 2, "{}{}", run.stdout, run.stderr);
    assert!(
        found.iter().any(|l| l.starts_with("blog/views.py:25:")),
        "{}",
        run.stdout
    );
    assert!(
        found
            .iter()
            .any(|l| l.starts_with("blog/templates/blog/page.html:22:")),
        "{}",
        run.stdout
    );
}

const COMPONENTS: &str = "class Component:\n    required_permissions = ()\n    weight = None\n\n    def __init__(self, **kwargs):\n        for name, value in kwargs.items():\n            if not hasattr(self, name):\n                raise TypeError(name)\n            setattr(self, name, value)\n\n    def should_render(self, context):\n        if self.required_permissions:\n            return context['request'].user.has_perms(self.required_permissions)\n        return True\n\n\nclass Button(Component):\n    label = None\n\n\nclass Gate:\n    def __init__(self, name, permission=None, note=''):\n        self.name = name\n        self.permission = permission\n        self.prefixed = 'blog.' + note\n\n    def allowed(self, user):\n        return user.has_perm(self.permission) and user.has_perm(self.prefixed)\n\n\nclass Plain:\n    def __init__(self, permission):\n        self.permission = permission.upper()\n\n    def allowed(self, user):\n        return user.has_perm(self.permission)\n";

/// A constructor's arguments reach the check a method makes of the attribute they set: a
/// parameter stored as `self.<attr>`, and every keyword of an `__init__` that sets its keywords
/// with `setattr` (reached through a subclass whose `__init__` only hands them on).
#[test]
fn what_a_constructor_stores_is_checked_where_a_method_reads_it() {
    let (_d, a) = project(&[
        ("blog/components.py", COMPONENTS),
        (
            "blog/buttons.py",
            "from .components import Button\n\n\nclass RunButton(Button):\n    def __init__(self, **kwargs):\n        super().__init__(**kwargs)\n",
        ),
        (
            "blog/views.py",
            "from .buttons import RunButton\nfrom .components import Button, Gate, Plain\n\n\nBUTTONS = [\n    Button(weight=1, required_permissions=['blog.can_publish']),\n    Button(weight=2, required_permissions=['blog.publish_post']),\n    RunButton(weight=3, label='Run', required_permissions=['blog.run_post']),\n    Gate('a', 'blog.can_publsh'),\n    Gate('b', permission='blog.add_post'),\n    Gate('c', note='blog.nothing'),\n    Plain('blog.nope'),\n]\n",
        ),
    ]);
    assert_eq!(
        found(&a),
        vec![
            at("blog/views.py", 7, "DJP002"),
            at("blog/views.py", 8, "DJP002"),
            at("blog/views.py", 9, "DJP002"),
        ]
    );
    let notes = notes(&a);
    assert!(
        notes.iter().any(|n| n.starts_with(
            "`Component.__init__()` (blog/components.py:5) passes it to `Component.required_permissions`, which passes it to `context['request'].user.has_perms` (blog/components.py:13)"
        )),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.starts_with(
            "`Gate.__init__()` (blog/components.py:22) passes it to `Gate.permission`"
        )),
        "{notes:?}"
    );
}

/// A class that only shares the attribute's name, an `__init__` that keeps its keywords to
/// itself and a base outside the project bring nothing into view.
#[test]
fn a_constructor_that_stores_nothing_a_check_reads_is_not_a_sink() {
    let (_d, a) = project(&[
        ("blog/components.py", COMPONENTS),
        (
            "blog/views.py",
            "from django.forms import Form\n\nfrom .components import Component\n\n\nclass Other:\n    required_permissions = ()\n\n    def __init__(self, **kwargs):\n        for name, value in kwargs.items():\n            setattr(self, name, value)\n\n\nclass Keeps(Component):\n    def __init__(self, **kwargs):\n        self.options = kwargs\n\n\nclass Outside(Form, Component):\n    pass\n\n\nITEMS = [\n    Other(required_permissions=['blog.nope_one']),\n    Keeps(required_permissions=['blog.nope_two']),\n    Outside(required_permissions=['blog.nope_three']),\n]\n",
        ),
    ]);
    assert_eq!(found(&a), vec![]);
}

/// A class whose `__init__` a decorator writes (`@dataclass`, attrs' `@attr.s`) sets each field
/// it is given by keyword: the field a method checks is checked at the call. Not with
/// `init=False`, and not for a look-alike decorator of the project's own.
#[test]
fn a_generated_init_stores_its_fields() {
    let (_d, a) = project(&[
        (
            "blog/tabs.py",
            "from dataclasses import dataclass\n\nimport attr\n\nfrom .deco import dataclass as plain\n\n\n@dataclass(frozen=True)\nclass Tab:\n    label: str\n    permission: str = 'blog.can_publish'\n\n    def visible(self, user):\n        return user.has_perm(self.permission)\n\n\n@dataclass(init=False)\nclass Manual:\n    permission: str = 'blog.can_publish'\n\n    def visible(self, user):\n        return user.has_perm(self.permission)\n\n\n@attr.s\nclass Legacy:\n    permission = attr.ib(default='blog.can_publish')\n\n    def visible(self, user):\n        return user.has_perm(self.permission)\n\n\n@plain\nclass Fake:\n    permission = 'blog.can_publish'\n\n    def visible(self, user):\n        return user.has_perm(self.permission)\n",
        ),
        ("blog/deco.py", "def dataclass(cls):\n    return cls\n"),
        (
            "blog/views.py",
            "from .tabs import Fake, Legacy, Manual, Tab\n\nTABS = [\n    Tab('Posts', permission='blog.nope_tab'),\n    Manual(permission='blog.nope_manual'),\n    Legacy(permission='blog.nope_legacy'),\n    Fake(permission='blog.nope_fake'),\n    Tab('Ok', permission='blog.can_publish'),\n]\n",
        ),
    ]);
    assert_eq!(
        found(&a),
        vec![
            at("blog/views.py", 4, "DJP002"),
            at("blog/views.py", 6, "DJP002"),
        ]
    );
}
