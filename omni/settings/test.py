"""The test suite: real PostgreSQL when reachable (default: the local server), else SQLite.

Tests that only mean something on PostgreSQL (row locks, concurrency) carry the `postgres`
marker and are skipped on SQLite; `OMNI_REQUIRE_SERVICES=1` (CI) turns such a skip into a
failure. See tests/conftest.py.
"""

import os

from .base import *

SECRET_KEY = "test-only-secret-key-not-for-production-0123456789abcdef"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
OMNI_SMS_PROVIDER = "memory"  # omni.messaging.MemoryProvider.sent
# The test gateway with public development secrets (tests/payments covers production's refusal).
OMNI_ALLOW_TEST_GATEWAY = True
OMNI_TEST_GATEWAY_API_KEY = "sk-omni-test-dev"
OMNI_TEST_GATEWAY_SECRET = "whsec-omni-test-dev"  # noqa: S105
OMNI_REFUSE_WEAK_GATEWAY_SECRETS = False
MEDIA_ROOT = str(VAR_DIR / "test-media")
# Each test process counts throttles in its own memory (tests/conftest.py empties it before each
# test); tests/accounts/test_throttle.py shares one Redis between two processes.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
# The webhook receivers of the tests listen on 127.0.0.1 over http; tests of the production
# rule turn this off (tests/sales_channels/test_webhook_addresses.py).
OMNI_WEBHOOK_ALLOW_PRIVATE = True

# Tests create (and drop) their own database, test_omni; this one is only connected to.
DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


def _postgres_reachable(url: str) -> bool:
    try:
        import psycopg

        cfg = environ.Env.db_url_config(url)
        psycopg.connect(
            host=cfg["HOST"] or None,
            port=cfg["PORT"] or None,
            user=cfg["USER"] or None,
            password=cfg["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=2,
        ).close()
    except Exception:
        return False
    return True


def _redis_reachable(url: str) -> bool:
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception:
        return False
    return True


_db_url = os.environ.get("DATABASE_URL") or DEFAULT_TEST_DATABASE_URL
if _db_url.startswith("postgres") and not _postgres_reachable(_db_url):
    _db_url = "sqlite:///:memory:"
DATABASES = {"default": env.db_url_config(_db_url)}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
postgres_prepared(DATABASES["default"])
postgres_search(DATABASES["default"])
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("OMNI_TEST_DB_NAME", "test_omni")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {}

OMNI_TEST_REDIS_URL = os.environ.get("REDIS_URL") or DEFAULT_TEST_REDIS_URL
OMNI_TEST_REDIS_AVAILABLE = _redis_reachable(OMNI_TEST_REDIS_URL)
# Unit tests run tasks in-process, at once; tests marked `redis` turn this off and start a real
# worker on a real broker (tests/conftest.py: celery_worker_on_redis).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = OMNI_TEST_REDIS_URL if OMNI_TEST_REDIS_AVAILABLE else "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}

# Tests change channel configuration between calls; tests/inventory covers the cache itself.
OMNI_STOCK_CONFIG_SECONDS = 0
OMNI_CHANNEL_CACHE_SECONDS = 0
