"""The customer 360's sections that other apps fill: orders and carts (orders), metrics,
segments and loyalty (their own slices). Customers sits below them, so each hands in a reader
in its AppConfig.ready() (`customer_360_section_register`); customers never imports them.

A reader takes the customer and returns the section's value in a fixed number of queries (the
360's query count must not grow with the customer's history). The value is shown on the admin
360 page by the section's template (with `value` and `customer` in its context) and in the staff
API by `as_json` (a dataclass's fields by default).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from customers.models import Customer

# The sections the 360 names as typed fields (Customer360); any other lands in `extra`.
TYPED_SECTIONS = ("orders", "metrics", "segments", "loyalty")


@dataclass(frozen=True, slots=True)
class OrderBrief:
    """One order as the 360 lists it, whatever channel it came from."""

    pk: int
    number: str
    channel: str  # the channel's code
    channel_name: str
    status: str
    status_label: str
    total: Decimal
    currency: str
    placed_at: dt.datetime
    items: int
    returned: int  # items returned


@dataclass(frozen=True, slots=True)
class CartBrief:
    """A cart in progress (not yet ordered), on whichever channel it was last touched."""

    pk: int
    channel: str
    channel_name: str
    started_on: str
    items: int
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class CustomerOrders:
    count: int
    recent: list[OrderBrief]
    carts: list[CartBrief]


@dataclass(frozen=True)
class Section:
    name: str
    reader: Callable[[Customer], Any]
    title: Any = ""  # a lazy translation, shown as the admin section's heading
    template: str = ""  # the admin partial that renders `value`; none: the section is API-only
    as_json: Callable[[Any], Any] | None = None


_sections: dict[str, Section] = {}


def customer_360_section_register(
    *,
    name: str,
    reader: Callable[[Customer], Any],
    title: Any = "",
    template: str = "",
    as_json: Callable[[Any], Any] | None = None,
) -> None:
    """An app above hands in one section of the 360 (once per name; a second call replaces)."""
    _sections[name] = Section(
        name=name, reader=reader, title=title, template=template, as_json=as_json
    )


def customer_360_sections() -> list[Section]:
    return list(_sections.values())


def customer_360_section_unregister(name: str) -> None:
    """For tests that register a section of their own."""
    _sections.pop(name, None)


def section_json(section: Section | None, value: Any) -> Any:
    """The section's value as JSON-able data for the API."""
    if value is None:
        return None
    if section is not None and section.as_json is not None:
        return section.as_json(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value
