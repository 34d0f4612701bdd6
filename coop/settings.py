"""Greenshell settings, read from the environment.

Nothing set means the zero-setup default: SQLite, Celery running tasks eagerly in
the web process, a local-memory cache. ``DATABASE_URL`` and ``REDIS_URL`` switch to
PostgreSQL and Redis (broker + cache). See the configuration table in README.md.
"""

import sys
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from coop.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent

TESTING = "pytest" in sys.modules or (len(sys.argv) > 1 and sys.argv[1] == "test")

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if DEBUG or TESTING:
        # A development-only key; production must set its own (checked just below).
        SECRET_KEY = "dev-only-insecure-key-greenshell-do-not-use-in-production"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. "
            "For local development run `make run` (it sets DEBUG=true)."
        )
elif not DEBUG and SECRET_KEY.startswith("dev-only-insecure-key"):
    # The development key is public (it is in this file): production must never run on it.
    raise ImproperlyConfigured("SECRET_KEY is the public development key; set a long random one for production.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
PORT = env_int("PORT", 8000, minimum=1, maximum=65535)
# The public base URL printed inside QR codes. It must never change once labels are printed.
SITE_URL = env_url("SITE_URL", f"http://127.0.0.1:{PORT}")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Staff second factor (coop/services/twofactor.py): TOTP devices and recovery codes (static devices).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_prometheus",  # request counts and latencies for /metrics (quality/views/metrics.py)
    "coop",
    "orders",
    "quality",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # first: times the whole request
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): this session passed the second factor
    "coop.views.twofactor.SecondFactorMiddleware",  # the admin waits for the second factor where it is required
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "coop.lib.outage.DatabaseOutageMiddleware",  # it sees what the view raised
    "django_prometheus.middleware.PrometheusAfterMiddleware",  # last: counts the response by view and status
]

ROOT_URLCONF = "coop.urls"
WSGI_APPLICATION = "coop.wsgi.application"

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
                "coop.lib.context_processors.site",
                "coop.lib.context_processors.save_data",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    except Exception as exc:  # dj_database_url raises several types for a bad URL
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": BASE_DIR / env_str("SQLITE_NAME", "db.sqlite3"),
            "OPTIONS": {
                # Concurrent writers wait (up to 20 s) instead of failing with "database is locked";
                # IMMEDIATE takes the write lock at BEGIN so a read-then-write cannot deadlock.
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
# A read replica (a PostgreSQL streaming standby): the scan page, dashboards, reports and exports read
# from it; everything that writes or locks stays on the primary (coop/lib/replica.py, docs/DEPLOY.md
# "Scaling out"). Unset: one database, nothing routed.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    try:
        DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=60)
    except Exception as exc:
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URL is not a database URL: {exc}") from None
    if DATABASES["replica"]["ENGINE"] != DATABASES["default"]["ENGINE"]:
        raise ImproperlyConfigured("DATABASE_REPLICA_URL must name the same kind of database as DATABASE_URL.")
    DATABASE_ROUTERS = ["coop.lib.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

# --- Redis, cache, Celery -------------------------------------------------------------------
REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "gs"),
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    # No broker: tasks run in-process so a fresh clone needs no Redis.
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
# A task is acknowledged after it finished, so a worker killed mid-task leaves it for another
# worker; every task must therefore be safe to run twice (see docs/ARCHITECTURE.md).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# How long Redis keeps a taken-but-unacknowledged task (its worker died) before handing it out again.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
CELERY_TIMEZONE = "Asia/Shanghai"
# Queues, so that a label sheet of 2,000 boxes or a month's settlement never waits in front of a text
# telling a household it was paid: one worker may take all four queues (deploy/greenshell-worker.service),
# a bigger installation runs a worker per queue (docs/DEPLOY.md, "Scaling out"). Unlisted tasks (payments,
# timeouts, scans, the ping) stay on the default queue.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "quality.tasks.make_label_sheet": {"queue": "labels"},
    "coop.tasks.run_settlement": {"queue": "settlements"},
    "coop.tasks.send_notification": {"queue": "notifications"},
    "coop.notifications.requeue_stuck": {"queue": "notifications"},
    "quality.tasks.notify_recall_buyers": {"queue": "notifications"},
}
WORKER_QUEUES = ("celery", "notifications", "labels", "settlements")  # what `celery worker -Q` names (deploy files)


