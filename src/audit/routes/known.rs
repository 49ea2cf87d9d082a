//! URLconfs that ship with Django and DRF, which projects include but whose source is not in
//! the scanned tree (`django.contrib.auth.urls`, `django.conf.urls.i18n`, `rest_framework.urls`):
//! their routes as Django 5.2 and DRF 3.x define them. `tests/audit_oracle.rs` checks them
//! against the real URLconfs through Django's resolver.

/// One route of a known URLconf.
pub struct KnownRoute {
    pub pattern: &'static str,
    pub name: &'static str,
    /// The view, dotted (the class for class-based views).
    pub view: &'static str,
    /// The view requires a logged-in user (`login_required` on its `dispatch`).
    pub login: bool,
}

/// A known URLconf: its `app_name` and its routes.
pub struct KnownUrlconf {
    pub app_name: Option<&'static str>,
    pub routes: &'static [KnownRoute],
}

const fn r(
    pattern: &'static str,
    name: &'static str,
    view: &'static str,
    login: bool,
) -> KnownRoute {
    KnownRoute {
        pattern,
        name,
        view,
        login,
    }
}

const AUTH: &[KnownRoute] = &[
    r(
        "login/",
        "login",
        "django.contrib.auth.views.LoginView",
        false,
    ),
    r(
        "logout/",
        "logout",
        "django.contrib.auth.views.LogoutView",
        false,
    ),
    r(
        "password_change/",
        "password_change",
        "django.contrib.auth.views.PasswordChangeView",
        true,
    ),
    r(
        "password_change/done/",
        "password_change_done",
        "django.contrib.auth.views.PasswordChangeDoneView",
        true,
    ),
    r(
        "password_reset/",
        "password_reset",
        "django.contrib.auth.views.PasswordResetView",
        false,
    ),
    r(
        "password_reset/done/",
        "password_reset_done",
        "django.contrib.auth.views.PasswordResetDoneView",
        false,
    ),
    r(
        "reset/<uidb64>/<token>/",
        "password_reset_confirm",
        "django.contrib.auth.views.PasswordResetConfirmView",
        false,
    ),
    r(
        "reset/done/",
        "password_reset_complete",
        "django.contrib.auth.views.PasswordResetCompleteView",
        false,
    ),
];

const I18N: &[KnownRoute] = &[r(
    "setlang/",
    "set_language",
    "django.views.i18n.set_language",
    false,
)];

const DRF: &[KnownRoute] = &[
    r(
        "login/",
        "login",
        "django.contrib.auth.views.LoginView",
        false,
    ),
    r(
        "logout/",
        "logout",
        "django.contrib.auth.views.LogoutView",
        false,
    ),
];

/// The known URLconf of this dotted module, if it is one.
pub fn urlconf(module: &str) -> Option<KnownUrlconf> {
    let (app_name, routes) = match module {
        "django.contrib.auth.urls" => (None, AUTH),
        "django.conf.urls.i18n" => (None, I18N),
        "rest_framework.urls" => (Some("rest_framework"), DRF),
        _ => return None,
    };
    Some(KnownUrlconf { app_name, routes })
}
