"""The signed webhook: an HTTPS POST per change (or per batch of changes), signed with
HMAC-SHA256.

Body (JSON): {"id": <delivery id>, "topic", "key", "version", "occurred_at", "data"}; with
`config.batch` = N, up to N of them in one request: {"deliveries": [{...}, ...]}, each with
its own delivery id (a receiver deduplicates per delivery, as always).
Headers: `Omni-Delivery-Id` (the same on every retry; for a batch, `Omni-Batch-Id` instead) and
`Omni-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, with a second `v1`
made with the previous secret while a rotation's grace period lasts. The README shows how a
receiver verifies it.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sales_channels.connectors.addresses import (
    AddressRefused,
    connect_public,
    private_allowed,
    url_refusal,
)
from sales_channels.connectors.base import Change, Connector, Outcome, register

SIGNATURE_HEADER = "Omni-Signature"
DELIVERY_HEADER = "Omni-Delivery-Id"
BATCH_HEADER = "Omni-Batch-Id"
MAX_BATCH = 500
USER_AGENT = "Omni-Webhooks/1"
# Statuses worth trying again; any other 4xx is the receiver refusing this body for good.
RETRYABLE_4XX = frozenset({408, 429})
MAX_RETRY_AFTER = 3600.0


def _item(change: Change) -> dict:
    return {
        "id": change.delivery_id,
        "topic": change.topic,
        "key": change.key,
        "version": change.version,
        "occurred_at": change.occurred_at.isoformat(),
        "data": change.payload,
    }


def _json(value: dict) -> bytes:
    return json.dumps(
        value, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")
    ).encode()


def webhook_body(change: Change) -> bytes:
    return _json(_item(change))


def webhook_batch_body(changes: list[Change]) -> bytes:
    return _json({"deliveries": [_item(change) for change in changes]})


def batch_id(changes: list[Change]) -> str:
    """The same for the same deliveries, so a retried batch can be recognised."""
    return hashlib.sha256(",".join(c.delivery_id for c in changes).encode()).hexdigest()[:32]


def webhook_signature(*, body: bytes, secrets: list[str], timestamp: int) -> str:
    """`t=<timestamp>,v1=<hmac>[,v1=<hmac with the previous secret>]`."""
    signed = f"{timestamp}.".encode() + body
    parts = [f"t={timestamp}"]
    for secret in secrets:
        parts.append("v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest())
    return ",".join(parts)


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), capped at an hour."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - (now or timezone.now())).total_seconds()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class _Pool:
    """Keep-alive connections per (scheme, host, port), shared by the threads of a process."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, str, int], queue.LifoQueue] = {}
        self._lock = threading.Lock()

    def _queue(self, key: tuple[str, str, int]) -> queue.LifoQueue:
        with self._lock:
            return self._idle.setdefault(key, queue.LifoQueue(maxsize=16))

    def request(
        self, url: str, *, body: bytes, headers: dict[str, str], timeout: float
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(url)
        scheme = parts.scheme or "http"
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, parts.hostname or "", port)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        idle = self._queue(key)
        for attempt in range(2):
            try:
                conn = idle.get_nowait()
                reused = True
            except queue.Empty:
                cls = (
                    http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
                )
                conn = cls(key[1], port, timeout=timeout)
                if not private_allowed():
                    # Resolve, check and connect to the checked address in one step.
                    conn._create_connection = connect_public  # type: ignore[attr-defined]
                reused = False
            conn.timeout = timeout
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read(64 * 1024)
                result = (response.status, {k.lower(): v for k, v in response.getheaders()}, data)
            except (ConnectionError, http.client.RemoteDisconnected, http.client.BadStatusLine):
                conn.close()
                # A kept-alive connection the server closed meanwhile: once more on a new one.
                if reused and attempt == 0:
                    continue
                raise
            except Exception:
                conn.close()
                raise
            if response.will_close:
                conn.close()
            else:
                try:
                    idle.put_nowait(conn)
                except queue.Full:
                    conn.close()
            return result
        raise ConnectionError("unreachable")  # pragma: no cover


_pool = _Pool()


