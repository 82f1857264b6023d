"""Demo logins, one per kind of user. The passwords are printed by seed_demo."""

from django.db import transaction

from accounts.models import User
from accounts.services import roles_sync
from omni.seeding import DemoRun

SEED_AFTER = ("sales_channels",)  # store staff work at the demo stores

DEMO_PASSWORD = "omni-demo-2026"  # noqa: S105 (a demo login, printed on purpose)

USERS = [
    ("merchant@omni.test", "Merve", "Yılmaz", User.Role.MERCHANT_STAFF, True, []),
    ("kasa.kadikoy@omni.test", "Kerem", "Demir", User.Role.STORE_STAFF, False, ["store-kadikoy"]),
    (
        "mudur.istanbul@omni.test",
        "Selin",
        "Aydın",
        User.Role.STORE_STAFF,
        False,
        ["store-kadikoy", "store-kizilay"],
    ),
    ("musteri@omni.test", "Ayşe", "Kaya", User.Role.CUSTOMER, False, []),
]


def seed(channels) -> list[tuple[str, str, str]]:
    roles_sync()
    logins = []
    for email, first, last, role, superuser, stores in USERS:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email,
                DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                role=role,
                is_staff=role == User.Role.MERCHANT_STAFF,
                is_superuser=superuser,
            )
        if stores:
            user.stores.set([channels[code] for code in stores])
        logins.append((role, email, DEMO_PASSWORD))
    return logins


def seed_demo(run: DemoRun) -> None:
    """seed_demo's step (omni.seeding): the logins, printed at the end of the report."""
    with transaction.atomic():
        logins = seed(run.made["channels"])
    run.close_with(
        "Demo logins:", [f"  {role:<15} {email:<26} {password}" for role, email, password in logins]
    )
