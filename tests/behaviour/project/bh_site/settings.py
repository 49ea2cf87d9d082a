# The behaviour oracle's project: real Django runs the buggy code in blog/ and tests/behaviour/run.py
# records what happens. No AUTHENTICATION_BACKENDS: only ModelBackend, as in most projects (DJP013).
SECRET_KEY = "behaviour-not-secret"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    # django-guardian's shortcuts (DJP015, DJP020); its backend is deliberately not configured.
    "guardian",
    # DRF's DjangoModelPermissions (DJP021).
    "rest_framework",
    "blog",
]

ROOT_URLCONF = "bh_site.urls"

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
    }
}

# guardian warns (guardian.W001) when its backend is missing; that is the point here.
SILENCED_SYSTEM_CHECKS = ["guardian.W001"]
