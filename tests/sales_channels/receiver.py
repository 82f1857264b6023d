"""A webhook receiver for tests and bench/sync.py: a threaded http.server on 127.0.0.1 that
verifies each delivery's signature the way the README tells receivers to, drops duplicates by
delivery id, and records what arrived and when."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def verify(body: bytes, header: str, secrets: list[str], tolerance: int = 300) -> bool:
    """The README's snippet: a valid v1 for one of our secrets, made within `tolerance` s."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    timestamps = [v for k, v in parts if k == "t"]
    if not timestamps or not timestamps[0].isdigit():
        return False
    if abs(time.time() - int(timestamps[0])) > tolerance:
        return False
    signed = timestamps[0].encode() + b"." + body
    for secret in secrets:
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        if any(k == "v1" and hmac.compare_digest(v, expected) for k, v in parts):
            return True
    return False


class Receiver:
    """Start with `with Receiver(secrets=[...]) as r:`; r.url is where to send."""

    def __init__(
        self,
        *,
        secrets: list[str],
        delay: float = 0.0,
        respond: Callable[[dict], tuple[int, dict[str, str]]] | None = None,
    ) -> None:
        self.secrets = list(secrets)
        self.delay = delay
        self.respond = respond  # body -> (status, headers); None: 200 for every valid one
        self.lock = threading.Lock()
        self.requests = 0  # every request, duplicates and refusals included
        self.bad_signatures = 0
        self.duplicates = 0
        self.seen: dict[str, dict] = {}  # delivery id -> body (first arrival)
        self.arrivals: list[tuple[float, dict]] = []  # (time.time() at arrival, body)
        self.latest: dict[str, int] = {}  # key -> highest version applied
        self.stale = 0  # arrived with a version below one already applied (dropped)
        self.batches = 0  # requests that carried a batch of deliveries
        self.signatures: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, headers = receiver.handle(
                    body, self.headers.get("Omni-Signature", ""), self.headers
                )
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/omni"

    def handle(self, body: bytes, signature: str, headers) -> tuple[int, dict[str, str]]:
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.requests += 1
            self.signatures.append(signature)
            if not verify(body, signature, self.secrets):
                self.bad_signatures += 1
                return 400, {}
        data = json.loads(body)
        if "deliveries" in data:  # a batch: each delivery is deduplicated on its own
            assert headers.get("Omni-Batch-Id")
            items = data["deliveries"]
        else:
            assert headers.get("Omni-Delivery-Id") == data["id"]
            items = [data]
        if self.respond is not None:
            for item in items:
                status, extra = self.respond(item)
                if status >= 300:
                    return status, extra
        now = time.time()
        with self.lock:
            self.batches += 1 if "deliveries" in data else 0
            for item in items:
                if item["id"] in self.seen:
                    self.duplicates += 1
                    continue
                self.seen[item["id"]] = item
                self.arrivals.append((now, item))
                if item["version"] < self.latest.get(item["key"], -1):
                    self.stale += 1
                else:
                    self.latest[item["key"]] = item["version"]
        return 200, {}

    def bodies(self) -> list[dict]:
        with self.lock:
            return [body for _, body in self.arrivals]

    def __enter__(self) -> Receiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
