"""Production serves what the merchant uploads: deploy/nginx.conf, the compose file's proxy, run
in a real nginx in front of the live server (DEBUG off, as in production, where Django serves no
media). A product image stored as the admin stores it is on the product page and served from
MEDIA_ROOT through the proxy, with nosniff and a sandboxing policy; Django alone answers 404 for
it; every other path reaches Django; an upload of several megabytes is not refused.

Needs nginx (Debian's nginx-light; .ci/run installs it): skipped locally without it, a failure
in CI, as a missing chromium or compose client is."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import ProductImage
from tests import conftest
from tests.storefront.support import build_shop

ROOT = Path(__file__).resolve().parents[2]
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e2217c"
    "1b0000000049454e44ae426082"
)

pytestmark = pytest.mark.postgres


def _nginx() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None
    )
    if not found:
        reason = "needs nginx (apt-get install nginx-light) to run deploy/nginx.conf"
        if conftest.REQUIRE_SERVICES:
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"deploy/nginx.conf no longer has {old!r}: update this test"
    return text.replace(old, new)


@pytest.fixture
def proxy(live_server, settings, tmp_path):
    """nginx with the compose file's configuration, its upstream the live server and its media
    folder this test's MEDIA_ROOT (the volume both containers mount)."""
    nginx = _nginx()
    media = tmp_path / "media"
    media.mkdir()
    for folder in (tmp_path, media):
        folder.chmod(0o755)  # nginx's workers read the media as another user
    settings.MEDIA_ROOT = str(media)
    upstream = urlsplit(live_server.url).netloc
    port = _free_port()
    server = (ROOT / "deploy" / "nginx.conf").read_text()
    server = _replace(server, "server web:8000;", f"server {upstream};")
    server = _replace(server, "listen 80;", f"listen 127.0.0.1:{port};")
    server = _replace(server, "alias /srv/media/;", f"alias {media}/;")
    mime = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
    user = "user root;" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(
        f"""{user}
worker_processes 1;
daemon off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 64; }}
http {{
  {mime}
  access_log off;
  client_body_temp_path {tmp_path}/body;
  proxy_temp_path {tmp_path}/proxy;
  {server}
}}
"""
    )
    process = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", "nginx.conf"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            pytest.fail(f"nginx did not start: {output}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def _get(
    url: str, data: bytes | None = None, headers: dict | None = None
) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_an_uploaded_product_image_is_served_through_the_proxy(proxy, client):
    shop = build_shop(products=1)
    product = shop.products[0]
    image = ProductImage.objects.create(
        product=product, image=SimpleUploadedFile("elbise.png", PNG, "image/png"), alt="Elbise"
    )
    url = image.image.url
    assert url.startswith("/media/products/")

    status, _headers, page = _get(f"{proxy}/tr/p/{product.slug}/")
    assert status == 200
    assert f'src="{url}"' in page.decode()

    status, headers, body = _get(proxy + url)
    assert (status, body) == (200, PNG)
    assert headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in headers["Content-Security-Policy"]
    assert re.search(r"max-age=\d{6,}", headers["Cache-Control"])
    # Django's own URLs (DEBUG off) serve no media: without the proxy this was the shop's 404.
    # (The live server would: Django's test server adds a media handler of its own.)
    assert client.get(url).status_code == 404
    assert _get(proxy + "/media/products/nothing.png")[0] == 404
    assert _get(proxy + "/media/")[0] in (403, 404)  # no listing of the uploads


def test_everything_else_reaches_django_and_large_uploads_pass(proxy):
    status, _headers, _body = _get(f"{proxy}/healthz")
    assert status == 200
    status, _headers, body = _get(f"{proxy}/favicon.ico")
    assert status == 200 and body[:4] == b"\x00\x00\x01\x00"  # an .ico, from WhiteNoise

    # A photograph of 6 MB, sent as the admin's form sends it.
    boundary = "omni-test-boundary"
    big = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
            f'filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        + b"x" * (6 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    content_type = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    status, _headers, _body = _get(f"{proxy}/admin/login/", data=big, headers=content_type)
    assert status == 403  # Django's CSRF refusal, not nginx's 413 (Request Entity Too Large)
