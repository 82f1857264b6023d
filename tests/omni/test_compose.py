"""docker-compose.yml runs the production shape from one image; validated by the compose client
where one is installed."""

import re
import shutil
import subprocess
from pathlib import Path, PurePosixPath

import pytest
import yaml

from tests import conftest

ROOT = Path(__file__).resolve().parents[2]


def test_compose_runs_web_worker_beat_postgres_and_redis_from_one_image():
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = spec["services"]
    assert {"db", "redis", "web", "worker", "beat", "migrate"} <= set(services)
    app = ["web", "worker", "beat", "migrate"]
    assert {services[name]["image"] for name in app} == {"omni:latest"}
    assert services["web"]["command"][0] == "gunicorn"
    assert services["worker"]["command"][:4] == ["celery", "-A", "omni", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "omni", "beat"]
    assert "healthz" in " ".join(services["web"]["healthcheck"]["test"])
    for name in app:
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")


def _compose_client_missing(reason: str) -> None:
    """Locally a missing compose client skips the check; in CI (OMNI_REQUIRE_SERVICES=1) it is a
    failure, as a missing PostgreSQL, Redis or chromium is, so CI cannot go green by skipping."""
    if conftest.REQUIRE_SERVICES:
        pytest.fail(reason)
    pytest.skip(reason)


def _compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        return ["docker", "compose"]
    _compose_client_missing("needs a compose client (docker-compose or docker compose)")
    raise AssertionError("unreachable")


def test_the_compose_client_accepts_the_file():
    command = _compose_command()
    result = subprocess.run(
        [*command, "config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"DJANGO_SECRET_KEY": "x" * 60, "PATH": "/usr/bin:/bin:/usr/local/bin"},
        check=False,
    )
    if any(
        text in result.stderr
        for text in ("unknown command", "is not a docker command", "unknown flag")
    ):
        _compose_client_missing("needs a compose client: docker has no compose plugin")
    assert result.returncode == 0, result.stderr


def test_a_missing_compose_client_fails_in_ci_and_skips_locally(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(conftest, "REQUIRE_SERVICES", True)
    with pytest.raises(pytest.fail.Exception, match="needs a compose client"):
        _compose_command()
    monkeypatch.setattr(conftest, "REQUIRE_SERVICES", False)
    with pytest.raises(pytest.skip.Exception, match="needs a compose client"):
        _compose_command()


def test_the_proxy_serves_the_media_volume_where_production_writes_it():
    """Product images: the web container writes MEDIA_ROOT (production's, inside the image) on
    the "media" volume; the proxy mounts the same volume, read-only, where deploy/nginx.conf's
    /media/ location reads, and runs that file; only the proxy takes requests from outside, and
    hands them to gunicorn where web binds it. tests/omni/test_media_proxy.py runs the file."""
    from tests.omni.test_settings import _manage

    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = spec["services"]
    proxy, web = services["proxy"], services["web"]
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    workdir = re.search(r"^WORKDIR (\S+)$", (ROOT / "Dockerfile").read_text(), re.M).group(1)
    shown = _manage(
        "shell",
        "-c",
        "from django.conf import settings as s; print('MEDIA', s.BASE_DIR, s.MEDIA_ROOT, s.MEDIA_URL)",
        DJANGO_SECRET_KEY="p7#Lr2@vQ9!xZ4$kT8^mN1&bW6*cY3(hJ5)dF0-gS" + "aB1cD2eF3gH4",
        DJANGO_ALLOWED_HOSTS="shop.example.com",
    )
    line = next(line for line in shown.stdout.splitlines() if line.startswith("MEDIA "))
    base_dir, media_root, media_url = line.split()[1:]
    in_image = PurePosixPath(workdir) / Path(media_root).relative_to(base_dir).as_posix()

    assert f"media:{in_image}" in web["volumes"]
    location = re.search(r"location (\S+) \{[^}]*?alias (\S+);", conf)
    assert location.group(1) == "/" + media_url.strip("/") + "/"
    assert f"media:{location.group(2).rstrip('/')}:ro" in proxy["volumes"]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    assert proxy["image"].startswith("nginx:")
    bind = web["command"][web["command"].index("--bind") + 1].rsplit(":", 1)[1]
    assert re.search(rf"server web:{bind};", conf)
    assert [name for name, service in services.items() if service.get("ports")] == ["proxy"]
    assert "client_max_body_size" in conf
    # The proxy appends the client's address: the sign-in throttles read it one hop back.
    assert web["environment"]["OMNI_TRUSTED_PROXY_COUNT"] == "${OMNI_TRUSTED_PROXY_COUNT:-1}"
