"""Managing promotions: create, change, schedule, pause, resume and copy them, and give them
named codes. The admin, the merchant API and the demo all come through here.

Every write is validated by one function, promotion_clean, whose errors are by field (the API's
400, a form's errors): nothing is saved when any is found. A write that changes what a channel
sells at (an automatic line discount, see `sets_prices`) records "campaigns.promotion.changed"
in the outbox in its transaction, one event per channel it touches, so the channels' sale prices
follow (campaigns' relay consumer, feeds, marketplaces).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypedDict, Unpack
from zoneinfo import ZoneInfo

from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from campaigns.engine import promotions_changed
from campaigns.locks import promotion_lock
from campaigns.models import Code, Promotion
from campaigns.services.codes import code_normalise
from campaigns.services.redemption import promotion_counters_recount, redemption_totals
from catalog.models import AttributeValue, Brand, Category, Product, ProductVariant
from customers.models import LoyaltyTier, Segment
from omni.errors import ValidationError
from omni.money import CURRENCIES, quantize
from omni.outbox import Event, outbox_record_many
from sales_channels.models import Channel

TOPIC_PROMOTION_CHANGED = "campaigns.promotion.changed"
# The merchant enters the window in Istanbul's time: a moment given without an offset is read so.
MERCHANT_TIMEZONE = ZoneInfo("Europe/Istanbul")
CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,39}$")
HUNDRED = Decimal(100)

Kind = Promotion.Kind
# The conditions, by field, and the model each id must name.
CONDITIONS: dict[str, type[models.Model]] = {
    "channels": Channel,
    "products": Product,
    "variants": ProductVariant,
    "categories": Category,
    "brands": Brand,
    "attribute_values": AttributeValue,
    "segments": Segment,
    "loyalty_tiers": LoyaltyTier,
}
SCALARS = (
    "name",
    "label_tr",
    "label_en",
    "kind",
    "target",
    "value",
    "currency",
    "config",
    "min_subtotal",
    "min_quantity",
    "first_order_only",
    "starts_at",
    "ends_at",
    "stacking",
    "priority",
    "requires_code",
    "is_active",
    "budget",
    "usage_limit",
    "per_customer_limit",
)
# The kinds a channel can show as a sale price: each line's own price changes.
LINE_PRICE_KINDS = frozenset({Kind.PERCENT, Kind.AMOUNT, Kind.FIXED_PRICE})


class PromotionFields(TypedDict, total=False):
    """What a promotion is made of, as promotion_create / promotion_update take it. A condition
    is a list of ids (or of the rows); `code` adds a named code (and makes the promotion need
    one)."""

    name: str
    label_tr: str
    label_en: str
    kind: str
    target: str
    value: Decimal | str | int
    currency: str
    config: dict[str, Any]
    channels: Iterable[Any]
    products: Iterable[Any]
    variants: Iterable[Any]
    categories: Iterable[Any]
    brands: Iterable[Any]
    attribute_values: Iterable[Any]
    segments: Iterable[Any]
    loyalty_tiers: Iterable[Any]
    min_subtotal: Decimal | str | int | None
    min_quantity: int | None
    first_order_only: bool
    starts_at: datetime | None
    ends_at: datetime | None
    stacking: str
    priority: int
    requires_code: bool
    is_active: bool
    budget: Decimal | str | int | None
    usage_limit: int | None
    per_customer_limit: int | None
    code: str
    code_usage_limit: int | None


DEFAULTS: dict[str, Any] = {
    "name": "",
    "label_tr": "",
    "label_en": "",
    "kind": "",
    "target": Promotion.Target.LINES,
    "value": Decimal(0),
    "currency": "TRY",
    "config": {},
    "min_subtotal": None,
    "min_quantity": None,
    "first_order_only": False,
    "starts_at": None,
    "ends_at": None,
    "stacking": Promotion.Stacking.COMBINABLE,
    "priority": 0,
    "requires_code": False,
    "is_active": True,
    "budget": None,
    "usage_limit": None,
    "per_customer_limit": None,
}


# --- validation -------------------------------------------------------------------------------


class _Errors(dict[str, list[str]]):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        value = str(value)
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(value) from None
    if not result.is_finite():
        raise ValueError(value)
    return result


def _positive_int(value: Any) -> int | None:
    """An int above 0 (not a bool, not a float), or None."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if number > 0 else None


