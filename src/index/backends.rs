//! What the project's authentication backends and user model do with permission strings.
//!
//! Django asks each backend of `AUTHENTICATION_BACKENDS` that has the method (`has_perm`, …)
//! in turn, and `User.has_perm` is what callers call. A backend read in the project falls in
//! one of three kinds:
//! - it defines no permission method (directly or through project bases): it only
//!   authenticates and grants nothing, so it changes nothing about which strings are valid;
//! - it answers `has_perm` itself (its own `has_perm` or `get_all_permissions`, not a
//!   `ModelBackend`): the strings it accepts are built at run time;
//! - anything else (a `ModelBackend` subclass with its own permission methods, or a class
//!   that cannot be read): it may accept free-form actions on real models.
//!
//! When every backend answers `has_perm` itself (or only authenticates), or the
//! `AUTH_USER_MODEL` class overrides `has_perm`/`has_perms` without calling the parent's, no
//! string can be judged.

use crate::env::bundled::{self, BackendKind};
use crate::index::apps::{App, Settings};
use crate::index::backend_accepts::{self, Accepts};
use crate::index::resolve::{ClassRef, Resolver, Target};

/// Backend methods Django calls for permissions.
const PERMISSION_METHODS: &[&str] = &[
    "has_perm",
    "get_all_permissions",
    "get_user_permissions",
    "get_group_permissions",
    "has_module_perms",
    "with_perm",
];

#[derive(Default)]
struct Reading {
    /// Permission methods defined by the class or its project bases.
    methods: Vec<String>,
    /// It inherits from Django's `ModelBackend` (or a `…ModelBackend`).
    model_backend: bool,
    /// Some base outside Django's backends could not be read.
    unknown_base: bool,
}

/// Read `class` and its bases: the methods of `wanted` it or a project base defines (an
/// override that calls the parent's, as a cache or an extra condition does, changes nothing and
/// is left out), and what it inherits from outside the project.
fn read_class(
    resolver: &Resolver<'_>,
    class: ClassRef<'_>,
    wanted: &[&str],
    out: &mut Reading,
    depth: u32,
) {
    if depth > 16 {
        out.unknown_base = true;
        return;
    }
    for m in &class.class.methods {
        if wanted.contains(&m.as_str())
            && !class.class.super_calls.contains(m)
            && !out.methods.contains(m)
        {
            out.methods.push(m.clone());
        }
    }
    for base in &class.class.bases {
        match resolver.base_target(base, 0) {
            Target::Class(c) => read_class(resolver, c, wanted, out, depth + 1),
            Target::External(name) => {
                if name.ends_with("ModelBackend") {
                    out.model_backend = true;
                } else if !name.starts_with("django.contrib.auth.backends.") {
                    out.unknown_base = true;
                }
            }
            // A bare builtin base (`object`) folds to nothing.
            Target::Value(_) | Target::Unknown => {}
        }
    }
}

/// The project class a dotted path names (`pkg.backends.TokenBackend`).
fn class_at<'w>(resolver: &Resolver<'w>, dotted: &str) -> Option<ClassRef<'w>> {
    let (module, name) = dotted.rsplit_once('.')?;
    match resolver.target(module, &[name.into()], 0) {
        Target::Class(c) => Some(c),
        _ => None,
    }
}

/// Fill `settings.auth_only_backends`, `settings.narrowed_backends` and `settings.own_checker`;
/// warnings say when no permission string can be judged, or which strings a backend accepts.
pub fn classify(
    resolver: &Resolver<'_>,
    settings: &mut Settings,
    apps: &[App],
    at: &str,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let backends = settings.backends.clone().unwrap_or_default();
    let mut checkers: Vec<String> = Vec::new();
    let mut neutral = 0;
    for backend in &backends {
        if backend.starts_with("axes.") {
            neutral += 1;
            continue;
        }
        let Some(class) = class_at(resolver, backend) else {
            // Not in the project: the bundled table knows what common packages' backends do.
            if bundled::backend(backend).is_some_and(|b| b.kind == BackendKind::AuthOnly) {
                settings.auth_only_backends.push(backend.clone());
                neutral += 1;
            }
            continue;
        };
        let mut reading = Reading::default();
        read_class(resolver, class, PERMISSION_METHODS, &mut reading, 0);
        // The parent's `has_perm` accepts nothing ModelBackend rejects unless the class
        // gathers permissions of its own.
        let super_nothing =
            !reading.unknown_base && !backend_accepts::gathers_permissions(resolver, class, 0);
        match backend_accepts::accepts(resolver, class, super_nothing) {
            Some(Accepts::Nothing) if super_nothing => {
                settings.auth_only_backends.push(backend.clone());
                neutral += 1;
                continue;
            }
            Some(Accepts::Only(list)) if super_nothing => {
                let what: Vec<String> = list.iter().map(|a| a.describe()).collect();
                warnings.push(format!(
                    "{at}: `{backend}` answers `has_perm` itself and accepts only {} besides ModelBackend's permissions: other strings are still reported",
                    what.join(", ")
                ));
                settings.narrowed_backends.push((backend.clone(), list));
                neutral += 1;
                continue;
            }
            _ => {}
        }
        if reading.methods.is_empty() && !reading.unknown_base {
            settings.auth_only_backends.push(backend.clone());
            neutral += 1;
        } else if !reading.model_backend
            && reading
                .methods
                .iter()
                .any(|m| m == "has_perm" || m == "get_all_permissions")
        {
            checkers.push(backend.clone());
        }
    }
    if !checkers.is_empty() && checkers.len() + neutral == backends.len() {
        let names: Vec<String> = checkers.iter().map(|c| format!("`{c}`")).collect();
        settings.own_checker = Some(format!(
            "every AUTHENTICATION_BACKENDS entry that grants permissions answers `has_perm` itself ({})",
            names.join(", ")
        ));
    } else if let Some(user) = user_class(resolver, settings, apps) {
        let mut reading = Reading::default();
        read_class(
            resolver,
            user.1,
            &["has_perm", "has_perms"],
            &mut reading,
            0,
        );
        if reading
            .methods
            .iter()
            .any(|m| m == "has_perm" || m == "has_perms")
        {
            settings.own_checker = Some(format!(
                "the user model `{}` overrides `has_perm`/`has_perms`",
                user.0
            ));
        }
    }
    if let Some(why) = &settings.own_checker {
        warnings.push(format!("{at}: {why}: djperm cannot know which permission strings it accepts and does not report unknown permissions or labels (DJP001, DJP002, DJP003)"));
    }
    warnings
}

/// `AUTH_USER_MODEL`'s class, read in the project.
fn user_class<'w>(
    resolver: &Resolver<'w>,
    settings: &Settings,
    apps: &[App],
) -> Option<(String, ClassRef<'w>)> {
    let user = settings.auth_user_model.as_deref()?;
    let (label, object_name) = user.split_once('.')?;
    let app = apps.iter().find(|a| a.label == label && a.scanned())?;
    let class = class_at(resolver, &format!("{}.models.{object_name}", app.name))?;
    Some((user.to_string(), class))
}
