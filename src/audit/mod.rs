//! `djperm audit`: a static permission map of the whole project — every route with what guards
//! it (or that nothing does), and every permission with where it is defined and checked.

mod guards;
mod html;
mod public;
mod render;
pub mod routes;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::Config;
use crate::diagnostic::Span;
use crate::index::resolve::Resolver;
use crate::index::Project;
use crate::locator::Locator;
use crate::rules::{perms, Context};
use crate::value::Value;
use crate::{analyze, discover, Analysis, Selection};

use guards::Guards;
use routes::{RawRoute, Routes, ViewTarget};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditFormat {
    Text,
    Json,
    Html,
    Csv,
}

/// `djperm audit [PATH] [--output-format text|json|html|csv]`.
#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// The project directory (default: the current directory).
    pub path: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub output_format: AuditFormat,
    /// Write the report to this file instead of stdout (`--output` is accepted too).
    #[arg(long = "output-file", short = 'o', alias = "output")]
    pub output: Option<PathBuf>,
    /// A `djperm.toml` or `pyproject.toml` to use instead of discovering one.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The settings module, when discovery is ambiguous.
    #[arg(long)]
    pub settings: Option<String>,
}

#[derive(Serialize, Debug, Clone)]
pub struct Location {
    pub filename: String,
    pub row: usize,
}

#[derive(Serialize, Debug)]
pub struct GuardOut {
    pub kind: &'static str,
    pub detail: String,
    pub permissions: Vec<String>,
    pub location: Option<Location>,
    /// DRF model permissions per HTTP method the route serves (`{"GET": [...], ...}`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub methods: BTreeMap<String, Vec<String>>,
    /// Methods the route serves that the permission class's `perms_map` lacks: DRF answers
    /// them 405 Method Not Allowed, whatever the user's permissions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub methods_not_allowed: Vec<String>,
}

#[derive(Serialize, Debug)]
pub struct Route {
    pub pattern: String,
    pub name: Option<String>,
    /// The app label the view belongs to (`-` when outside the tree).
    pub app: String,
    /// `function`, `class`, `viewset`, `admin`, `admin-index`, `external`, `unresolved`.
    pub view_kind: &'static str,
    pub view: String,
    pub view_location: Option<Location>,
    /// Where the route is declared (the `path(...)` or `register(...)` call).
    pub declared_at: Option<Location>,
    /// `guarded`, `unguarded`, `public` (unguarded, and named in `public-routes`) or `unknown`.
    pub status: &'static str,
    pub guards: Vec<GuardOut>,
    pub notes: Vec<String>,
    /// The same route with a format suffix (`format_suffix_patterns`, a `DefaultRouter`),
    /// folded into this one: same view, same guards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format_suffix: Option<String>,
}

#[derive(Serialize, Debug)]
pub struct Check {
    pub kind: String,
    pub location: Location,
}

#[derive(Serialize, Debug)]
pub struct PermissionOut {
    pub permission: String,
    pub app_label: String,
    pub model: Option<String>,
    pub source: &'static str,
    pub custom: bool,
    pub defined_at: Option<Location>,
    pub checks: Vec<Check>,
    /// Patterns of routes whose guards require it.
    pub routes: Vec<String>,
    /// A custom permission nothing references (a candidate for removal).
    pub unused: bool,
}

#[derive(Serialize, Debug)]
pub struct UnknownReference {
    pub code: &'static str,
    pub message: String,
    pub location: Location,
}

#[derive(Serialize, Debug, Default)]
pub struct Summary {
    pub routes: usize,
    pub guarded: usize,
    pub unguarded: usize,
    /// Unguarded routes the configuration names as meant to be open (`public-routes`).
    pub public: usize,
    pub unknown: usize,
}

#[derive(Serialize, Debug)]
pub struct ProjectReport {
    pub root: String,
    pub settings: Option<String>,
    pub urlconf: Option<String>,
    pub summary: Summary,
    /// Project middleware djperm does not analyse (it may guard every route).
    pub middleware_not_analysed: Vec<String>,
    pub routes: Vec<Route>,
    pub permissions: Vec<PermissionOut>,
    pub unused_permissions: Vec<String>,
    pub unknown_references: Vec<UnknownReference>,
}

#[derive(Serialize, Debug)]
pub struct Report {
    pub projects: Vec<ProjectReport>,
    /// The analysed directory on disk (for `file://` links in HTML); not serialised.
    #[serde(skip)]
    pub root_dir: Option<PathBuf>,
}

