"""The developer's machine: `make run`. Embedded defaults (SQLite, filesystem broker)."""

from .base import *

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = SECRET_KEY or "django-insecure-local-only-6s8d7f6g5h4j3k2l1-omni-dev-key"
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Webhook receivers on this machine (bench/sync.py, a test receiver) over plain http.
OMNI_WEBHOOK_ALLOW_PRIVATE = env.bool("OMNI_WEBHOOK_ALLOW_PRIVATE", default=True)
# The fake card provider `make run` starts, with public development secrets.
OMNI_ALLOW_TEST_GATEWAY = env.bool("OMNI_ALLOW_TEST_GATEWAY", default=True)
OMNI_TEST_GATEWAY_API_KEY = OMNI_TEST_GATEWAY_API_KEY or "sk-omni-test-dev"
OMNI_TEST_GATEWAY_SECRET = OMNI_TEST_GATEWAY_SECRET or "whsec-omni-test-dev"
OMNI_REFUSE_WEAK_GATEWAY_SECRETS = False