def _aware(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, datetime):
        raise ValueError(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=MERCHANT_TIMEZONE)


def _ids(values: Iterable[Any]) -> list[int]:
    """A condition's ids from ids, their text or the rows themselves (a form's queryset)."""
    ids = []
    for value in values or ():
        pk = value.pk if isinstance(value, models.Model) else value
        if isinstance(pk, bool) or not isinstance(pk, int | str):
            raise ValueError(value)
        ids.append(int(pk))
    return sorted(set(ids))


def _current(promotion: Promotion) -> dict[str, Any]:
    data = {name: getattr(promotion, name) for name in SCALARS}
    for name in CONDITIONS:
        data[name] = sorted(row.pk for row in getattr(promotion, name).all())
    return data


def code_errors(code: str) -> list[str]:
    """What is wrong with a new code (its form, or taken, case-insensitively); [] when none."""
    normalised = code_normalise(code)
    if not CODE_PATTERN.match(normalised):
        return [
            _(
                "A code is 3 to 40 letters (A-Z), digits, hyphens or underscores, "
                "starting with a letter or digit."
            )
        ]
    if Code.objects.filter(code__iexact=normalised).exists():
        return [_("The code %(code)s is already taken.") % {"code": normalised}]
    return []


def promotion_clean(
    *, fields: Mapping[str, Any], promotion: Promotion | None = None
) -> dict[str, Any]:
    """The promotion that `fields` make (over `promotion`'s current values when one is
    changed), checked as a whole: every scalar and condition, normalised (ids sorted, amounts
    quantised, the window aware), or a ValidationError naming each bad field. The one set of
    rules of every surface (admin, API, services)."""
    if promotion is not None:
        base = _current(promotion)
    else:
        base = {**DEFAULTS, **{name: [] for name in CONDITIONS}}
    return _clean(fields=fields, base=base, promotion=promotion)


def _clean(
    *, fields: Mapping[str, Any], base: dict[str, Any], promotion: Promotion | None
) -> dict[str, Any]:
    data = dict(base)
    unknown = set(fields) - set(SCALARS) - set(CONDITIONS) - {"code", "code_usage_limit"}
    if unknown:
        raise TypeError(f"unknown promotion fields: {sorted(unknown)}")
    data.update({k: v for k, v in fields.items() if k not in ("code", "code_usage_limit")})
    errors = _Errors()
    _clean_text(data, errors)
    _clean_numbers(data, errors)
    _clean_window(data, errors)
    _clean_conditions(data, errors)
    _clean_kind(data, errors)
    _clean_currency(data, errors)
    if promotion is not None and (data["budget"] is not None or data["usage_limit"] is not None):
        uses, given = _used(promotion)
        if data["budget"] is not None and data["budget"] < given:
            errors.add("budget", _("The budget is below what the promotion has already given."))
        if data["usage_limit"] is not None and data["usage_limit"] < uses:
            errors.add("usage_limit", _("The limit is below the uses so far."))
    code = code_normalise(fields.get("code") or "")
    if code:
        for message in code_errors(code):
            errors.add("code", message)
        data["requires_code"] = True
    usage = fields.get("code_usage_limit")
    if usage not in (None, "") and _positive_int(usage) is None:
        errors.add("code_usage_limit", _("Enter a whole number above 0."))
    if errors:
        raise ValidationError(
            _("The promotion is not valid: see the fields."), code="invalid", fields=errors
        )
    data["code"] = code
    data["code_usage_limit"] = _positive_int(usage) if usage not in (None, "") else None
    return data


def _counted(promotion: Promotion) -> bool:
    """Whether the promotion's row counts its uses and what it gave (it has a limit or a
    budget); otherwise its redemptions are the count (campaigns.services.redemption)."""
    return promotion.budget is not None or promotion.usage_limit is not None


def _used(promotion: Promotion) -> tuple[int, Decimal]:
    """The promotion's uses and what it gave so far."""
    if _counted(promotion):
        return promotion.times_used, promotion.spent
    return redemption_totals(promotion_ids=[promotion.pk]).get(promotion.pk, (0, Decimal(0)))


