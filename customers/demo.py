"""Demo CRM profiles for Moda Ev: several hundred people who shop on the web, in the app, at the
three stores and on Trendyol, some with an account and some as guests, with their identities
and a year of consent decisions (given, some withdrawn). Orders' demo step gives them their
orders, returns, carts and behaviour (orders.demo_history).

Written in bulk, as an import would: a few statements for all of them, so seed_demo stays quick.
Each row is what the services would have written (identities normalised, one decision per
change, IYS push state recorded); it runs once: a second run finds the profiles and adds none.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from customers.identity import LOYALTY_PREFIX, ean13_check_digit
from customers.loyalty.demo import loyalty_demo_seed
from customers.models import (
    ConsentDecision,
    ConsentSource,
    ConsentStatus,
    ConsentType,
    Customer,
    CustomerIdentity,
    IdentityKind,
    PushState,
)
from omni.seeding import DemoRun
from sales_channels.models import Channel

# accounts: the demo customer gets a welcome gift of loyalty points.
SEED_AFTER = ("accounts", "sales_channels")

HOW_MANY = 300
EMAIL_DOMAIN = "musteri.modaev.test"  # every demo profile's address ends so
SEED = 2026

FIRST_NAMES = [
    "Ayşe",
    "Fatma",
    "Zeynep",
    "Elif",
    "Emine",
    "Hatice",
    "Merve",
    "Büşra",
    "Esra",
    "Özge",
    "Selin",
    "Ece",
    "Deniz",
    "Gizem",
    "Ebru",
    "Mehmet",
    "Mustafa",
    "Ahmet",
    "Ali",
    "Hüseyin",
    "Hasan",
    "İbrahim",
    "Murat",
    "Emre",
    "Burak",
    "Can",
    "Kerem",
    "Onur",
    "Cem",
    "Tolga",
]
LAST_NAMES = [
    "Yılmaz",
    "Kaya",
    "Demir",
    "Şahin",
    "Çelik",
    "Yıldız",
    "Yıldırım",
    "Öztürk",
    "Aydın",
    "Özdemir",
    "Arslan",
    "Doğan",
    "Kılıç",
    "Aslan",
    "Çetin",
    "Kara",
    "Koç",
    "Kurt",
    "Özkan",
    "Şimşek",
    "Polat",
    "Erdoğan",
    "Güneş",
    "Aksoy",
    "Tekin",
    "Korkmaz",
    "Bulut",
]
CITIES = ("İstanbul", "İstanbul", "İstanbul", "Ankara", "Ankara", "İzmir", "İzmir", "Bursa")
# Where people first met the retailer, weighted.
FIRST_CHANNELS = (
    ("web", 30),
    ("app", 25),
    ("store-kadikoy", 12),
    ("store-kizilay", 8),
    ("store-alsancak", 8),
    ("trendyol", 17),
)
TEXT_VERSIONS = {
    ConsentSource.WEB: "web-2026-01-tr",
    ConsentSource.APP: "app-2026-01-tr",
    ConsentSource.STORE: "magaza-2026-01",
}


@dataclass(frozen=True)
class DemoPerson:
    """What orders' demo step needs of each demo profile."""

    customer_id: int
    first_channel: str
    since: dt.datetime
    city: str


def _ascii(text: str) -> str:
    table = str.maketrans("çğıöşüÇĞİÖŞÜ", "cgiosuCGIOSU")
    return text.translate(table).lower()


def _weighted(rng: random.Random, pairs) -> str:
    names, weights = zip(*pairs, strict=True)
    return rng.choices(names, weights=weights)[0]


def seed(channels: dict[str, Channel], *, how_many: int = HOW_MANY) -> list[DemoPerson]:
    """The demo profiles, created on the first run; their people on every run."""
    existing = Customer.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")
    if not existing.exists():
        with transaction.atomic():
            _create(channels, how_many=how_many)
    by_id = {c.pk: c for c in channels.values()}
    return [
        DemoPerson(
            customer_id=pk,
            first_channel=by_id[channel_id].code if channel_id in by_id else "web",
            since=created_at,
            city=CITIES[pk % len(CITIES)],
        )
        for pk, channel_id, created_at in existing.order_by("id").values_list(
            "id", "first_channel_id", "created_at"
        )
    ]


