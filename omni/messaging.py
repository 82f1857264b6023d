"""Sending a short message to a shopper: SMS and e-mail behind one provider interface.

`OMNI_SMS_PROVIDER` chooses the provider: "console" (development: prints each message to
stdout), "memory" (tests: keeps SMS in `MemoryProvider.sent`), or the dotted path of a
`MessageProvider` subclass (a real SMS gateway: Netgsm, İleti Merkezi, Twilio, ...). E-mail goes
through Django's mail backend in every provider (console locally, locmem in tests, SMTP in
production), so `EMAIL_BACKEND` stays the one switch for e-mail.

Plumbing shared by every app that messages a person (payment links in payments, verification
codes in customers). Providers are called from Celery tasks after the commit, never inside a
transaction.
"""

from __future__ import annotations

import sys
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string


class MessageNotSent(Exception):
    """The provider could not take the message; the task retries."""


class MessageProvider(ABC):
    code: ClassVar[str]

    @abstractmethod
    def send_sms(self, to: str, text: str) -> None:
        """Send `text` to the phone number `to` (E.164, "+905551112233")."""

    def send_email(self, message: EmailMessage) -> None:
        """Send an e-mail made by the caller (sales_channels.emails.email_message: HTML and
        plain text, from the retailer) through Django's mail backend."""
        message.send()


class ConsoleProvider(MessageProvider):
    """Development: SMS are printed to stdout, e-mail goes to Django's (console) backend."""

    code = "console"

    def send_sms(self, to: str, text: str) -> None:
        sys.stdout.write(f"[sms to {to}] {text}\n")
        sys.stdout.flush()


@dataclass(frozen=True)
class Sms:
    to: str
    text: str


class MemoryProvider(MessageProvider):
    """Tests: SMS are kept in `MemoryProvider.sent` (e-mail in django.core.mail.outbox)."""

    code = "memory"
    sent: ClassVar[list[Sms]] = []
    _lock = threading.Lock()

    def send_sms(self, to: str, text: str) -> None:
        with self._lock:
            self.sent.append(Sms(to, text))

    @classmethod
    def clear(cls) -> None:
        with cls._lock:
            cls.sent.clear()


PROVIDERS: dict[str, type[MessageProvider]] = {
    ConsoleProvider.code: ConsoleProvider,
    MemoryProvider.code: MemoryProvider,
}


def message_provider() -> MessageProvider:
    name = getattr(settings, "OMNI_SMS_PROVIDER", "console")
    cls = PROVIDERS.get(name) or import_string(name)
    return cls()