def _clean_text(data: dict[str, Any], errors: _Errors) -> None:
    data["name"] = str(data.get("name") or "").strip()
    data["label_tr"] = str(data.get("label_tr") or "").strip()
    data["label_en"] = str(data.get("label_en") or "").strip()
    if not data["name"]:
        errors.add("name", _("Give the promotion a name."))
    if not data["label_tr"]:
        errors.add("label_tr", _("Write what the shopper reads, in Turkish."))
    for name, choices in (
        ("kind", Kind.values),
        ("target", Promotion.Target.values),
        ("stacking", Promotion.Stacking.values),
    ):
        if data.get(name) not in choices:
            errors.add(name, _("Choose one of: %(choices)s.") % {"choices": ", ".join(choices)})
    data["currency"] = str(data.get("currency") or "").upper()
    if data["currency"] not in CURRENCIES:
        errors.add("currency", _("Enter an ISO 4217 currency code (TRY, EUR, ...)."))
    for name in ("first_order_only", "requires_code", "is_active"):
        data[name] = bool(data.get(name))
    if not isinstance(data.get("config") or {}, dict):
        errors.add("config", _("The settings must be an object."))
        data["config"] = {}
    data["config"] = dict(data.get("config") or {})


def _clean_numbers(data: dict[str, Any], errors: _Errors) -> None:
    currency = data["currency"] if data["currency"] in CURRENCIES else "TRY"
    for name in ("value", "min_subtotal", "budget"):
        try:
            amount = _decimal(data.get(name))
        except ValueError:
            errors.add(name, _("Enter a number."))
            data[name] = None
            continue
        if amount is not None and amount < 0:
            errors.add(name, _("Enter a number that is not negative."))
        data[name] = None if amount is None else quantize(amount, currency)
    if data["value"] is None:
        data["value"] = Decimal(0)
    for name in ("min_quantity", "usage_limit", "per_customer_limit"):
        value = data.get(name)
        if value in (None, ""):
            data[name] = None
        elif _positive_int(value) is None:
            errors.add(name, _("Enter a whole number above 0."))
        else:
            data[name] = _positive_int(value)
    try:
        data["priority"] = int(data.get("priority") or 0)
    except (TypeError, ValueError):
        errors.add("priority", _("Enter a whole number."))


def _clean_window(data: dict[str, Any], errors: _Errors) -> None:
    for name in ("starts_at", "ends_at"):
        try:
            data[name] = _aware(data.get(name))
        except ValueError:
            errors.add(name, _("Enter a date and time."))
            data[name] = None
    if data["starts_at"] and data["ends_at"] and data["ends_at"] <= data["starts_at"]:
        errors.add("ends_at", _("The promotion must end after it starts."))


def _clean_conditions(data: dict[str, Any], errors: _Errors) -> None:
    """Each condition's ids name rows that exist (one query per condition given)."""
    for name, model in CONDITIONS.items():
        try:
            ids = _ids(data.get(name) or ())
        except (TypeError, ValueError):
            errors.add(name, _("Give a list of ids."))
            data[name] = []
            continue
        data[name] = ids
        if not ids:
            continue
        found = set(model._default_manager.filter(pk__in=ids).values_list("pk", flat=True))
        missing = [pk for pk in ids if pk not in found]
        if missing:
            errors.add(
                name,
                _("These do not exist: %(ids)s.") % {"ids": ", ".join(map(str, missing))},
            )


def _percent_errors(value: Any) -> str | None:
    try:
        number = _decimal(value)
    except ValueError:
        return _("Enter a number.")
    if number is None or number < 0 or number > HUNDRED:
        return _("A percentage is between 0 and 100.")
    return None