impl Report {
    /// Make every file name (relative to `root`) relative to `cwd` when under it, else absolute.
    pub fn relativize(&mut self, root: &std::path::Path, cwd: &std::path::Path) {
        let fix = |l: &mut Location| {
            let abs = root.join(&l.filename);
            l.filename = match abs.strip_prefix(cwd) {
                Ok(p) => p.to_string_lossy().replace('\\', "/"),
                Err(_) => abs.to_string_lossy().into_owned(),
            };
        };
        for p in &mut self.projects {
            for r in &mut p.routes {
                r.view_location.iter_mut().for_each(fix);
                r.declared_at.iter_mut().for_each(fix);
                for g in &mut r.guards {
                    g.location.iter_mut().for_each(fix);
                }
            }
            for perm in &mut p.permissions {
                perm.defined_at.iter_mut().for_each(fix);
                for c in &mut perm.checks {
                    fix(&mut c.location);
                }
            }
            for u in &mut p.unknown_references {
                fix(&mut u.location);
            }
        }
    }
}

fn locate(analysis: &Analysis, span: Span) -> Location {
    let text = analysis.ws.text(span.file);
    Location {
        filename: analysis.ws.path(span.file).to_string(),
        row: Locator::new(text).row_col(span.start as usize).0,
    }
}

fn app_of(project: &Project, path: &str) -> Option<String> {
    project
        .apps
        .iter()
        .filter_map(|a| a.dir.as_ref().map(|d| (d, &a.label)))
        .filter(|(d, _)| d.is_empty() || path.starts_with(&format!("{d}/")))
        .max_by_key(|(d, _)| d.len())
        .map(|(_, l)| l.clone())
}

/// INSTALLED_APPS entries outside the tree that may register admin models: apps with
/// permission rows (so models) in the bundled table, and apps djperm knows nothing about.
fn apps_outside_with_models(project: &Project) -> Vec<String> {
    let mut out: Vec<String> = project
        .apps
        .iter()
        .filter(|a| !a.scanned() && !a.contrib && !a.name.starts_with("django."))
        .filter(|a| !a.bundled || project.perms.iter().any(|p| p.label == a.label))
        .map(|a| format!("`{}`", a.entry))
        .collect();
    out.dedup();
    out
}

/// Build the audit report of an analysed snapshot.
pub fn audit(analysis: &Analysis) -> Report {
    let ctx = Context::new(&analysis.ws, &analysis.index);
    let resolver = Resolver::new(&analysis.ws);
    let checks = perms::checks(&ctx);
    let mut projects = Vec::new();
    for project in &analysis.index.projects {
        projects.push(project_report(analysis, &ctx, &resolver, project, checks));
    }
    Report {
        projects,
        root_dir: None,
    }
}

