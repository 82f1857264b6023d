"""A fake IYS (İleti Yönetim Sistemi) on a free local port, in the shape of IYS's published API
(dev.iys.org.tr), written from the documentation and not from Omni's client:

- POST /oauth2/token, form grant_type=password (username, password) or refresh_token: a bearer
  token ({access_token, refresh_token, expires_in, token_type}); 401 on wrong credentials.
- POST /sps/{iysCode}/brands/{brandCode}/consents ("Tekil İzin Ekleme"): 200 {transactionId,
  creationDate}, or 422 {errors: [{location, code, message}]} when a rule is broken: an unknown
  field value, a consentDate not written "YYYY-MM-DD HH:MM:SS" or in the future, a RET for an
  address that never had an ONAY, the same status twice in a row.
- GET /sps/{iysCode}/brands/{brandCode}/consents/changes?source=IYS&after=...: the changes
  citizens made in IYS ({after, list}), `page_size` at a time, after the cursor.

`fail_next` answers that many requests with 503 first; `posts` keeps every consent taken.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SOURCES = {
    "HS_FIZIKSEL_ORTAM",
    "HS_ISLAK_IMZA",
    "HS_WEB",
    "HS_CAGRI_MERKEZI",
    "HS_SOSYAL_MEDYA",
    "HS_EPOSTA",
    "HS_MESAJ",
    "HS_MOBIL",
    "HS_EORTAM",
    "HS_ETKINLIK",
    "HS_2015",
    "HS_ATM",
    "HS_KARAR",
}
TYPES = {"ARAMA", "MESAJ", "EPOSTA"}
RECIPIENT_TYPES = {"BIREYSEL", "TACIR"}
STATUSES = {"ONAY", "RET"}
GMT3 = dt.timezone(dt.timedelta(hours=3))


class FakeIys:
    def __init__(
        self,
        *,
        username: str = "iys-user",
        password: str = "iys-pass",  # noqa: S107 - the fake's own test credentials
        iys_code: str = "654321",
        brand_code: str = "654322",
    ) -> None:
        self.username, self.password = username, password
        self.iys_code, self.brand_code = iys_code, brand_code
        self.tokens: set[str] = set()
        self.token_requests = 0
        self.posts: list[dict[str, Any]] = []
        self.held: dict[
            tuple[str, str, str], str
        ] = {}  # (recipient, type, recipientType) -> status
        self.citizen_changes: list[dict[str, Any]] = []
        self.page_size = 2
        self.fail_next = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeIys:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def citizen_decides(self, *, recipient: str, type: str, status: str, consent_date: str) -> str:
        """A citizen changes their consent in IYS's own app; its transaction id."""
        transaction_id = str(uuid.uuid4())
        self.citizen_changes.append(
            {
                "consentDate": consent_date,
                "creationDate": consent_date,
                "source": "IYS_MOBIL",
                "recipient": recipient,
                "recipientType": "BIREYSEL",
                "status": status,
                "type": type,
                "transactionId": transaction_id,
            }
        )
        return transaction_id

    # --- answers ------------------------------------------------------------------------------

    def _token(self, form: dict[str, str]) -> tuple[int, Any]:
        self.token_requests += 1
        grant = form.get("grant_type")
        if grant == "password":
            if form.get("username") != self.username or form.get("password") != self.password:
                return 401, {"error": "invalid_grant"}
        elif grant != "refresh_token" or form.get("refresh_token") not in self.tokens:
            return 401, {"error": "invalid_grant"}
        token = secrets.token_hex(16)
        self.tokens.add(token)
        return 200, {
            "access_token": token,
            "refresh_token": token,
            "expires_in": 7200,
            "token_type": "bearer",
        }

    def _consent_add(self, body: Any) -> tuple[int, Any]:
        errors = []

        def wrong(field: str, code: str, message: str) -> None:
            errors.append({"location": [field], "code": code, "message": message})

        if not isinstance(body, dict):
            return 400, {"errors": [{"code": "H000", "message": "JSON nesnesi bekleniyor."}]}
        if body.get("type") not in TYPES:
            wrong("type", "H111", "İzin tipi (type) bulunamadı.")
        if body.get("source") not in SOURCES:
            wrong("source", "H113", "İzin kaynağı (source) bulunamadı.")
        if body.get("recipientType") not in RECIPIENT_TYPES:
            wrong("recipientType", "H115", "Alıcı tipi (recipientType) bulunamadı.")
        if body.get("status") not in STATUSES:
            wrong("status", "H112", "İzin durumu (status) bulunamadı.")
        if not body.get("recipient"):
            wrong("recipient", "H114", "Alıcı (recipient) bulunamadı.")
        try:
            when = dt.datetime.strptime(str(body.get("consentDate")), "%Y-%m-%d %H:%M:%S").replace(
                tzinfo=GMT3
            )
            if when > dt.datetime.now(GMT3) + dt.timedelta(minutes=1):
                wrong("consentDate", "H116", "İzin tarihi ileri bir tarih olamaz.")
        except ValueError:
            wrong("consentDate", "H117", "İzin tarihi (consentDate) biçimi hatalı.")
        if not errors:
            key = (body["recipient"], body["type"], body["recipientType"])
            held = self.held.get(key)
            if held is None and body["status"] == "RET":
                wrong("status", "H174", "Onayı olmayan bir alıcı için ret eklenemez.")
            elif held == body["status"]:
                wrong("status", "H175", "Aynı durumda bir izin zaten kayıtlı.")
        if errors:
            return 422, {"errors": errors}
        self.held[key] = body["status"]
        self.posts.append(dict(body))
        return 200, {
            "transactionId": str(uuid.uuid4()),
            "creationDate": dt.datetime.now(GMT3).strftime("%Y-%m-%d %H:%M:%S"),
        }

    def _changes(self, query: dict[str, str]) -> tuple[int, Any]:
        if query.get("source") != "IYS":
            return 200, {"after": query.get("after", ""), "list": []}
        start = int(query.get("after") or 0)
        page = self.citizen_changes[start : start + self.page_size]
        return 200, {"after": str(start + len(page)), "list": page}

    def answer(self, method: str, path: str, headers: Any, raw: bytes) -> tuple[int, Any]:
        with self._lock:
            if self.fail_next:
                self.fail_next -= 1
                return 503, {"message": "Servis geçici olarak kullanılamıyor."}
            parsed = urllib.parse.urlsplit(path)
            query = dict(urllib.parse.parse_qsl(parsed.query))
            if method == "POST" and parsed.path == "/oauth2/token":
                return self._token(dict(urllib.parse.parse_qsl(raw.decode())))
            auth = headers.get("Authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in self.tokens:
                return 401, {"message": "Unauthorized"}
            base = f"/sps/{self.iys_code}/brands/{self.brand_code}/consents"
            if method == "POST" and parsed.path == base:
                try:
                    body = json.loads(raw or b"null")
                except ValueError:
                    body = None
                return self._consent_add(body)
            if method == "GET" and parsed.path == base + "/changes":
                return self._changes(query)
            return 404, {"message": "Not found"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, body = fake.answer(self.command, self.path, self.headers, raw)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
