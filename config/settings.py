"""Logis settings: one module, driven by environment variables with safe local defaults."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LOGIS_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
# A development key only: `manage.py check --deploy` fails with it (logis/core/checks.py).
SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-dev-key-logis-change-me")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
# Without SITE_URL, links follow the port served (`PORT`, as `make run` does), not always 8000.
SITE_URL = os.environ.get("SITE_URL", f"http://127.0.0.1:{os.environ.get('PORT') or '8000'}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "ninja",  # serves the API docs' Swagger UI files locally (no CDN)
    "django_tasks",
    "django_tasks_db",
    "logis.core",
    "logis.accounts",
    "logis.properties",
    "logis.finances",
    "logis.ledger",
    "logis.invoicing",
    "logis.billing",
    "logis.budgeting",
    "logis.payments",
    "logis.notifications",
    "logis.portal",
    "logis.collections",
    "logis.reports",
    "logis.documents",
    "logis.api",
    "logis.statements",
    "logis.imports",
    "logis.banking",
    "logis.dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "logis.accounts.middleware.UserLanguageMiddleware",
    "logis.api.middleware.ApiLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "logis.core.context_processors.property_context",
            ],
            "builtins": ["logis.core.templatetags.logis"],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'logis.sqlite3'}"
DATABASES = {
    # Health checks: a reused connection the database dropped (a restart, pg_terminate_backend) is replaced
    # before the request uses it, instead of failing that request with a 500.
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")), conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web server and the worker share the embedded file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "properties:list"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Open sign-up (« Créer un compte »: a user, their organization, its first administrator). On in
# `make run` (scripts/run.py); off by default in production, where the first administrator comes from
# `manage.py create_organization` (README).
LOGIS_SIGNUP = env_bool("LOGIS_SIGNUP", False)
ACCOUNT_SIGNUP_FORM_CLASS = "logis.accounts.forms.SignupDetailsForm"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# Signing in needs a confirmed address (allauth's link by email). Accounts not made by open sign-up
# are recorded confirmed when created (logis/accounts/signals.py).
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_ADAPTER = "logis.accounts.adapter.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# allauth: False turns rate limits off (None would crash every sign-in). Failed sign-ins are limited per
# client address AND per account (the email typed): one address hammering made-up emails is stopped
# without locking out anyone else, and one account guessed from many addresses is stopped too.
ACCOUNT_RATE_LIMITS: dict[str, str] | bool = (
    False
    if env_bool("LOGIS_DISABLE_RATE_LIMITS", False)
    else {"login": "30/m/ip", "login_failed": "10/m/ip,5/5m/key"}
)
# Behind a TLS proxy every request comes from the proxy's address: the client's is the one the proxies in
# front (LOGIS_TRUSTED_PROXY_COUNT of them, 1 by default with BEHIND_PROXY=1) appended to X-Forwarded-For.
# Without it every visitor would share the proxy's address, and one attacker would lock everyone out.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("LOGIS_TRUSTED_PROXY_COUNT", "1" if BEHIND_PROXY else "0"))

# Two-factor authentication (allauth.mfa): an authenticator app (TOTP) and single-use recovery codes.
# Staff turn it on from « Sécurité »; a property may require it of its staff (logis/accounts/mfa.py).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Logis"
# Also accept the code of the 30-second step just before or after: a phone's clock a few seconds off, or a
# code typed as it changed, is not refused (as most services do; rate limits still apply).
MFA_TOTP_TOLERANCE = 1
MFA_ADAPTER = "logis.accounts.mfa.MFAAdapter"
MFA_FORMS = {
    "activate_totp": "logis.accounts.mfa.ActivateTOTPForm",
    "deactivate_totp": "logis.accounts.mfa.DeactivateTOTPForm",
    "authenticate": "logis.accounts.mfa.AuthenticateForm",
    "reauthenticate": "logis.accounts.mfa.ReauthenticateForm",
}

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "logis_language"
TIME_ZONE = "America/Toronto"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("LOGIS_MANIFEST_STATIC", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
# Uploaded files (properties' logos) in the default storage; served by Logis itself (properties:logo).
MEDIA_ROOT = Path(os.environ.get("LOGIS_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"


# --- Email -----------------------------------------------------------------------------------
def _email_settings(url: str | None) -> dict[str, object]:
    """EMAIL_URL: smtp://user:pass@host:port (smtp+tls:// or ?tls=1 for STARTTLS, smtps:// for SSL).

    Without it, messages go to the console and to files under var/mail/.
    """
    if not url:
        return {"EMAIL_BACKEND": "logis.notifications.backends.ConsoleAndFileBackend"}
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    scheme = parsed.scheme.lower()
    if scheme in {"console"}:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme in {"locmem", "memory"}:
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname or "127.0.0.1",
        "EMAIL_PORT": parsed.port or (465 if scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_TLS": scheme == "smtp+tls" or query.get("tls", ["0"])[0] in {"1", "true"},
        "EMAIL_USE_SSL": scheme == "smtps",
        "EMAIL_TIMEOUT": 10,
    }


EMAIL_URL = os.environ.get("EMAIL_URL")
globals().update(_email_settings(EMAIL_URL))
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Logis <no-reply@logis.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Cache ------------------------------------------------------------------------------------
# Sign-in and API rate limits and used two-factor codes live here. With REDIS_URL (redis://host:6379/0)
# every web process shares them; otherwise each process keeps its own in memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# Sessions: with a shared cache (Redis) a signed-in request reads its session there and writes it through to
# the database, one query fewer on every page (decision 0042); with the per-process memory cache, a session
# signed out in one web process would stay valid in another's memory, so they stay in the database alone.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"
)
# Requests per minute per API token (429 with Retry-After beyond); 0: no limit.
API_RATE_LIMIT_PER_MINUTE = int(os.environ.get("LOGIS_API_RATE_LIMIT", "120"))
# « Voir et payer » links in invoice and reminder emails (docs/decisions/0025): valid this many days, and
# at most this many requests per minute from one client address to any of them (0: no limit).
PAY_LINK_DAYS = int(os.environ.get("LOGIS_PAY_LINK_DAYS", "30"))
PAY_LINK_RATE_LIMIT_PER_MINUTE = int(os.environ.get("LOGIS_PAY_LINK_RATE_LIMIT", "30"))

# --- Imports: how long an uploaded spreadsheet is kept (logis/imports/retention.py) -------------
IMPORT_PREVIEW_HOURS = int(os.environ.get("LOGIS_IMPORT_PREVIEW_HOURS", "24"))
IMPORT_FILE_RETENTION_DAYS = int(os.environ.get("LOGIS_IMPORT_FILE_RETENTION_DAYS", "30"))

# --- Background work -------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Stripe ----------------------------------------------------------------------------------
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
# Without STRIPE_SECRET_KEY, online payment runs in demo mode through the local fake of Stripe
# (/demo-stripe/, labelled "no real payment") when STRIPE_DEMO is on: by default only with DEBUG (make run).
STRIPE_DEMO = env_bool("STRIPE_DEMO", DEBUG)

# --- Security in production ------------------------------------------------------------------
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
    # HSTS: once a browser has seen it, it refuses plain HTTP to the site for that many seconds. Start with a
    # short time (300) when first turning HTTPS on, then a year (31536000) as the README says.
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS") or "0")
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    if SECURE_HSTS_SECONDS and not SECURE_HSTS_PRELOAD:
        # Asking browsers to preload the domain is a separate, hard-to-undo decision (hstspreload.org): not
        # having it is a choice, not an oversight, so `check --deploy` need not warn about it.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4): scripts only from our own static files (no inline script, no
# eval), so that injected markup cannot run code. Styles allow inline `style` attributes (layout details in
# templates and the demo Checkout page): they cannot run code. Stripe's hosted Checkout is reached by a
# redirect after a form post, which `form-action` governs. See docs/decisions/0009.
_FORM_ACTIONS = [SELF, "https://checkout.stripe.com"]
if urlparse(SITE_URL).netloc:
    _FORM_ACTIONS.append(f"{urlparse(SITE_URL).scheme}://{urlparse(SITE_URL).netloc}")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": _FORM_ACTIONS,
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
