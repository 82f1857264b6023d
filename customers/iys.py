"""The IYS (İleti Yönetim Sistemi) connector: one interface, `IysClient`, and the HTTP client
that follows IYS's published API (dev.iys.org.tr):

- POST /oauth2/token (grant_type=password, then refresh_token): a bearer token;
- POST /sps/{iysCode}/brands/{brandCode}/consents ("Tekil İzin Ekleme"): one consent, answered
  200 {transactionId, creationDate} or 422 {errors: [{location, code, message}]};
- GET /sps/{iysCode}/brands/{brandCode}/consents/changes?source=IYS&after=... ("İzin Hareketi
  Sorgulama"): the changes citizens made in IYS, {after, list: [...]}, each with its
  transactionId.

Tests run it against a local fake IYS server (tests/customers/fake_iys.py); production refuses a
missing or loopback IYS_BASE_URL while IYS is enabled (omni/settings/production.py).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings

TIMEOUT_SECONDS = 15.0


class IysError(Exception):
    """IYS did not take a request. `retryable`: try again later (network, 429, 5xx)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(f"IYS {status}: {message}")

    @property
    def retryable(self) -> bool:
        return self.status in (0, 401, 408, 429) or self.status >= 500


@dataclass(frozen=True, slots=True)
class IysConsent:
    """A consent as IYS takes and gives it (times as IYS writes them, Istanbul time)."""

    recipient: str
    recipient_type: str
    type: str
    status: str
    source: str
    consent_date: str
    transaction_id: str = ""


@dataclass(frozen=True, slots=True)
class IysChanges:
    after: str
    consents: list[IysConsent]


class IysClient(Protocol):
    brand_code: str

    def consent_add(self, consent: IysConsent) -> str:
        """Record one consent; IYS's transactionId. Raises IysError."""
        ...

    def consent_changes(self, *, after: str) -> IysChanges:
        """The changes citizens made in IYS after the cursor `after` ("" from the start)."""
        ...


@dataclass
class HttpIysClient:
    base_url: str
    username: str
    password: str
    iys_code: str
    brand_code: str
    timeout: float = TIMEOUT_SECONDS

    def __post_init__(self) -> None:
        self._token = ""
        self._refresh = ""
        self._expires = 0.0

    # --- the token --------------------------------------------------------------------------

    def _token_request(self, form: dict[str, str]) -> None:
        body = self._send("POST", "/oauth2/token", form=form, auth=False)
        self._token = str(body["access_token"])
        self._refresh = str(body.get("refresh_token") or "")
        # Renew a minute early rather than have a request refused on the edge.
        self._expires = time.monotonic() + float(body.get("expires_in") or 3600) - 60

    def _bearer(self) -> str:
        if self._token and time.monotonic() < self._expires:
            return self._token
        if self._refresh:
            try:
                self._token_request({"grant_type": "refresh_token", "refresh_token": self._refresh})
                return self._token
            except IysError:
                self._refresh = ""
        self._token_request(
            {"grant_type": "password", "username": self.username, "password": self.password}
        )
        return self._token

    # --- requests ---------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        form: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
        auth: bool = True,
    ) -> Any:
        url = f"{self.base_url.rstrip('/')}{path}"
        if query:
            url = f"{url}?{urllib.parse.urlencode(query)}"
        headers = {"Accept": "application/json"}
        data = None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if auth:
            headers["Authorization"] = f"Bearer {self._bearer()}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as error:
            if error.code == 401 and auth:
                self._token = ""  # expired early: the next attempt signs in again
            raise IysError(error.code, _error_text(error.read()) or str(error.reason)) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise IysError(0, str(getattr(error, "reason", error))) from None
        return json.loads(raw) if raw else {}

    def _brand_path(self, tail: str) -> str:
        iys = urllib.parse.quote(self.iys_code, safe="")
        brand = urllib.parse.quote(self.brand_code, safe="")
        return f"/sps/{iys}/brands/{brand}/consents{tail}"

    def consent_add(self, consent: IysConsent) -> str:
        body = {
            "consentDate": consent.consent_date,
            "source": consent.source,
            "recipient": consent.recipient,
            "recipientType": consent.recipient_type,
            "status": consent.status,
            "type": consent.type,
        }
        answer = self._send("POST", self._brand_path(""), body=body)
        return str(answer.get("transactionId") or "")

    def consent_changes(self, *, after: str) -> IysChanges:
        query = {"source": "IYS"}
        if after:
            query["after"] = after
        answer = self._send("GET", self._brand_path("/changes"), query=query)
        consents = [
            IysConsent(
                recipient=str(item["recipient"]),
                recipient_type=str(item.get("recipientType") or "BIREYSEL"),
                type=str(item["type"]),
                status=str(item["status"]),
                source=str(item.get("source") or "IYS"),
                consent_date=str(item["consentDate"]),
                transaction_id=str(item["transactionId"]),
            )
            for item in answer.get("list") or []
        ]
        return IysChanges(after=str(answer.get("after") or after), consents=consents)


def _error_text(raw: bytes) -> str:
    """IYS's errors as "CODE message; ..." (its 422 body), else the start of the body."""
    try:
        body = json.loads(raw)
    except ValueError:
        return raw[:200].decode("utf-8", "replace")
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list):
        return "; ".join(f"{e.get('code', '')} {e.get('message', '')}".strip() for e in errors)
    return json.dumps(body)[:200]


def iys_enabled() -> bool:
    return bool(getattr(settings, "IYS_ENABLED", False))


def iys_client() -> IysClient:
    """The client the settings describe (IYS_*)."""
    return HttpIysClient(
        base_url=settings.IYS_BASE_URL,
        username=settings.IYS_USERNAME,
        password=settings.IYS_PASSWORD,
        iys_code=settings.IYS_CODE,
        brand_code=settings.IYS_BRAND_CODE,
    )