fn strings_of(v: &Value) -> Vec<String> {
    match v {
        Value::Str(s) => vec![s.to_string()],
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| i.value.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn project_report(
    analysis: &Analysis,
    ctx: &Context<'_>,
    resolver: &Resolver<'_>,
    project: &Project,
    checks: &perms::Checks,
) -> ProjectReport {
    let ws = &analysis.ws;
    let settings = project.settings.module.clone();
    let setting = |name: &str| -> Value {
        settings
            .as_deref()
            .map(|m| resolver.module_value(m, name))
            .unwrap_or(Value::Unknown)
    };
    let mut urlconf = setting("ROOT_URLCONF").as_str().map(str::to_string);
    if urlconf.is_none() {
        // No settings: the shallowest `urls` module under the project root.
        let in_root = |m: &str| {
            ws.module_file(m).is_some_and(|f| {
                project.root.is_empty() || ws.path(f).starts_with(&format!("{}/", project.root))
            })
        };
        let mut candidates: Vec<&String> = ws
            .modules
            .keys()
            .filter(|m| (m.as_str() == "urls" || m.ends_with(".urls")) && in_root(m))
            .collect();
        candidates.sort_by_key(|m| (m.matches('.').count(), m.to_string()));
        urlconf = candidates.first().map(|m| m.to_string());
    }
    let middleware = strings_of(&setting("MIDDLEWARE"));
    let login_middleware = middleware
        .iter()
        .any(|m| m.ends_with("LoginRequiredMiddleware"));
    let middleware_not_analysed: Vec<String> = middleware
        .iter()
        .filter(|m| !m.starts_with("django.") && !m.ends_with("LoginRequiredMiddleware"))
        .cloned()
        .collect();
    let drf_default = match setting("REST_FRAMEWORK").dict_get("DEFAULT_PERMISSION_CLASSES") {
        Some(item) => match &item.value {
            Value::Seq(_) => Some(strings_of(&item.value)),
            _ => Some(vec!["?".to_string()]),
        },
        None => None,
    };
    let mut walker = Routes::new(ws, resolver);
    let installed = |app: &str| {
        project
            .settings
            .installed_apps
            .iter()
            .any(|a| a == app || a.starts_with(&format!("{app}.apps")))
    };
    let contrib_user = |name: &str| Value::Ref {
        module: "django.contrib.auth.models".into(),
        path: thin_vec::thin_vec![name.into()],
    };
    let default_user = project
        .settings
        .auth_user_model
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case("auth.User"));
    if installed("django.contrib.auth") && installed("django.contrib.admin") {
        walker.contrib_admin.push(contrib_user("Group"));
        if default_user {
            walker.contrib_admin.push(contrib_user("User"));
        }
    }
    if default_user {
        walker.user_model = Some(contrib_user("User"));
    }
    if let Some(u) = &urlconf {
        walker.urlconf(u);
    }
    let guards = Guards {
        ctx,
        resolver,
        project,
        drf_default,
        login_middleware,
    };
    let mut routes: Vec<Route> = walker
        .routes
        .iter()
        .map(|r| route_out(analysis, project, &guards, r))
        .collect();
    routes.sort_by(|a, b| a.pattern.cmp(&b.pattern).then(a.name.cmp(&b.name)));
    let outside = apps_outside_with_models(project);
    if !outside.is_empty() {
        for r in routes.iter_mut().filter(|r| r.view_kind == "admin-index") {
            r.notes.push(format!(
                "models that installed apps outside the scanned tree register on this site are \
                 not listed (their admin modules are not read): {}",
                outside.join(", ")
            ));
        }
    }
    let mut summary = Summary {
        routes: routes.len(),
        ..Summary::default()
    };
    for r in &routes {
        match r.status {
            "guarded" => summary.guarded += 1,
            "unguarded" => summary.unguarded += 1,
            _ => summary.unknown += 1,
        }
    }

    // Permissions.
    let unused = perms::unused_custom(ctx, project);
    let mut permissions: Vec<PermissionOut> = Vec::new();
    for p in project.perms.iter().filter(|p| p.in_database) {
        let perm = p.perm();
        if permissions
            .iter()
            .any(|o| o.permission == perm && o.model.as_deref() == p.model.as_deref())
        {
            continue;
        }
        let mut list: Vec<Check> = perms::checks_of(checks, p)
            .into_iter()
            .map(|(kind, span)| Check {
                kind: format!("{kind:?}"),
                location: locate(analysis, *span),
            })
            .collect();
        list.dedup_by(|a, b| {
            a.location.filename == b.location.filename && a.location.row == b.location.row
        });
        let on_routes: Vec<String> = routes
            .iter()
            .filter(|r| r.guards.iter().any(|g| g.permissions.contains(&perm)))
            .map(|r| r.pattern.clone())
            .collect();
        permissions.push(PermissionOut {
            permission: perm,
            app_label: p.label.to_string(),
            model: p.model.as_ref().map(|m| m.to_string()),
            source: p.source.as_str(),
            custom: matches!(
                p.source,
                crate::index::Source::Meta | crate::index::Source::DataMigration
            ),
            defined_at: p.span.map(|s| locate(analysis, s)),
            checks: list,
            routes: on_routes,
            unused: unused.iter().any(|u| std::ptr::eq(*u, p)),
        });
    }
    permissions.sort_by(|a, b| {
        (&a.app_label, &a.model, &a.permission).cmp(&(&b.app_label, &b.model, &b.permission))
    });
    let mut unused_permissions: Vec<String> = permissions
        .iter()
        .filter(|p| p.unused)
        .map(|p| p.permission.clone())
        .collect();
    unused_permissions.dedup();
    let unknown_references = analysis
        .diagnostics
        .iter()
        .filter(|d| matches!(d.code, "DJP001" | "DJP002" | "DJP003" | "DJP009"))
        .filter(|d| std::ptr::eq(analysis.index.project_for(ws.path(d.span.file)), project))
        .map(|d| UnknownReference {
            code: d.code,
            message: d.message.clone(),
            location: locate(analysis, d.span),
        })
        .collect();
    ProjectReport {
        root: if project.root.is_empty() {
            ".".into()
        } else {
            project.root.clone()
        },
        settings,
        urlconf,
        summary,
        middleware_not_analysed,
        routes,
        permissions,
        unused_permissions,
        unknown_references,
    }
}

fn route_out(
    analysis: &Analysis,
    project: &Project,
    guards: &Guards<'_, '_, '_>,
    r: &RawRoute<'_>,
) -> Route {
    let ws = &analysis.ws;
    let verdict = guards.of(&r.view, &r.wrappers, r.at);
    let (view_kind, view, view_span): (&'static str, String, Option<Span>) = match &r.view {
        ViewTarget::Function { module, fact, .. } => (
            "function",
            format!("{module}.{}", fact.name),
            Some(fact.span),
        ),
        ViewTarget::Class { class, .. } => (
            "class",
            format!("{}.{}", class.module, class.class.name),
            Some(class.class.span),
        ),
        ViewTarget::ViewSet { class, action, .. } => (
            "viewset",
            match action {
                Some(a) => format!("{}.{}.{a}", class.module, class.class.name),
                None => format!("{}.{}", class.module, class.class.name),
            },
            Some(class.class.span),
        ),
        ViewTarget::Admin {
            model,
            model_value,
            admin,
        } => {
            let model_name = match (model, model_value) {
                (Some(m), _) => format!("{}.{}", m.module, m.class.name),
                (None, Value::Ref { module, path }) => format!("{module}.{}", path.join(".")),
                _ => "?".into(),
            };
            let admin_name = admin
                .map(|a| a.class.name.clone())
                .unwrap_or_else(|| "ModelAdmin".into());
            (
                "admin",
                format!("{admin_name} for {model_name}"),
                admin.map(|a| a.class.span).or(model.map(|m| m.class.span)),
            )
        }
        ViewTarget::AdminIndex => ("admin-index", "admin site".into(), None),
        ViewTarget::External(d) => ("external", d.clone(), None),
        ViewTarget::Unresolved(what) => ("unresolved", what.clone(), None),
    };
    let mut pattern = r.pattern.clone();
    let mut name = r.name.clone();
    let mut app = view_span.and_then(|s| app_of(project, ws.path(s.file)));
    if let ViewTarget::Admin { model: Some(m), .. } = &r.view {
        if let Some(cm) = project.code_model_at(m.file, &m.class.name) {
            if let Some(label) = &cm.label {
                pattern = format!(
                    "{}{label}/{}/",
                    pattern.strip_suffix('?').unwrap_or(&pattern),
                    cm.model_name
                );
                name = Some(format!("admin:{label}_{}_changelist", cm.model_name));
                app = Some(label.clone());
            }
        }
    }
    if let ViewTarget::Admin {
        model: None,
        model_value: Value::Ref { module, path },
        ..
    } = &r.view
    {
        // A django.contrib model (`django.contrib.auth.models.Group`).
        if let (Some(label), Some(object)) = (
            module
                .strip_prefix("django.contrib.")
                .and_then(|m| m.strip_suffix(".models")),
            path.last(),
        ) {
            let model_name = object.to_lowercase();
            pattern = format!(
                "{}{label}/{model_name}/",
                pattern.strip_suffix('?').unwrap_or(&pattern)
            );
            name = Some(format!("admin:{label}_{model_name}_changelist"));
            app = Some(label.to_string());
        }
    }
    if app.is_none() {
        app = r.at.and_then(|s| app_of(project, ws.path(s.file)));
    }
    let status = if !verdict.guards.is_empty() {
        "guarded"
    } else if !verdict.notes.is_empty() {
        "unknown"
    } else {
        "unguarded"
    };
    Route {
        pattern,
        name,
        app: app.unwrap_or_else(|| "-".into()),
        view_kind,
        view,
        view_location: view_span.map(|s| locate(analysis, s)),
        declared_at: r.at.map(|s| locate(analysis, s)),
        status,
        guards: verdict
            .guards
            .into_iter()
            .map(|g| GuardOut {
                kind: g.kind,
                detail: g.detail,
                permissions: g.permissions,
                location: g.span.map(|s| locate(analysis, s)),
                methods: g.by_method.into_iter().collect(),
                methods_not_allowed: g.not_allowed,
            })
            .collect(),
        notes: verdict.notes,
        format_suffix: r.format_suffix.clone(),
    }
}

/// Render a report.
pub fn render(report: &Report, format: AuditFormat) -> String {
    match format {
        AuditFormat::Text => render::text(report),
        AuditFormat::Json => serde_json::to_string_pretty(report).unwrap_or_default() + "\n",
        AuditFormat::Csv => render::csv(report),
        AuditFormat::Html => html::html(report),
    }
}

/// Analyse a directory and build its report (the CLI's core, also used by tests).
pub fn audit_dir(root: &Path, config: &Config) -> Report {
    let (snapshot, _) = discover::load(root, &config.exclude);
    let selection = Selection {
        read_everything: true, // routes, admin sites, DRF views
        ..Selection::from_config(config)
    };
    let analysis = analyze(snapshot, config, &selection);
    let mut report = audit(&analysis);
    report.mark_public(&config.public_routes);
    report.root_dir = Some(root.to_path_buf());
    report
}