def _create(channels: dict[str, Channel], *, how_many: int) -> None:
    rng = random.Random(SEED)  # noqa: S311 (demo data, not a secret)
    now = timezone.now()
    password = make_password(None)  # no demo profile signs in; the demo customer does
    people = []
    for n in range(how_many):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{_ascii(first)}.{_ascii(last)}.{n + 1}@{EMAIL_DOMAIN}"
        # Unique for every n (104729 is prime to 10**8), and not a run of zeros.
        phone = f"+905{rng.choice('0345')}{(n * 104729 + 5_550_123) % 10**8:08d}"
        since = now - dt.timedelta(days=rng.uniform(5, 365), minutes=rng.randint(0, 1440))
        people.append((first, last, email, phone, since, _weighted(rng, FIRST_CHANNELS)))
    # Two people in three signed up; the rest shop as guests (the web's guest checkout, a
    # store's walk-in customer known by phone, a Trendyol buyer).
    users = User.objects.bulk_create(
        [
            User(
                email=email,
                first_name=first,
                last_name=last,
                phone=phone,
                password=password,
                date_joined=since,
            )
            for n, (first, last, email, phone, since, _c) in enumerate(people)
            if n % 3 != 2
        ]
    )
    accounts = {user.email: user for user in users}
    customers = Customer.objects.bulk_create(
        [
            Customer(
                user=accounts.get(email),
                email=email,
                phone=phone,
                first_name=first,
                last_name=last,
                first_channel=channels[channel],
                created_at=since,
            )
            for first, last, email, phone, since, channel in people
        ]
    )
    if not all(c.pk for c in customers):  # a backend that does not return ids
        customers = list(Customer.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").order_by("id"))
    CustomerIdentity.objects.bulk_create(_identities(rng, customers, people))
    clerk = User.objects.filter(role=User.Role.STORE_STAFF).order_by("id").first()
    ConsentDecision.objects.bulk_create(_consents(rng, customers, people, now, clerk))


def _identities(rng: random.Random, customers, people) -> list[CustomerIdentity]:
    rows = []
    for n, (customer, (_f, _l, email, phone, since, channel)) in enumerate(
        zip(customers, people, strict=True)
    ):
        verified = since if customer.user_id else None
        rows.append(
            CustomerIdentity(
                customer=customer,
                kind=IdentityKind.EMAIL,
                value=email,
                verified_at=verified,
                created_at=since,
            )
        )
        rows.append(
            CustomerIdentity(
                customer=customer,
                kind=IdentityKind.PHONE,
                value=phone,
                verified_at=verified if rng.random() < 0.7 else None,
                created_at=since,
            )
        )
        if channel.startswith("store-") or rng.random() < 0.25:
            body = f"{LOYALTY_PREFIX}{n + 1:010d}"
            rows.append(
                CustomerIdentity(
                    customer=customer,
                    kind=IdentityKind.LOYALTY_CARD,
                    value=body + ean13_check_digit(body),
                    verified_at=since,
                    created_at=since,
                )
            )
        if channel == "trendyol":
            rows.append(
                CustomerIdentity(
                    customer=customer,
                    kind=IdentityKind.MARKETPLACE_BUYER,
                    marketplace="trendyol",
                    value=str(70_000_000 + n * 37),
                    created_at=since,
                )
            )
    return rows


def _consents(
    rng: random.Random, customers, people, now: dt.datetime, clerk: User | None
) -> list[ConsentDecision]:
    """About half give e-mail consent, fewer SMS, few calls; one in five later withdraws."""
    chances = {ConsentType.EPOSTA: 0.55, ConsentType.MESAJ: 0.35, ConsentType.ARAMA: 0.1}
    rows = []
    for customer, (_f, _l, email, phone, since, channel) in zip(customers, people, strict=True):
        source = (
            ConsentSource.STORE
            if channel.startswith("store-")
            else ConsentSource.APP
            if channel == "app"
            else ConsentSource.WEB
        )
        for consent_type, chance in chances.items():
            if rng.random() >= chance:
                continue
            recipient = email if consent_type == ConsentType.EPOSTA else phone
            given_at = since + dt.timedelta(minutes=rng.randint(1, 60))
            if source == ConsentSource.STORE and clerk is None:
                continue  # a consent taken in a store names the staff member
            decision = _decision(customer, consent_type, recipient, source, given_at, True)
            decision.recorded_by = clerk if source == ConsentSource.STORE else None
            rows.append(decision)
            if rng.random() < 0.2:
                withdrawn_at = given_at + (now - given_at) * rng.uniform(0.2, 0.9)
                rows.append(
                    _decision(customer, consent_type, recipient, ConsentSource.WEB, withdrawn_at)
                )
    return rows


def _decision(customer, consent_type, recipient, source, at, given=False) -> ConsentDecision:
    return ConsentDecision(
        customer=customer,
        type=consent_type,
        status=ConsentStatus.ONAY if given else ConsentStatus.RET,
        recipient=recipient,
        source=source,
        decided_at=at,
        text_version=TEXT_VERSIONS.get(source, "") if given else "",
        ip_address=None if source == ConsentSource.STORE else "203.0.113.10",
        created_at=at,
        push_state=PushState.SENT,
        push_due_at=at + dt.timedelta(days=3),
        pushed_at=at + dt.timedelta(minutes=5),
    )


def seed_demo(run: DemoRun) -> None:
    """seed_demo's step (omni.seeding): the CRM's profiles, left for orders' step."""
    people = seed(run.made["channels"])
    run.made["crm_people"] = people
    run.write(f"Customers: {len(people)} demo profiles with identities and consents.")
    for line in loyalty_demo_seed():
        run.write(line)
