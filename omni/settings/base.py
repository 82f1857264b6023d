"""Settings shared by every environment; each value that differs between machines comes from
the environment (12-factor), read with django-environ."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONCE

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # modeltranslation patches the admin, so it must come before it.
    "modeltranslation",
    "accounts.apps.AdminConfig",  # django.contrib.admin, its login throttled
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "treebeard",
    "django_countries",
    "omni",
    "accounts",
    "sales_channels",
    "catalog",
    "inventory",
    "orders",
    "customers",
    "payments",
    "campaigns",
    "storefront",
    "staff",
    "marketplaces",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy and Permissions-Policy on every response (see below).
    "omni.csp.CSPMiddleware",
    # Before the policy's middleware, so it sees the header: the camera under /staff/ only.
    "staff.middleware.StaffCameraPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "omni.guard.RequestGuardMiddleware",  # NUL refused; every error under /api/ is JSON
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "omni.urls"
WSGI_APPLICATION = "omni.wsgi.application"

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
                "csp.context_processors.nonce",  # {{ CSP_NONCE }}
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The embedded default is shared by the web server and the Celery worker: wait for the
    # write lock instead of failing at once, and take it at BEGIN so a reader never has to
    # upgrade (which SQLite answers with "database is locked").
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)


def postgres_prepared(database: dict) -> None:
    """Bind parameters on the server and prepare a statement from its second run on a
    connection: PostgreSQL then plans each of the hot queries once per connection instead of
    on every call, which lowers a checkout's database CPU (the figures: README, "Benchmarks",
    measured by bench/checkout.py). DJANGO_DB_PREPARED=false turns it off, e.g. behind a
    PgBouncer older than 1.21 in transaction mode, which cannot keep prepared statements."""
    if database["ENGINE"].endswith("postgresql") and env.bool("DJANGO_DB_PREPARED", default=True):
        database.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=2)


postgres_prepared(DATABASES["default"])


def postgres_search(database: dict) -> None:
    """Set pg_trgm's word-similarity threshold on each connection at start-up (no extra
    round trip) to omni.search's, which the typo-forgiving search and its Python twin on
    SQLite share."""
    if not database["ENGINE"].endswith("postgresql"):
        return
    options = database.setdefault("OPTIONS", {})
    setting = "-c pg_trgm.word_similarity_threshold=0.5"  # omni.search.WORD_SIMILARITY_THRESHOLD
    options["options"] = f"{options.get('options', '')} {setting}".strip()


postgres_search(DATABASES["default"])

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Turkish first, English second.
LANGUAGE_CODE = "tr"
LANGUAGES = [("tr", "Türkçe"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Istanbul"
USE_I18N = True
USE_TZ = True

MODELTRANSLATION_DEFAULT_LANGUAGE = "tr"
MODELTRANSLATION_LANGUAGES = ("tr", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("tr", "en")

STATIC_URL = "static/"
# The storefront's CSS and the vendored htmx (no CDN, no JavaScript build step).
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static"))
# Files browsers ask for at the site's root (/favicon.ico), served by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "public"
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def default_cache_url(redis_url: str) -> str:
    """The sign-in throttles (accounts/throttle.py) count in the cache, so every web process
    must share it: CACHE_URL wins; else REDIS_URL's server on the next database number (the
    broker keeps its own); else files in var/cache, which the processes of one machine share and
    a restart keeps (`make run`)."""
    from urllib.parse import urlsplit, urlunsplit

    if not redis_url:
        return f"filecache://{VAR_DIR / 'cache'}"
    parts = urlsplit(redis_url)
    db = parts.path.strip("/")
    number = int(db) if db.isdigit() else 0
    return urlunsplit(parts._replace(path=f"/{(number + 1) % 16}"))


CACHES = {
    "default": env.cache("CACHE_URL", default=default_cache_url(env("REDIS_URL", default="")))
}
# Trusted proxies in front of the app server (each appends to X-Forwarded-For): the client's
# address is the Nth entry from the right; 0 means none and REMOTE_ADDR (omni/client_address.py).
OMNI_TRUSTED_PROXY_COUNT = env.int("OMNI_TRUSTED_PROXY_COUNT", default=0)
# Overrides of the sign-in, sign-up and password-reset rates by scope (accounts/throttle.py),
# e.g. OMNI_THROTTLE_RATES=sign-in.account-address=10/15m,sign-up.address=20/h
OMNI_THROTTLE_RATES = env.dict("OMNI_THROTTLE_RATES", default={})

# --- Celery -----------------------------------------------------------------------------
# REDIS_URL is the usual way to point at Redis; CELERY_BROKER_URL wins when both are set.
# Without either, the broker is kombu's filesystem transport: no server to run.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Tasks are acknowledged late: a message not acknowledged within this window is handed
    # to another worker, so no task may run (or wait with an ETA) longer than this.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_ACKS_LATE = True
# Celery's Django fix-up closes every database connection around each task unless this is
# set; omni/celery.py applies Django's CONN_MAX_AGE rule instead (the fix-up still closes
# them once per this many tasks).
CELERY_DB_REUSE_MAX = 10_000
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 90
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker outlives any broker outage: it retries for ever (Celery's default gives up after
# 100 attempts, about 45 minutes), and its consumer counts kombu's OperationalError, raised
# when the broker goes away while the consumer starts, as a lost connection (omni/celery.py).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CONSUMER = "omni.celery:Consumer"
# Channel sync (sales_channels): retries for at least 72 hours (as Stripe does), then a dead
# letter; relayed outbox events and delivered deliveries are kept this many days.
OMNI_SYNC_RETRY_HOURS = env.float("OMNI_SYNC_RETRY_HOURS", default=72.0)
OMNI_SYNC_BACKOFF_BASE_SECONDS = 5.0
OMNI_SYNC_BACKOFF_MAX_SECONDS = 3600.0
OMNI_SYNC_FAILING_AFTER = 10  # failures in a row that flag an endpoint as failing
OMNI_SYNC_LEASE_MARGIN_SECONDS = 30.0  # a dead sender's deliveries are retried after this
OMNI_OUTBOX_KEEP_DAYS = env.int("OMNI_OUTBOX_KEEP_DAYS", default=7)
OMNI_SYNC_DELIVERED_KEEP_DAYS = env.int("OMNI_SYNC_DELIVERED_KEEP_DAYS", default=7)
# Outgoing webhooks go over https to public addresses only (sales_channels/connectors/
# addresses.py); true lets them use plain http and reach loopback and private networks, for
# development and tests only: production settings force it off.
OMNI_WEBHOOK_ALLOW_PRIVATE = env.bool("OMNI_WEBHOOK_ALLOW_PRIVATE", default=False)
# KVKK retention, in days, per category of personal data (customers.retention; README,
# "Periodic destruction"): e.g. OMNI_KVKK_RETENTION_DAYS=guest_carts=60,behaviour_timeline=365.
# A category not named keeps its documented default; the destruction log's 3 years are fixed.
OMNI_KVKK_RETENTION_DAYS = {
    key: int(value) for key, value in env.dict("OMNI_KVKK_RETENTION_DAYS", default={}).items()
}
CELERY_BEAT_SCHEDULE: dict = {
    "sales-channels-sync-sweep": {
        "task": "sales_channels.tasks.sync_sweep",
        "schedule": 5.0,
        "options": {"expires": 5.0},  # a sweep that waited longer is superseded by the next
    },
    "sales-channels-sync-prune": {
        "task": "sales_channels.tasks.sync_prune",
        "schedule": 3600.0,
    },
    "sales-channels-relay-consumers-retry": {
        "task": "sales_channels.tasks.relay_consumers_retry",
        "schedule": 60.0,
    },
    "sales-channels-resyncs-pending": {
        "task": "sales_channels.tasks.channel_resyncs_pending",
        "schedule": 300.0,
    },
    "inventory-reservations-expire": {
        "task": "inventory.tasks.reservations_expire",
        "schedule": 60.0,
    },
    "inventory-availability-refresh-pending": {
        "task": "inventory.tasks.availability_refresh_pending",
        "schedule": 60.0,
    },
    "inventory-low-stock-notify-pending": {
        "task": "inventory.tasks.low_stock_notify_pending",
        "schedule": 300.0,
    },
    "orders-notifications-send-pending": {
        "task": "orders.tasks.notifications_send_pending",
        "schedule": 60.0,
    },
    "orders-unpaid-expire": {
        "task": "orders.tasks.orders_unpaid_expire",
        "schedule": 300.0,
    },
    "orders-pickups-expire": {
        "task": "orders.tasks.pickups_expire",
        "schedule": 3600.0,
    },
    # A promotion window opening or closing re-prices the channels' sale prices.
    "campaigns-promotion-windows-sweep": {
        "task": "campaigns.tasks.promotion_windows_sweep",
        "schedule": 60.0,
    },
    "marketplaces-trendyol-batches-poll": {
        "task": "marketplaces.tasks.trendyol_batches_poll",
        "schedule": 10.0,
    },
    "marketplaces-trendyol-packages-import": {
        "task": "marketplaces.tasks.trendyol_packages_import",
        "schedule": 60.0,
    },
    "payments-refunds-process-pending": {
        "task": "payments.tasks.refunds_process_pending",
        "schedule": 120.0,
    },
    "payments-releases-process-pending": {
        "task": "payments.tasks.releases_process_pending",
        "schedule": 120.0,
    },
    "payments-gift-card-pins-send-pending": {
        "task": "payments.tasks.gift_card_pins_send_pending",
        "schedule": 300.0,
    },
    "payments-gift-cards-expire-due": {
        "task": "payments.tasks.gift_cards_expire_due",
        "schedule": 3600.0,
    },
    "payments-link-sends-pending": {
        "task": "payments.tasks.link_sends_pending",
        "schedule": 300.0,
    },
    "customers-consents-push-pending": {
        "task": "customers.tasks.consents_push_pending",
        "schedule": 300.0,
    },
    "customers-data-requests-pending": {
        "task": "customers.tasks.data_requests_pending",
        "schedule": 600.0,
    },
    "customers-segments-refresh": {
        "task": "customers.tasks.segments_refresh",
        "schedule": 60.0,
    },
    "customers-segments-recompute-all": {
        "task": "customers.tasks.segments_recompute_all",
        "schedule": 3600.0,
    },
    "customers-loyalty-mature-due": {
        "task": "customers.tasks.loyalty_mature_due",
        "schedule": 3600.0,
    },
    "customers-loyalty-expire-due": {
        "task": "customers.tasks.loyalty_expire_due",
        "schedule": 3600.0,
    },
    "customers-loyalty-tiers-refresh": {
        "task": "customers.tasks.loyalty_tiers_refresh",
        "schedule": 86400.0,
    },
    # KVKK periodic destruction (customers.retention): the law asks for a run at least every
    # 6 months; monthly keeps each run small. 03:30 on the 1st, out of shopping hours.
    "customers-kvkk-destroy": {
        "task": "customers.tasks.kvkk_destroy",
        "schedule": crontab(minute=30, hour=3, day_of_month=1),
    },
    "customers-consents-pull": {
        "task": "customers.tasks.consents_pull",
        "schedule": 900.0,
    },
    "customers-metrics-pending": {
        "task": "customers.tasks.customer_metrics_pending",
        "schedule": 120.0,
    },
    "customers-metrics-recompute-all": {
        "task": "customers.tasks.customer_metrics_recompute_all",
        "schedule": crontab(hour=3, minute=30),  # nightly, Europe/Istanbul
        "options": {"expires": 3600.0},
    },
    "accounts-device-tokens-prune": {
        "task": "accounts.tasks.device_tokens_prune",
        "schedule": 86400.0,
    },
}

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "customers.api.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "omni.api.pagination.PageNumberPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "omni.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "omni.api.exceptions.exception_handler",
    # JSON through omni.safejson: too deep or with a NUL character, a 400 before any view runs.
    "DEFAULT_PARSER_CLASSES": [
        "omni.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": True,
}

# API tokens: one per signed-in device (accounts.DeviceToken, django-rest-knox's hashed token),
# ending after OMNI_TOKEN_TTL_DAYS without use, each use sliding it (written at most once a
# MIN_REFRESH_INTERVAL), and after OMNI_TOKEN_MAX_TTL_DAYS since the sign-in however used (0:
# never). omni.api.auth reads these.
KNOX_TOKEN_MODEL = "accounts.DeviceToken"  # noqa: S105 (a model, no secret)
OMNI_TOKEN_TTL_DAYS = env.int("OMNI_TOKEN_TTL_DAYS", default=30)
OMNI_TOKEN_MAX_TTL_DAYS = env.int("OMNI_TOKEN_MAX_TTL_DAYS", default=365)
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=OMNI_TOKEN_TTL_DAYS),
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": (
        timedelta(days=OMNI_TOKEN_MAX_TTL_DAYS) if OMNI_TOKEN_MAX_TTL_DAYS else None
    ),
    "MIN_REFRESH_INTERVAL": 60,
    "AUTH_HEADER_PREFIX": "Token",
}
# knox's own token model is swapped for accounts.DeviceToken: its migrations would only create
# a table nothing uses.
MIGRATION_MODULES = {"knox": None}

SPECTACULAR_SETTINGS = {
    "TITLE": "Omni API",
    "DESCRIPTION": (
        "One business on every channel. Shopper endpoints read the catalog of one sales channel "
        "chosen per request (`?channel=`); merchant endpoints under `/api/v1/admin/` need a token "
        "(`Authorization: Token <key>`) and the matching Django permission. Every error has the "
        'shape `{"code", "message", "fields"}`.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "/favicon.ico",  # the shop's (public/, WHITENOISE_ROOT)
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "LanguageEnum": LANGUAGES,
        "OrderStatusEnum": "orders.models.Order.Status",
        "OrderDeliveryEnum": "orders.models.Order.Delivery",
        # What a shopper may choose (no ship from store: staff only).
        "ShopperDeliveryEnum": "orders.api.serializers.SHOPPER_DELIVERY_CHOICES",
        "FulfilmentStatusEnum": "orders.models.Fulfilment.Status",
        "PaymentStatusEnum": "payments.models.Payment.Status",
        "PaymentKindEnum": "payments.models.Payment.Kind",
        "PaymentTransactionKindEnum": "payments.models.PaymentTransaction.Kind",
        "PaymentTransactionStatusEnum": "payments.models.PaymentTransaction.Status",
        "RefundStatusEnum": "payments.models.Refund.Status",
        "RefundDestinationEnum": "payments.models.Refund.Destination",
        "StoreCreditEntryKindEnum": "payments.models.StoreCreditEntry.Kind",
        "GiftCardStatusEnum": "payments.models_gift_cards.GiftCard.Status",
        "GiftCardSourceEnum": "payments.models_gift_cards.GiftCard.Source",
        "GiftCardEntryKindEnum": "payments.models_gift_cards.GiftCardEntry.Kind",
        "ConsentTypeEnum": "customers.models.ConsentType",
        "ConsentStatusEnum": "customers.models.ConsentStatus",
        "ConsentSourceEnum": "customers.models.ConsentSource",
        "RecipientTypeEnum": "customers.models.RecipientType",
        "DataRequestKindEnum": "customers.models.DataRequestKind",
        "IdentityClaimKindEnum": "customers.models.CLAIM_KINDS",
        "IdentityKindEnum": "customers.models.IdentityKind",
        "DataRequestStatusEnum": "customers.models.DataRequestStatus",
        "PromotionKindEnum": "campaigns.models.Promotion.Kind",
        "PromotionTargetEnum": "campaigns.models.Promotion.Target",
        "PromotionStackingEnum": "campaigns.models.Promotion.Stacking",
        "PromotionStatusEnum": "campaigns.selectors.Status",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- Content-Security-Policy and Permissions-Policy -------------------------------------------
# Scripts and styles come from Omni's own static files only: no inline script, no inline style
# without the page's nonce (templates use none; Swagger UI's one <style> carries it), no eval
# (htmx runs with allowEval off). Forms post to Omni and the payment providers' pages
# (omni/csp.py); a page of a provider's own HTML gets its own policy (payments/pages.py).
# Images may be data: URIs (Swagger UI's icons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", NONCE],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        # The staff screens' service worker (staff/offline), from Omni itself.
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# More origins a form may send the browser to (a payment provider's 3-D Secure page), besides
# Omni and OMNI_TEST_GATEWAY_URL.
OMNI_CSP_FORM_ACTION = env.list("OMNI_CSP_FORM_ACTION", default=[])
# No page uses these browser features; the payment page is Omni's own card form, not the
# Payment Request API. Only features browsers recognise: Chromium logs a console error for any
# other (it did for "bluetooth"); tests/e2e/test_shop_frame.py keeps the console clean.
PERMISSIONS_POLICY: dict[str, list] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# Omni's own knobs.
OMNI_DEFAULT_CHANNEL = env("OMNI_DEFAULT_CHANNEL", default="web")
OMNI_PRICE_HISTORY_DAYS = 30
OMNI_ORDER_PREFIX = env("OMNI_ORDER_PREFIX", default="ME")
# The promotions hook of the one pricing function (orders.pricing).
OMNI_DISCOUNT_PROVIDER = "campaigns.engine.benefits"
# An order waiting for its payment this long is cancelled and its stock released.
OMNI_UNPAID_ORDER_MINUTES = env.int("OMNI_UNPAID_ORDER_MINUTES", default=60)
# How long a process keeps the channels' stock configuration (which locations each channel
# sells from, safety stocks) before reading it again; a change made in the same process
# applies at once.
OMNI_STOCK_CONFIG_SECONDS = env.int("OMNI_STOCK_CONFIG_SECONDS", default=5)
# How long a process keeps a channel it has looked up by code (every shopper request does).
OMNI_CHANNEL_CACHE_SECONDS = env.int("OMNI_CHANNEL_CACHE_SECONDS", default=5)

# Payments. Where providers reach us (webhooks, 3-D Secure return pages); the fake card provider
# behind the "test" gateway (payments/fake_provider.py; `make run` starts it) and its secrets.
# The test gateway is off unless allowed; local and test settings allow it with public
# development secrets, production only when OMNI_ALLOW_TEST_GATEWAY=true, with secrets of its own.
OMNI_PUBLIC_URL = env("OMNI_PUBLIC_URL", default="http://127.0.0.1:8000")
# Shoppers' e-mails come from the retailer's address (sales_channels.Retailer.email_from, set in
# the admin); this one only until it is set, and for mail to staff.
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Omni <noreply@localhost>")
OMNI_ALLOW_TEST_GATEWAY = env.bool("OMNI_ALLOW_TEST_GATEWAY", default=False)
OMNI_TEST_GATEWAY_URL = env("OMNI_TEST_GATEWAY_URL", default="http://127.0.0.1:8765")
OMNI_TEST_GATEWAY_API_KEY = env("OMNI_TEST_GATEWAY_API_KEY", default="")
OMNI_TEST_GATEWAY_SECRET = env("OMNI_TEST_GATEWAY_SECRET", default="")
# On: a gateway whose secrets are missing, short or published is never built (omni.secrets;
# payments.selectors.gateway_build). Local and test settings turn it off for their dev secrets.
OMNI_REFUSE_WEAK_GATEWAY_SECRETS = True
# Every admin page warns that the test gateway is on (production sets it when it allows it).
OMNI_TEST_GATEWAY_WARNING = False
# A signed webhook older or newer than this (seconds) is refused.
OMNI_WEBHOOK_TOLERANCE_SECONDS = env.int("OMNI_WEBHOOK_TOLERANCE_SECONDS", default=300)
# Per-gateway defaults under each channel's own configuration ({"code": {...}}).
OMNI_PAYMENT_GATEWAYS: dict = {}
# iyzico's merchant keys (a channel's own configuration may override them); the secret key also
# verifies iyzico's notifications. Production: IYZICO_BASE_URL=https://api.iyzipay.com.
OMNI_PAYMENT_GATEWAYS["iyzico"] = {
    "api_key": env("IYZICO_API_KEY", default=""),
    "secret_key": env("IYZICO_SECRET_KEY", default=""),
    "base_url": env("IYZICO_BASE_URL", default="https://sandbox-api.iyzipay.com"),
}
# Pay-by-link: how long a link can be paid, and who sends SMS ("console" prints them,
# "memory" keeps them for tests, or the dotted path of a omni.messaging.MessageProvider).
OMNI_PAYMENT_LINK_HOURS = env.int("OMNI_PAYMENT_LINK_HOURS", default=24)
# Gift cards (payments.services.gift_cards). How many days a card lives from its issue (0:
# never expires): three years by default, the conservative choice while Turkish law names no
# period of its own (README, "Gift cards"; the merchant confirms it with counsel). A refund onto
# an expired card opens it again for OMNI_GIFT_CARD_REFUND_DAYS.
OMNI_GIFT_CARD_VALIDITY_DAYS = env.int("OMNI_GIFT_CARD_VALIDITY_DAYS", default=1095)
OMNI_GIFT_CARD_REFUND_DAYS = env.int("OMNI_GIFT_CARD_REFUND_DAYS", default=90)
OMNI_GIFT_CARD_CURRENCIES = env.list("OMNI_GIFT_CARD_CURRENCIES", default=["TRY"])
OMNI_GIFT_CARD_MAX_AMOUNT = env.int("OMNI_GIFT_CARD_MAX_AMOUNT", default=50000)
OMNI_SMS_PROVIDER = env("OMNI_SMS_PROVIDER", default="console")
# IYS (İleti Yönetim Sistemi), where commercial-message consents are registered (customers.iys).
# Off: decisions are kept and wait as pending, nothing is sent; production then refuses an empty
# or loopback IYS_BASE_URL (tests use a local fake server). Production: https://api.iys.org.tr.
IYS_ENABLED = env.bool("IYS_ENABLED", default=False)
IYS_BASE_URL = env("IYS_BASE_URL", default="")
IYS_USERNAME = env("IYS_USERNAME", default="")
IYS_PASSWORD = env("IYS_PASSWORD", default="")
IYS_CODE = env("IYS_CODE", default="")
IYS_BRAND_CODE = env("IYS_BRAND_CODE", default="")
# Tasks outside an app's tasks.py (the payment-link sender lives with its service).
CELERY_IMPORTS = ("payments.links",)

# WhiteNoise warns at start-up when the collected static folder does not exist yet.
Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)