# Periodic work. Task names are pinned where each task is defined (beside its service), so this table and
# messages already queued survive code moves; tests/ops/test_layout.py checks every name here exists.
CELERY_BEAT_SCHEDULE = {
    # Resend notifications a dead worker or a failed first try left behind (coop/services/notifications.py).
    "notifications-requeue-stuck": {"task": "coop.notifications.requeue_stuck", "schedule": 300.0},
    # Unpaid orders are cancelled 30 minutes after placing; checking every minute keeps boxes
    # held at most ~31 minutes.
    "orders-cancel-unpaid": {"task": "orders.tasks.cancel_unpaid_orders", "schedule": 60.0},
    "orders-close-group-buys": {"task": "orders.tasks.close_due_group_buys", "schedule": 60.0},
    # Shipped orders the buyer never confirmed count as received after ORDER_AUTO_RECEIVE_DAYS (hourly is
    # plenty for a count of days).
    "orders-confirm-received": {"task": "orders.tasks.confirm_received_orders", "schedule": 3600.0},
    "orders-remind-pledges": {"task": "orders.tasks_programmes.remind_pledges", "schedule": 24 * 3600.0},
    "flush-scans": {"task": "quality.tasks.flush_scans", "schedule": 10.0},  # scan buffer → database
    "apply-due-penalties": {"task": "quality.tasks.apply_due_penalties", "schedule": 600.0},  # appeal windows
    # Yesterday's WeChat Pay trade bill against our payments and refunds (orders/services/payments/bills.py);
    # a no-op unless PAYMENT_PROVIDER=wechat. WeChat publishes the bill after 10:00 Beijing time.
    "orders-reconcile-trade-bill": {"task": "orders.tasks.reconcile_trade_bill",
                                    "schedule": crontab(hour=10, minute=30)},
    # Every published figure recomputed from the raw rows (quality/services/reconcile.py); at night, when
    # no one is taking in eggs, so the books do not move under the check.
    "reconcile": {"task": "quality.tasks.reconcile", "schedule": crontab(hour=2, minute=30)},
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"
# Staff land on their workbench after signing in (quality/views/workbench.py), unless a link asked for a page.
LOGIN_REDIRECT_URL = "/admin/workbench/"

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
# UI strings are written in Chinese in the code (the default language); locale/en holds English.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / env_str("STATIC_ROOT", "staticfiles")
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Where `manage.py backup` writes archives (docs/DEPLOY.md, "Backups"); never inside a served directory.
BACKUP_DIR = Path(env_str("BACKUP_DIR", str(BASE_DIR / "backups")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # MEDIA_ROOT/private/: photos of reports and after-sale requests, label sheets, agreements; only served
    # through views that check who asks (coop/lib/media.py, docs/DEPLOY.md "Private files").
    "private": {"BACKEND": "coop.lib.media.PrivateStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING
# Production: a checked private file is sent by nginx from its `internal` location (X-Accel-Redirect), not
# streamed through a gunicorn worker. Needs the location of deploy/nginx-greenshell.conf; off, Django streams.
PRIVATE_MEDIA_X_ACCEL = env_bool("PRIVATE_MEDIA_X_ACCEL", default=False)
PRIVATE_MEDIA_X_ACCEL_PREFIX = env_str("PRIVATE_MEDIA_X_ACCEL_PREFIX", "/media/private/")
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "coop.lib.drf.CachedTokenAuthentication",  # DRF's token, its look-up cached (coop/lib/drf.py)
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "coop.lib.drf.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "coop.lib.drf.FilterBackend",  # django-filter's, without its per-request class (coop/lib/drf.py)
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "coop.api.base.exception_handler",
    # JSON bodies must be objects: a list or a bare value is refused with 400 (not a crash in .get()).
    "DEFAULT_PARSER_CLASSES": ["coop.lib.drf.ObjectJSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_THROTTLE_RATES": {"anon": "120/min", "user": "600/min", "public_write": "20/min"},
}
# How long a token and its user are kept in the cache (coop/lib/drf.py): dropped at once when the token is
# revoked or the user changes; this bounds a change made behind the ORM's back (a bulk UPDATE). 0 = off.
API_TOKEN_CACHE_SECONDS = env_int("API_TOKEN_CACHE_SECONDS", 60, minimum=0)
SPECTACULAR_SETTINGS = {
    "TITLE": "Greenshell API",
    "DESCRIPTION": "高山散养绿壳鸡蛋合作社 — the collective's books, traceability and shop.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation documents the shared error answers (coop/api/base.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "coop.lib.drf.document_errors"],
    # Several models have a "status": name each choice set so the schema names stay stable.
    "ENUM_NAME_OVERRIDES": {
        "BatchStatusEnum": "coop.models.batches.Batch.STATUSES",
        "SettlementStatusEnum": "coop.models.ledger.Settlement.STATUSES",
    },
}

# --- Security (strict when DEBUG is off) ----------------------------------------------------
SESSION_COOKIE_AGE = 30 * 24 * 3600  # phones stay signed in for weeks
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and SITE_URL.startswith("https://"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# HSTS preload is a one-way commitment for the whole domain; the operator decides (DEPLOY.md).
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content security policy (django-csp): everything from our own origin, no inline script or style
# anywhere; pages keep JS in static/js/ and CSS in static/css/. The only exceptions are the fixed
# <style> blocks of two library pages (Django admin change list, Swagger UI), allowed by hash.
from csp.constants import NONE, SELF  # noqa: E402

from coop.lib.csp import inline_style_hashes  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, *inline_style_hashes()],
        "img-src": [SELF, "data:", "blob:"],  # data: for Swagger UI's icons, blob: for photo previews
        # blob: for the appeal's voice note played back on the phone before it is sent (static/js/voice-note.js)
        "media-src": [SELF, "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Staff sign-in lockout (coop/services/accounts.py; admin, programmes page, API token): N wrong passwords for
# one username from one address, and a ceiling for one username from every address, in the same window.
LOGIN_LOCKOUT_FAILURES = env_int("LOGIN_LOCKOUT_FAILURES", 5, minimum=1)
LOGIN_LOCKOUT_USERNAME_FAILURES = env_int("LOGIN_LOCKOUT_USERNAME_FAILURES", 20, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)

# Behind nginx: the META key of the header carrying the client address (HTTP_X_REAL_IP). Empty = REMOTE_ADDR.
CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER", "")

# --- Greenshell -----------------------------------------------------------------------------
# Test-only switch used by the concurrency tests and the flash-sale benchmark to show that the
# race is real without locks. Never set it in production.
GREENSHELL_LOCKING = env_bool("GREENSHELL_LOCKING", True)
# Seconds a transaction waits for a row/advisory lock before answering "busy, try again".
GREENSHELL_LOCK_TIMEOUT = env_int("GREENSHELL_LOCK_TIMEOUT", 5, minimum=1)
# The sold-out figure (orders/services/stock.py): a cached "0 left" refuses a sale without the lock.
# Its lifetime bounds how long a figure wrongly 0 could refuse; every stock write refreshes it sooner.
GREENSHELL_STOCK_CACHE = env_bool("GREENSHELL_STOCK_CACHE", True)
GREENSHELL_STOCK_CACHE_SECONDS = env_int("GREENSHELL_STOCK_CACHE_SECONDS", 5, minimum=1, maximum=60)
NOTIFICATION_CHANNEL = env_str("NOTIFICATION_CHANNEL", "console")
# The SMS provider of the "sms" channel (coop/services/sms.py, docs/PAYMENTS.md "短信"): "local" (a faithful
# fake that sends nothing), "tencent" (Tencent Cloud SMS), "aliyun" (Alibaba Cloud SMS), or a dotted path.
SMS_PROVIDER = env_str("SMS_PROVIDER", "local")
# The signature (签名, without 【】) and one registered template id per kind of message (coop/services/sms.py
# TEMPLATES): China's carriers deliver only approved templates, our values filling their variables.
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "")
SMS_TEMPLATES = {
    "login_code": env_str("SMS_TEMPLATE_LOGIN_CODE", ""),
    "delivery_receipt": env_str("SMS_TEMPLATE_DELIVERY_RECEIPT", ""),
    "settlement_paid": env_str("SMS_TEMPLATE_SETTLEMENT_PAID", ""),
    "settlement_owed": env_str("SMS_TEMPLATE_SETTLEMENT_OWED", ""),
    "hygiene_award": env_str("SMS_TEMPLATE_HYGIENE_AWARD", ""),
    "penalty_notified": env_str("SMS_TEMPLATE_PENALTY_NOTIFIED", ""),
    "penalty_update": env_str("SMS_TEMPLATE_PENALTY_UPDATE", ""),
    "appeal_update": env_str("SMS_TEMPLATE_APPEAL_UPDATE", ""),
    "order_status": env_str("SMS_TEMPLATE_ORDER_STATUS", ""),
    "order_pickup": env_str("SMS_TEMPLATE_ORDER_PICKUP", ""),
    "batch_recalled": env_str("SMS_TEMPLATE_BATCH_RECALLED", ""),
    "pledge_reminder": env_str("SMS_TEMPLATE_PLEDGE_REMINDER", ""),
    "report_decided": env_str("SMS_TEMPLATE_REPORT_DECIDED", ""),
}
# A template variable's longest value: carriers refuse longer ones (Tencent's rule for your account type,
# Aliyun's 35); the full text is on the household's /farmer/notifications/ page.
SMS_PARAM_MAX_CHARS = env_int("SMS_PARAM_MAX_CHARS", 20, minimum=6)
# Tencent Cloud SMS (SMS_PROVIDER=tencent): the API key pair (访问管理 → API 密钥), the SMS application's
# SdkAppId and the region. The endpoint changes only in tests (a local fake); "http://" switches the scheme.
SMS_TENCENT_SECRET_ID = env_str("SMS_TENCENT_SECRET_ID", "")
SMS_TENCENT_SECRET_KEY = env_str("SMS_TENCENT_SECRET_KEY", "")
SMS_TENCENT_SDK_APP_ID = env_str("SMS_TENCENT_SDK_APP_ID", "")
SMS_TENCENT_REGION = env_str("SMS_TENCENT_REGION", "ap-guangzhou")
SMS_TENCENT_ENDPOINT = env_str("SMS_TENCENT_ENDPOINT", "sms.tencentcloudapi.com")
# Alibaba Cloud SMS (SMS_PROVIDER=aliyun): a RAM user's AccessKey with AliyunDysmsFullAccess (or SendSms only).
SMS_ALIYUN_ACCESS_KEY_ID = env_str("SMS_ALIYUN_ACCESS_KEY_ID", "")
SMS_ALIYUN_ACCESS_KEY_SECRET = env_str("SMS_ALIYUN_ACCESS_KEY_SECRET", "")
SMS_ALIYUN_ENDPOINT = env_str("SMS_ALIYUN_ENDPOINT", "dysmsapi.aliyuncs.com")
# Seconds to wait for either provider before the send counts as failed (and is retried).
SMS_TIMEOUT_SECONDS = env_int("SMS_TIMEOUT_SECONDS", 10, minimum=1)
# Texts cost the collective money (coop/services/notifications.py spend_sms_allowance): counted before sending.
SMS_PER_PHONE_HOUR = env_int("SMS_PER_PHONE_HOUR", 5, minimum=1)
SMS_PER_ADDRESS_HOUR = env_int("SMS_PER_ADDRESS_HOUR", 10, minimum=1)
SMS_DAILY_BUDGET = env_int("SMS_DAILY_BUDGET", 300, minimum=0)  # per cooperative, per day
SMS_PLATFORM_DAILY_BUDGET = env_int("SMS_PLATFORM_DAILY_BUDGET", 1000, minimum=0)  # buyer sign-in codes, per day
# Anonymous bad-egg reports (quality/services/reports.py): (per client, per batch, window in seconds).
CHARTER_REPORT_LIMITS = (5, 30, 3600)
# Share posters (orders/services/posters.py): a CJK font file; empty = the first Debian CJK font installed.
POSTER_FONT = env_str("POSTER_FONT", "")

# --- Payments (orders/services/payments/) ---------------------------------------------------
# A demo site: buyers "pay" through the sandbox and every shop page says no money is taken. The only
# way to run the sandbox with DEBUG off; tests run as a demo unless a test switches it off.
DEMO_MODE = env_bool("DEMO_MODE", TESTING)

# The second factor (coop/services/twofactor.py, docs/DEPLOY.md "Second factor"). Required for the staff who
# move money (managers and the platform operator) unless switched off: on by default in production, off
# under DEBUG, on a demo site and in tests, so `make run` and the demo users still sign in with a password
# alone (they may enrol; tests that switch it on prove the refusals).
STAFF_2FA_REQUIRED = env_bool("STAFF_2FA_REQUIRED", not (DEBUG or TESTING or DEMO_MODE))
OTP_VERIFY_FAILURES = env_int("OTP_VERIFY_FAILURES", 5, minimum=1)  # wrong codes per person in the window
OTP_VERIFY_MINUTES = env_int("OTP_VERIFY_MINUTES", 15, minimum=1)
OTP_TOTP_ISSUER = "绿壳蛋合作社"  # the name the authenticator app shows beside the code
# django-otp's own throttle is read-then-write on the device row (a burst reads the same count); ours is
# counted in the cache before any code is checked (coop/lib/ratelimit.py), so theirs is switched off.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
# The provider buyers pay with online: "sandbox" (the local WeChat-shaped platform, no money moves) or
# "wechat". Unset with DEBUG off: no online payment — managers record transfers (offline payments).
# After-sale (orders/services/aftersale.py): a shipped order counts as received this many days after it was
# shipped if the buyer never pressed 确认收货 (WeChat shops use 7–10), and an after-sale request may be made
# up to this many days after receipt.
ORDER_AUTO_RECEIVE_DAYS = env_int("ORDER_AUTO_RECEIVE_DAYS", 7, minimum=1)
AFTERSALE_WINDOW_DAYS = env_int("AFTERSALE_WINDOW_DAYS", 15, minimum=1)
PAYMENT_PROVIDER = env_str("PAYMENT_PROVIDER", "sandbox" if DEBUG or TESTING else "")
if PAYMENT_PROVIDER == "sandbox" and not (DEBUG or DEMO_MODE):
    # Fake money in production is the failure this stops: the sandbox marks orders paid with nothing paid.
    raise ImproperlyConfigured(
        "PAYMENT_PROVIDER=sandbox moves no money; with DEBUG off it runs only on a demo site (DEMO_MODE=true). "
        "Use PAYMENT_PROVIDER=wechat for real payments, or leave it unset to take offline payments only."
    )
# The sandbox platform's RSA key file (empty = a file in the system temp dir named after SECRET_KEY)
# and its 32-byte APIv3 key (empty = derived from SECRET_KEY).
WECHATPAY_SANDBOX_KEY_FILE = env_str("WECHATPAY_SANDBOX_KEY_FILE", "")
WECHATPAY_SANDBOX_APIV3_KEY = env_str("WECHATPAY_SANDBOX_APIV3_KEY", "")
# The real WeChat Pay merchant (only with PAYMENT_PROVIDER=wechat; see orders/services/payments/wechat.py).
WECHATPAY_MCHID = env_str("WECHATPAY_MCHID", "")
WECHATPAY_APPID = env_str("WECHATPAY_APPID", "")
WECHATPAY_APIV3_KEY = env_str("WECHATPAY_APIV3_KEY", "")
WECHATPAY_CERT_SERIAL = env_str("WECHATPAY_CERT_SERIAL", "")
WECHATPAY_PRIVATE_KEY_FILE = env_str("WECHATPAY_PRIVATE_KEY_FILE", "")
WECHATPAY_PLATFORM_CERT_FILE = env_str("WECHATPAY_PLATFORM_CERT_FILE", "")
# Public-key mode (merchants opened since 2024 get a WeChat Pay public key instead of platform certificates):
# the key's id (PUB_KEY_ID_...); empty = WECHATPAY_PLATFORM_CERT_FILE holds a platform certificate.
WECHATPAY_PUBLIC_KEY_ID = env_str("WECHATPAY_PUBLIC_KEY_ID", "")
# Where the APIv3 requests go. Only tests and a developer's local APIv3 server change it
# (orders/services/payments/apiv3_local.py); production keeps WeChat's own address.
WECHATPAY_GATEWAY = env_url("WECHATPAY_GATEWAY", "https://api.mch.weixin.qq.com")

# --- WeChat official account (orders/services/wechat/): sign-in (网页授权) and sharing (JS-SDK) ------------
# Both empty = no real WeChat sign-in: the sandbox's imitation on a DEBUG or demo site, none in production.
WECHAT_APPID = env_str("WECHAT_APPID", "")
WECHAT_APP_SECRET = env_str("WECHAT_APP_SECRET", "")
# WeChat's addresses. Only tests and a developer's fake (orders/services/wechat/local.py) change them.
WECHAT_API_BASE = env_url("WECHAT_API_BASE", "https://api.weixin.qq.com")
WECHAT_OPEN_BASE = env_url("WECHAT_OPEN_BASE", "https://open.weixin.qq.com")
if bool(WECHAT_APPID) != bool(WECHAT_APP_SECRET):
    raise ImproperlyConfigured("WECHAT_APPID and WECHAT_APP_SECRET go together (docs/PAYMENTS.md)")
# The "wechat" notification channel (coop/services/notifications.py, docs/PAYMENTS.md "微信模板消息"): the id of
# the template added in the official account (模板消息 → 模板库), and its three field keys in the order
# title, time, summary (the keys the template's detail page shows as {{thing1.DATA}} …).
WECHAT_TEMPLATE_NOTICE = env_str("WECHAT_TEMPLATE_NOTICE", "")
WECHAT_TEMPLATE_NOTICE_KEYS = env_list("WECHAT_TEMPLATE_NOTICE_KEYS", ["thing1", "time2", "thing3"])
if len(WECHAT_TEMPLATE_NOTICE_KEYS) != 3:
    raise ImproperlyConfigured("WECHAT_TEMPLATE_NOTICE_KEYS takes three keys: title, time, summary "
                               "(e.g. thing1,time2,thing3; docs/PAYMENTS.md)")

# Ordered demo seeders: coop first, then apps that build on it.
DEMO_SEEDERS = ["coop.demo.seed", "quality.demo.seed", "orders.demo.seed", "coop.demo.seed_household_logins"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# /metrics for Prometheus (quality/views/metrics.py): answered to a bearer token or an allowed address only.
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", [])
# Several processes (gunicorn workers, Celery workers) on one machine share their counters through this
# directory (prometheus_client's multiprocess mode; it reads the same variable itself). Unset: one process.
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR", "")

# Error reporting to Sentry (or a self-hosted Sentry / GlitchTip) when SENTRY_DSN is set; nothing is sent, and
# the SDK is not even imported, without it. No personal data: no user, cookies or address (send_default_pii
# off) and no request bodies, which carry PINs, codes and payout accounts that Sentry's scrubber would not
# recognise by name. Django and Celery errors are reported by the SDK's integrations, enabled by default.
SENTRY_DSN = env_url("SENTRY_DSN", "", schemes=("https", "http"))
if SENTRY_DSN:
    import sentry_sdk  # here: only a site that reports errors loads the SDK

    sentry_sdk.init(dsn=SENTRY_DSN, environment=env_str("SENTRY_ENVIRONMENT", "production"),
                    send_default_pii=False, max_request_body_size="never", traces_sample_rate=0)