def _clean_kind(data: dict[str, Any], errors: _Errors) -> None:
    """The value and the settings each kind needs (Promotion.Kind's comments)."""
    kind, value, config = data.get("kind"), data["value"], data["config"]
    if kind in (Kind.PERCENT, Kind.SHIPPING):
        if value is not None and (value < 0 or value > HUNDRED):
            errors.add("value", _("A percentage is between 0 and 100."))
    elif kind == Kind.AMOUNT and value is not None and value <= 0:
        errors.add("value", _("Enter an amount above 0."))
    allowed: dict[str, frozenset[str]] = {
        Kind.BUY_X_GET_Y: frozenset({"buy", "get", "percent"}),
        Kind.BUNDLE: frozenset({"quantity", "pay", "price"}),
        Kind.TIERED: frozenset({"tiers"}),
        Kind.GIFT: frozenset({"variant", "quantity"}),
    }
    keys = allowed.get(str(kind), frozenset())
    for key in sorted(set(config) - keys):
        errors.add(f"config.{key}", _("Not a setting of this kind."))
    if kind == Kind.BUY_X_GET_Y:
        for key in ("buy", "get"):
            if _positive_int(config.get(key)) is None:
                errors.add(f"config.{key}", _("Enter a whole number above 0."))
            else:
                config[key] = int(config[key])
        percent = config.get("percent", 100)
        message = _percent_errors(percent)
        if message:
            errors.add("config.percent", message)
        else:
            config["percent"] = str(_decimal(percent))
    elif kind == Kind.BUNDLE:
        _clean_bundle(data, errors)
    elif kind == Kind.TIERED:
        _clean_tiers(data, errors)
    elif kind == Kind.GIFT:
        variant = _positive_int(config.get("variant"))
        if variant is None:
            errors.add("config.variant", _("Give the id of the gift variant."))
        elif not ProductVariant.objects.filter(pk=variant).exists():
            errors.add("config.variant", _("These do not exist: %(ids)s.") % {"ids": variant})
        else:
            config["variant"] = variant
        quantity = config.get("quantity", 1)
        if _positive_int(quantity) is None:
            errors.add("config.quantity", _("Enter a whole number above 0."))
        else:
            config["quantity"] = int(quantity)


def _clean_bundle(data: dict[str, Any], errors: _Errors) -> None:
    config = data["config"]
    quantity = _positive_int(config.get("quantity"))
    if quantity is None or quantity < 2:
        errors.add("config.quantity", _("A bundle is at least 2 items."))
    else:
        config["quantity"] = quantity
    if ("pay" in config) == ("price" in config):
        errors.add("config", _('Give either "pay" (3 for 2) or "price" (any 2 for 500).'))
        return
    if "pay" in config:
        pay = _positive_int(config["pay"])
        if pay is None or (quantity is not None and pay >= quantity):
            errors.add("config.pay", _("Pay for at least 1 item and fewer than the bundle."))
        else:
            config["pay"] = pay
        return
    try:
        price = _decimal(config["price"])
    except ValueError:
        price = None
    if price is None or price < 0:
        errors.add("config.price", _("Enter an amount that is not negative."))
    elif data["currency"] in CURRENCIES:
        config["price"] = str(quantize(price, data["currency"]))


def _clean_tiers(data: dict[str, Any], errors: _Errors) -> None:
    config = data["config"]
    tiers = config.get("tiers")
    if not isinstance(tiers, list) or not tiers:
        errors.add("config.tiers", _('Give the tiers: [{"from": "500", "percent": "10"}, ...].'))
        return
    cleaned, previous = [], None
    for index, tier in enumerate(tiers):
        where = f"config.tiers.{index}"
        if not isinstance(tier, dict) or set(tier) != {"from", "percent"}:
            errors.add(where, _('A tier is {"from": amount, "percent": number}.'))
            continue
        try:
            start = _decimal(tier["from"])
        except ValueError:
            start = None
        if start is None or start <= 0:
            errors.add(f"{where}.from", _("Enter an amount above 0."))
            continue
        if previous is not None and start <= previous:
            errors.add(f"{where}.from", _("Each tier starts above the one before."))
        previous = start
        message = _percent_errors(tier["percent"])
        if message:
            errors.add(f"{where}.percent", message)
            continue
        currency = data["currency"] if data["currency"] in CURRENCIES else "TRY"
        cleaned.append(
            {"from": str(quantize(start, currency)), "percent": str(_decimal(tier["percent"]))}
        )
    config["tiers"] = cleaned


def _holds_money(data: Mapping[str, Any]) -> bool:
    kind, config = data.get("kind"), data["config"]
    return (
        kind in (Kind.AMOUNT, Kind.FIXED_PRICE, Kind.TIERED)
        or (kind == Kind.BUNDLE and "price" in config)
        or data["min_subtotal"] is not None
        or data["budget"] is not None
    )


