"""A segment's rule: checked with an error per bad node, and compiled to one condition on
Customer.

    {"all": [node, ...]}   every node holds
    {"any": [node, ...]}   at least one holds
    {"not": node}          the node does not hold
    {"field": "may_email", "op": "eq", "value": true}
    {"field": "viewed_category", "op": "eq", "value": "ayakkabi", "days": 7}

The fields and their operators are customers.segment_fields.FIELDS. An error names the path of
the node, e.g. "rules.all[2].value", as the key of omni.errors.ValidationError's fields.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from customers.segment_fields import BOOL, CHOICE, FIELDS, INT, NUMBER, TEXT
from omni.errors import ValidationError

MAX_NODES = 100
MAX_DEPTH = 8
MAX_LIST = 100
MAX_DAYS = 3660
GROUPS = ("all", "any")


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.nodes = 0

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, []).append(message)


def rules_validate(rules: Any, *, path: str = "rules") -> dict:
    """The rule as given when it is valid; otherwise a ValidationError with every bad node's
    path (several errors at once, so an editor can mark them all)."""
    errors = _Errors()
    _check(rules, path, 0, errors)
    if errors.fields:
        raise ValidationError(
            _("The segment's rules are not valid."), code="invalid_rules", fields=errors.fields
        )
    return rules


def _check(node: Any, path: str, depth: int, errors: _Errors) -> None:
    errors.nodes += 1
    if errors.nodes > MAX_NODES:
        if errors.nodes == MAX_NODES + 1:
            errors.add(path, _("A rule may have at most %(n)s parts.") % {"n": MAX_NODES})
        return
    if depth > MAX_DEPTH:
        errors.add(path, _("Rules may nest at most %(n)s deep.") % {"n": MAX_DEPTH})
        return
    if not isinstance(node, dict):
        errors.add(path, _("Expected an object."))
        return
    group = [key for key in (*GROUPS, "not") if key in node]
    if group:
        if len(node) != 1:
            errors.add(path, _("A group has exactly one key: all, any or not."))
            return
        key = group[0]
        if key == "not":
            _check(node["not"], f"{path}.not", depth + 1, errors)
            return
        children = node[key]
        if not isinstance(children, list) or not children:
            errors.add(f"{path}.{key}", _("Expected a non-empty list of rules."))
            return
        for index, child in enumerate(children):
            _check(child, f"{path}.{key}[{index}]", depth + 1, errors)
        return
    _check_leaf(node, path, errors)


def _check_leaf(node: dict, path: str, errors: _Errors) -> None:
    name = node.get("field")
    spec = FIELDS.get(name) if isinstance(name, str) else None
    if spec is None:
        errors.add(f"{path}.field", _("Unknown field. One of: %(f)s.") % {"f": ", ".join(FIELDS)})
        return
    unknown = set(node) - {"field", "op", "value"} - ({"days"} if spec.days else set())
    if unknown:
        errors.add(path, _("Unexpected keys: %(k)s.") % {"k": ", ".join(sorted(unknown))})
    op = node.get("op")
    if op not in spec.ops:
        errors.add(f"{path}.op", _("This field takes: %(ops)s.") % {"ops": ", ".join(spec.ops)})
        return
    if "value" not in node:
        errors.add(f"{path}.value", _("This field is required."))
    else:
        message = _value_error(spec.value_type, op, node["value"], spec.choices)
        if message:
            errors.add(f"{path}.value", message)
    if "days" in node and not _is_int(node["days"], 1, MAX_DAYS):
        errors.add(f"{path}.days", _("A whole number of days from 1 to %(n)s.") % {"n": MAX_DAYS})


def _is_int(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _is_number(value: Any) -> bool:
    """A JSON number or a decimal string, finite, 0 or more, at most 10^12."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return False
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return False
    return number.is_finite() and 0 <= number <= 10**12


def _value_error(value_type: str, op: str, value: Any, choices: Any) -> str | None:
    if op == "in":
        if not isinstance(value, list) or not value or len(value) > MAX_LIST:
            return _("Expected a list of 1 to %(n)s values.") % {"n": MAX_LIST}
        for item in value:
            message = _value_error(value_type, "eq", item, choices)
            if message:
                return message
        return None
    if value_type == BOOL:
        return None if isinstance(value, bool) else _("Expected true or false.")
    if value_type == INT:
        return None if _is_int(value, 0, 100_000) else _("Expected a whole number, 0 or more.")
    if value_type == NUMBER:
        return None if _is_number(value) else _("Expected a number, 0 or more.")
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        return _("Expected a text of 1 to 200 characters.")
    if value_type == CHOICE and choices is not None:
        allowed = list(choices())
        if value not in allowed:
            return _("Not one of: %(c)s.") % {"c": ", ".join(allowed)}
    assert value_type in (TEXT, CHOICE)
    return None


def rules_compile(rules: dict, *, now: dt.datetime) -> Q:
    """The condition on Customer for a valid rule (rules_validate). `now` anchors "in the last
    N days", so a recompute is consistent across its statements."""
    if "all" in rules:
        combined = Q()
        for child in rules["all"]:
            combined &= rules_compile(child, now=now)
        return combined
    if "any" in rules:
        parts = [rules_compile(child, now=now) for child in rules["any"]]
        combined = parts[0]
        for part in parts[1:]:
            combined |= part
        return combined
    if "not" in rules:
        return ~rules_compile(rules["not"], now=now)
    spec = FIELDS[rules["field"]]
    return spec.build(rules["op"], rules["value"], rules.get("days"), now)


def rules_fields() -> list[dict]:
    """What an editor offers: each field with its label, operators, value type and, for a
    choice, the values."""
    return [
        {
            "field": name,
            "label": str(spec.label),
            "ops": list(spec.ops),
            "value_type": spec.value_type,
            "days": spec.days,
            "choices": list(spec.choices()) if spec.choices else None,
        }
        for name, spec in FIELDS.items()
    ]
