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