def _clean_currency(data: dict[str, Any], errors: _Errors) -> None:
    """An amount is in the promotion's currency: every channel it runs on (all, when none is
    chosen) must sell in that currency."""
    if not _holds_money(data) or "currency" in errors or "channels" in errors:
        return
    channels = Channel.objects.exclude(currency=data["currency"])
    if data["channels"]:
        channels = channels.filter(pk__in=data["channels"])
    other = list(channels.order_by("code").values_list("code", "currency")[:5])
    if other:
        errors.add(
            "currency",
            _(
                "The amounts are in %(currency)s but these channels sell in another currency: "
                "%(channels)s. Choose channels that sell in %(currency)s."
            )
            % {
                "currency": data["currency"],
                "channels": ", ".join(f"{code} ({cur})" for code, cur in other),
            },
        )


# --- the event ----------------------------------------------------------------------------------


def sets_prices(promotion: Promotion | Mapping[str, Any], conditions: Mapping[str, Any]) -> bool:
    """Whether the promotion changes what its channels sell at, for everyone: automatic (no
    code), a line discount of percent, amount or fixed price, and conditional on neither the
    customer (segments, tiers, first order), the cart (a minimum subtotal, a minimum quantity
    above 1) nor its uses (a budget, a total or per-customer limit: the sale price would outlive
    them). Only such a promotion can be a channel's sale price (campaigns.channel_prices keeps
    the same rule)."""
    get = promotion.get if isinstance(promotion, Mapping) else lambda n: getattr(promotion, n)
    min_quantity = get("min_quantity")
    return (
        not get("requires_code")
        and get("kind") in LINE_PRICE_KINDS
        and get("target") == Promotion.Target.LINES
        and not conditions.get("segments")
        and not conditions.get("loyalty_tiers")
        and not get("first_order_only")
        and get("min_subtotal") is None
        and (min_quantity is None or min_quantity <= 1)
        and get("budget") is None
        and get("usage_limit") is None
        and get("per_customer_limit") is None
    )


def _live_channels(
    promotion: Promotion | Mapping[str, Any], conditions: Mapping[str, Any]
) -> set[int] | None:
    """The channels whose prices the promotion sets now (None: all of them; empty: none)."""
    get = promotion.get if isinstance(promotion, Mapping) else lambda n: getattr(promotion, n)
    if not get("is_active") or not sets_prices(promotion, conditions):
        return set()
    return set(conditions["channels"]) or None


