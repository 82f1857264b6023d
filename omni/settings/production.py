"""Production: secrets and hosts must come from the environment; refuses to start without."""

from django.core.exceptions import ImproperlyConfigured

from omni.secrets import MIN_SECRET_LENGTH, secret_problem

from .base import *

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters in production"
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must name the hosts Omni answers for")
# The sign-in throttles count in the cache: one kept per process (or per machine) would let each
# gunicorn worker or server allow the full count again, and reset on restart.
if CACHES["default"]["BACKEND"].rsplit(".", 1)[-1] in (
    "LocMemCache",
    "DummyCache",
    "FileBasedCache",
):
    raise ImproperlyConfigured(
        "Production needs a shared cache for its sign-in throttles: set REDIS_URL (the cache then "
        "uses its server's next database) or CACHE_URL (redis://, memcache:// or a database cache)"
    )

# Payment gateways: every secret of an enabled gateway must be long and not one published in
# the repository (omni.secrets), or production does not start. The test gateway is enabled only
# by OMNI_ALLOW_TEST_GATEWAY=true (and then every admin page says so); iyzico once either of its
# keys is set. Secrets kept in a channel's own configuration are checked where a gateway is
# built (payments.selectors.gateway_build) and by `check --deploy`.
OMNI_REFUSE_WEAK_GATEWAY_SECRETS = True
OMNI_TEST_GATEWAY_WARNING = OMNI_ALLOW_TEST_GATEWAY
_payment_secrets = {}
if OMNI_ALLOW_TEST_GATEWAY:
    _payment_secrets["OMNI_TEST_GATEWAY_API_KEY"] = OMNI_TEST_GATEWAY_API_KEY
    _payment_secrets["OMNI_TEST_GATEWAY_SECRET"] = OMNI_TEST_GATEWAY_SECRET
if OMNI_PAYMENT_GATEWAYS["iyzico"]["api_key"] or OMNI_PAYMENT_GATEWAYS["iyzico"]["secret_key"]:
    _payment_secrets["IYZICO_API_KEY"] = OMNI_PAYMENT_GATEWAYS["iyzico"]["api_key"]
    _payment_secrets["IYZICO_SECRET_KEY"] = OMNI_PAYMENT_GATEWAYS["iyzico"]["secret_key"]
_weak = {name: secret_problem(value) for name, value in _payment_secrets.items()}
if any(_weak.values()):
    raise ImproperlyConfigured(
        "payment gateway secrets refused in production: "
        + "; ".join(f"{name} {why}" for name, why in _weak.items() if why)
        + " (use random values of at least "
        + f"{MIN_SECRET_LENGTH} characters, or leave the gateway off)"
    )

# IYS: once enabled, only a real https address with credentials (a fake or local server is for
# tests and development).
if IYS_ENABLED:
    from urllib.parse import urlsplit

    _iys = urlsplit(IYS_BASE_URL)
    if (
        _iys.scheme != "https"
        or (_iys.hostname or "") in ("", "localhost", "127.0.0.1", "::1")
        or not (IYS_USERNAME and IYS_PASSWORD and IYS_CODE and IYS_BRAND_CODE)
    ):
        raise ImproperlyConfigured(
            "IYS_ENABLED needs IYS_BASE_URL (https, not a local fake), IYS_USERNAME, "
            "IYS_PASSWORD, IYS_CODE and IYS_BRAND_CODE"
        )

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# TLS ends at the proxy in front of gunicorn, which says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# ... and appends the client's address to X-Forwarded-For: the sign-in throttles count per
# client, not per proxy (with 0, one attacker behind the proxy would stop everyone's sign-in).
OMNI_TRUSTED_PROXY_COUNT = env.int("OMNI_TRUSTED_PROXY_COUNT", default=1)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Load balancers and the compose health check probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"
# Never in production, whatever the environment says: webhooks go over https to public
# addresses only (sales_channels/connectors/addresses.py).
OMNI_WEBHOOK_ALLOW_PRIVATE = False

EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