@register
class WebhookConnector(Connector):
    kind = "webhook"
    label = _("Signed webhook")
    topics = None  # every topic; config["topics"] narrows it per endpoint
    batch_size = 50

    def wants(self, topic: str) -> bool:
        chosen = (self.endpoint.config or {}).get("topics")
        return not chosen or topic in chosen

    def check_config(self) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        parts = urlsplit(self.endpoint.url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            errors["url"] = [str(_("Enter the receiver's http(s) URL."))]
        elif refused := url_refusal(self.endpoint.url):
            errors["url"] = [refused]
        if not self.endpoint.signing_secret:
            errors["signing_secret"] = [str(_("A webhook needs a signing secret."))]
        topics = (self.endpoint.config or {}).get("topics")
        if topics is not None and not (
            isinstance(topics, list) and all(isinstance(t, str) for t in topics)
        ):
            errors["config"] = [str(_('"topics" must be a list of topic names.'))]
        batch = (self.endpoint.config or {}).get("batch", 1)
        if not isinstance(batch, int) or not 1 <= batch <= MAX_BATCH:
            errors.setdefault("config", []).append(
                str(_('"batch" must be a whole number from 1 to %(max)d.') % {"max": MAX_BATCH})
            )
        parallel = (self.endpoint.config or {}).get("parallel", 4)
        if not isinstance(parallel, int) or not 1 <= parallel <= 16:
            errors.setdefault("config", []).append(
                str(_('"parallel" must be a whole number from 1 to 16.'))
            )
        return errors

    def secrets(self) -> list[str]:
        endpoint = self.endpoint
        found = [endpoint.signing_secret]
        if (
            endpoint.previous_secret
            and endpoint.previous_secret_expires_at
            and endpoint.previous_secret_expires_at > timezone.now()
        ):
            found.append(endpoint.previous_secret)
        return found

    def _post_batch(self, changes: list[Change]) -> list[Outcome]:
        """One request for the changes (a single change in the one-per-request body); the
        receiver's answer is each change's outcome."""
        if len(changes) == 1 and self._batch() == 1:
            body, id_header = webhook_body(changes[0]), (DELIVERY_HEADER, changes[0].delivery_id)
        else:
            body, id_header = webhook_batch_body(changes), (BATCH_HEADER, batch_id(changes))
        outcome = self._request(body, id_header, changes[0].delivery_id)
        return [
            Outcome(
                c.delivery_id,
                ok=outcome.ok,
                retry=outcome.retry,
                error=outcome.error,
                retry_after=outcome.retry_after,
                detail=outcome.detail,
            )
            for c in changes
        ]

    def _batch(self) -> int:
        return max(1, min(int((self.endpoint.config or {}).get("batch", 1)), MAX_BATCH))

    def _request(self, body: bytes, id_header: tuple[str, str], change_id: str) -> Outcome:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            id_header[0]: id_header[1],
            SIGNATURE_HEADER: webhook_signature(
                body=body, secrets=self.secrets(), timestamp=int(time.time())
            ),
        }
        refused = url_refusal(self.endpoint.url)
        if refused:  # saved before the rule, or under another setting: never sent
            return Outcome(change_id, ok=False, retry=False, error=f"refused: {refused}")
        try:
            status, response_headers, data = _pool.request(
                self.endpoint.url,
                body=body,
                headers=headers,
                timeout=float(self.endpoint.timeout_seconds or 10),
            )
        except AddressRefused as exc:  # a dead letter that says why; not worth a retry
            return Outcome(change_id, ok=False, retry=False, error=f"refused: {exc}"[:500])
        except Exception as exc:  # the receiver is down or slow: try again later
            return Outcome(change_id, ok=False, error=f"{type(exc).__name__}: {exc}"[:500])
        if 200 <= status < 300:
            return Outcome(change_id, ok=True, detail={"status": status})
        error = f"HTTP {status}: {data[:300].decode(errors='replace')}"
        retry = status >= 500 or status in RETRYABLE_4XX or status < 400
        return Outcome(
            change_id,
            ok=False,
            retry=retry,
            error=error,
            retry_after=retry_after_seconds(response_headers.get("retry-after"))
            if status == 429
            else None,
            detail={"status": status},
        )

    def send(self, changes: list[Change]) -> list[Outcome]:
        parallel = int((self.endpoint.config or {}).get("parallel", 4))
        size = self._batch()
        requests = [changes[i : i + size] for i in range(0, len(changes), size)]
        outcomes: list[Outcome] = []
        # In rounds of `parallel` requests: a 429 stops the batch, the rest waits as the
        # receiver asked. A round of one request (the usual batch) needs no thread.
        pool: ThreadPoolExecutor | None = None
        try:
            for start in range(0, len(requests), parallel):
                round_ = requests[start : start + parallel]
                if len(round_) == 1:
                    results = [self._post_batch(round_[0])]
                else:
                    pool = pool or ThreadPoolExecutor(max_workers=min(parallel, len(requests)))
                    results = pool.map(self._post_batch, round_)
                for sent in results:
                    outcomes += sent
                sent_count = sum(len(r) for r in requests[: start + parallel])
                throttled = [o for o in outcomes if o.detail.get("status") == 429]
                if throttled:
                    wait = max((o.retry_after or 0.0) for o in throttled) or None
                    for change in changes[sent_count:]:
                        outcomes.append(
                            Outcome(
                                change.delivery_id,
                                ok=False,
                                error="not sent: the receiver asked us to slow down (429)",
                                retry_after=wait,
                            )
                        )
                    break
        finally:
            if pool is not None:
                pool.shutdown()
        return outcomes