def _when(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _record_changed(
    *, promotion: Promotion, before: set[int] | None, data: Mapping[str, Any]
) -> None:
    """One "campaigns.promotion.changed" event per channel whose prices the change touches: the
    channels it set prices on before and those it sets them on now. Payload: the promotion's
    id, its channels (ids, or "all"), whether it sets prices now (`active`) and its window."""
    after = _live_channels(data, data)
    channel_ids = data["channels"]
    if before == set() and after == set():
        return
    if before is None or after is None:
        touched = list(Channel.objects.order_by("pk").values_list("pk", flat=True))
    else:
        touched = sorted(before | after)
    payload = {
        "promotion": promotion.pk,
        "channels": sorted(channel_ids) if channel_ids else "all",
        "active": after != set(),
        "starts_at": _when(promotion.starts_at),
        "ends_at": _when(promotion.ends_at),
    }
    # The version only grows: the relay keeps the newest event of a key per endpoint.
    version = int(timezone.now().timestamp() * 1_000_000)
    outbox_record_many(
        Event(
            topic=TOPIC_PROMOTION_CHANGED,
            key=f"promotion:{promotion.pk}",
            payload=payload,
            version=version,
            channel_id=channel_id,
        )
        for channel_id in touched
    )


def _engine_changed() -> None:
    """Tell the engine its promotions changed: it forgets what this process holds (safe inside
    the transaction; its signals do the same on a save, this says it for every write)."""
    promotions_changed()


# --- writes -------------------------------------------------------------------------------------


def _write(
    *, promotion: Promotion, data: Mapping[str, Any], before: set[int] | None, creating: bool
) -> Promotion:
    for name in SCALARS:
        setattr(promotion, name, data[name])
    if creating:
        promotion.save()
    else:
        promotion.save(update_fields=[*SCALARS, "label", "updated_at"])
    for name in CONDITIONS:
        getattr(promotion, name).set(data[name])
    if data.get("code"):
        _code_insert(
            promotion=promotion, code=data["code"], usage_limit=data.get("code_usage_limit")
        )
    _record_changed(promotion=promotion, before=before, data=data)
    _engine_changed()
    return promotion


def _code_insert(
    *,
    promotion: Promotion,
    code: str,
    usage_limit: int | None = None,
    per_customer_limit: int | None = None,
) -> Code:
    try:
        with transaction.atomic():
            return Code.objects.create(
                promotion=promotion,
                code=code,
                usage_limit=usage_limit,
                per_customer_limit=per_customer_limit,
            )
    except IntegrityError:  # the same code saved at the same time
        raise ValidationError.for_field(
            "code", _("The code %(code)s is already taken.") % {"code": code}, code="code_taken"
        ) from None


def promotion_create(*, actor: User | None = None, **fields: Unpack[PromotionFields]) -> Promotion:
    """A new promotion (checked by promotion_clean), with its conditions and, given `code`, its
    first named code; its channels hear of it when it sets their prices."""
    data = promotion_clean(fields=fields)
    with transaction.atomic():
        promotion = Promotion(created_by=actor)
        return _write(promotion=promotion, data=data, before=set(), creating=True)


def _locked(promotion: Promotion) -> tuple[Promotion, dict[str, Any], set[int] | None]:
    """The promotion locked for the change, what it is now, and the channels whose prices it
    set before."""
    locked = promotion_lock(promotion_id=promotion.pk)
    current = _current(locked)
    return locked, current, _live_channels(current, current)


def promotion_update(*, promotion: Promotion, **fields: Unpack[PromotionFields]) -> Promotion:
    """Change what is given of a promotion (the rest stays), checked as a whole. A change to
    what it already is writes and records nothing."""
    with transaction.atomic():
        locked, current, before = _locked(promotion)
        data = _clean(fields=fields, base=current, promotion=locked)
        if not data["code"] and all(data[name] == current[name] for name in current):
            return locked
        counted = _counted(locked)
        _write(promotion=locked, data=data, before=before, creating=False)
        if not counted and _counted(locked):
            # A limit or a budget set now: the row starts counting from the redemptions.
            promotion_counters_recount(promotion_id=locked.pk)
            locked.refresh_from_db(fields=["times_used", "spent"])
        return locked


def promotion_schedule(
    *, promotion: Promotion, starts_at: datetime | None, ends_at: datetime | None
) -> Promotion:
    """Set the window (Istanbul's time when no offset is given); None leaves that end open."""
    return promotion_update(promotion=promotion, starts_at=starts_at, ends_at=ends_at)


def promotion_pause(*, promotion: Promotion) -> Promotion:
    """Stop the promotion applying (its window and codes stay)."""
    return promotion_update(promotion=promotion, is_active=False)


def promotion_resume(*, promotion: Promotion) -> Promotion:
    return promotion_update(promotion=promotion, is_active=True)


def promotion_copy(*, promotion: Promotion, actor: User | None = None) -> Promotion:
    """A copy to edit and start later: the same benefit, conditions and window, paused, with no
    codes, no uses and nothing spent."""
    source = Promotion.objects.get(pk=promotion.pk)
    fields: dict[str, Any] = _current(source)
    fields["name"] = _("%(name)s (copy)") % {"name": source.name}
    fields["name"] = fields["name"][: Promotion._meta.get_field("name").max_length]
    fields["is_active"] = False
    return promotion_create(actor=actor, **fields)


def code_create(
    *,
    promotion: Promotion,
    code: str,
    usage_limit: int | None = None,
    per_customer_limit: int | None = None,
) -> Code:
    """A named code ("ACILIS2026") for the promotion, stored upper case; a code taken by any
    promotion (in any case) is refused. The promotion then needs a code."""
    errors = _Errors()
    for message in code_errors(code):
        errors.add("code", message)
    for name, value in (("usage_limit", usage_limit), ("per_customer_limit", per_customer_limit)):
        if value is not None and _positive_int(value) is None:
            errors.add(name, _("Enter a whole number above 0."))
    if errors:
        raise ValidationError(_("The code is not valid: see the fields."), fields=errors)
    with transaction.atomic():
        locked, current, before = _locked(promotion)
        created = _code_insert(
            promotion=locked,
            code=code_normalise(code),
            usage_limit=usage_limit,
            per_customer_limit=per_customer_limit,
        )
        if not locked.requires_code:
            locked.requires_code = True
            locked.save(update_fields=["requires_code", "updated_at"])
            _record_changed(
                promotion=locked, before=before, data={**current, "requires_code": True}
            )
            _engine_changed()
    return created
