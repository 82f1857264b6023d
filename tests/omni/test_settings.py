"""Production settings refuse to start without their secrets and pass `check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environ.pop("CACHE_URL", None)
    environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "omni.settings.production",
            "REDIS_URL": "redis://redis.invalid:6379/0",  # the shared cache; never contacted
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", DJANGO_ALLOWED_HOSTS="shop.example.com")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    result = _manage("check", DJANGO_SECRET_KEY="k" * 20 + "x9!Q" * 10)
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_passes_the_deploy_check_with_no_warnings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY="p7#Lr2@vQ9!xZ4$kT8^mN1&bW6*cY3(hJ5)dF0-gS" + "aB1cD2eF3gH4",
        DJANGO_ALLOWED_HOSTS="shop.example.com",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_refuses_a_cache_kept_per_process_for_its_throttles():
    secrets = {
        "DJANGO_SECRET_KEY": "p7#Lr2@vQ9!xZ4$kT8^mN1&bW6*cY3(hJ5)dF0-gS" + "aB1cD2eF3gH4",
        "DJANGO_ALLOWED_HOSTS": "shop.example.com",
    }
    for cache in ({"REDIS_URL": ""}, {"CACHE_URL": "locmemcache://"}):
        result = _manage("check", **secrets, **cache)
        assert result.returncode != 0
        assert "Production needs a shared cache" in result.stderr


STRONG = {
    "DJANGO_SECRET_KEY": "p7#Lr2@vQ9!xZ4$kT8^mN1&bW6*cY3(hJ5)dF0-gS" + "aB1cD2eF3gH4",
    "DJANGO_ALLOWED_HOSTS": "shop.example.com",
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/1"),
}
GATEWAY_KEY = "sk-live-4f9c2a7e1b8d3f6a0c5e9b2d7f1a4c8e"
GATEWAY_SECRET = "whsec-8e3b1f7c2a9d4e6b0f5a1c8d3e7b2f9a"


def test_production_refuses_the_test_gateway_with_its_published_secrets():
    result = _manage(
        "check",
        **STRONG,
        OMNI_ALLOW_TEST_GATEWAY="true",
        OMNI_TEST_GATEWAY_API_KEY="sk-omni-test-dev",
        OMNI_TEST_GATEWAY_SECRET="whsec-omni-test-dev",
    )

    assert result.returncode != 0
    assert "OMNI_TEST_GATEWAY_API_KEY is a value published in the repository" in result.stderr
    assert "OMNI_TEST_GATEWAY_SECRET is a value published in the repository" in result.stderr


def test_production_refuses_the_test_gateway_without_secrets():
    result = _manage("check", **STRONG, OMNI_ALLOW_TEST_GATEWAY="true")

    assert result.returncode != 0
    assert "OMNI_TEST_GATEWAY_SECRET is not set" in result.stderr


def test_production_refuses_short_iyzico_keys_once_iyzico_is_configured():
    result = _manage("check", **STRONG, IYZICO_API_KEY=GATEWAY_KEY, IYZICO_SECRET_KEY="short")

    assert result.returncode != 0
    assert "IYZICO_SECRET_KEY is shorter than 24 characters" in result.stderr


def test_production_with_the_test_gateway_allowed_and_strong_secrets_warns_on_deploy():
    result = _manage(
        "check",
        "--deploy",
        **STRONG,
        OMNI_ALLOW_TEST_GATEWAY="true",
        OMNI_TEST_GATEWAY_API_KEY=GATEWAY_KEY,
        OMNI_TEST_GATEWAY_SECRET=GATEWAY_SECRET,
        IYZICO_API_KEY=GATEWAY_KEY,
        IYZICO_SECRET_KEY=GATEWAY_SECRET,
    )

    assert result.returncode == 0, result.stderr
    assert "payments.W001" in result.stderr + result.stdout


def test_production_that_allows_the_test_gateway_warns_on_every_admin_page():
    """The admin's warning is switched on by production itself, not only in a test's settings."""
    shows = (
        "from payments.templatetags.payments_admin import test_gateway_warning; "
        "print('warning', test_gateway_warning())"
    )
    allowed = _manage(
        "shell",
        "-c",
        shows,
        **STRONG,
        OMNI_ALLOW_TEST_GATEWAY="true",
        OMNI_TEST_GATEWAY_API_KEY=GATEWAY_KEY,
        OMNI_TEST_GATEWAY_SECRET=GATEWAY_SECRET,
    )
    assert "warning True" in allowed.stdout, allowed.stderr

    off = _manage("shell", "-c", shows, **STRONG)
    assert "warning False" in off.stdout, off.stderr


def test_production_counts_the_client_behind_the_one_proxy_it_assumes():
    """Production trusts the proxy's X-Forwarded-Proto, so it takes the client's address from
    that proxy too: with 0, everyone behind it would share one sign-in throttle."""
    code = "from django.conf import settings; print(settings.OMNI_TRUSTED_PROXY_COUNT)"
    secrets = {
        "DJANGO_SECRET_KEY": "p7#Lr2@vQ9!xZ4$kT8^mN1&bW6*cY3(hJ5)dF0-gS" + "aB1cD2eF3gH4",
        "DJANGO_ALLOWED_HOSTS": "shop.example.com",
    }
    behind = _manage("shell", "-c", code, **secrets)
    assert behind.stdout.split()[-1] == "1", behind.stderr
    direct = _manage("shell", "-c", code, OMNI_TRUSTED_PROXY_COUNT="0", **secrets)
    assert direct.stdout.split()[-1] == "0", direct.stderr


def test_production_refuses_iys_on_a_local_fake_or_without_credentials():
    base = {
        "DJANGO_SECRET_KEY": "p7#Lr2@vQ9!xZ4$kT8^mN1&bW6*cY3(hJ5)dF0-gS" + "aB1cD2eF3gH4",
        "DJANGO_ALLOWED_HOSTS": "shop.example.com",
        "IYS_ENABLED": "true",
        "IYS_USERNAME": "api-user",
        "IYS_PASSWORD": "api-password",
        "IYS_CODE": "654321",
        "IYS_BRAND_CODE": "654322",
    }
    for changed in (
        {"IYS_BASE_URL": ""},
        {"IYS_BASE_URL": "http://127.0.0.1:8899"},
        {"IYS_BASE_URL": "https://localhost:8899"},
        {"IYS_BASE_URL": "https://api.iys.org.tr", "IYS_PASSWORD": ""},
    ):
        result = _manage("check", **(base | changed))
        assert result.returncode != 0, changed
        assert "IYS_ENABLED needs IYS_BASE_URL" in result.stderr, changed

    real = _manage("check", **(base | {"IYS_BASE_URL": "https://api.iys.org.tr"}))
    off = _manage("check", **(base | {"IYS_ENABLED": "false"}))
    assert (real.returncode, off.returncode) == (0, 0), real.stderr + off.stderr
