from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import throttle
from accounts.locks import user_lock
from accounts.models import DeviceToken, User, device_tokens_revoke_all, normalize_email
from omni.errors import NotFound, ValidationError

# Merchant staff get their rights through these groups (and Django permissions on each model).
# Codenames of apps that do not exist yet are skipped, so this can grow with the platform.
ROLE_GROUPS: dict[str, list[str]] = {
    "Catalog managers": [
        "catalog.add_product", "catalog.change_product", "catalog.delete_product",
        "catalog.view_product", "catalog.add_productvariant", "catalog.change_productvariant",
        "catalog.delete_productvariant", "catalog.view_productvariant",
        "catalog.add_variantchannelprice", "catalog.change_variantchannelprice",
        "catalog.delete_variantchannelprice", "catalog.view_variantchannelprice",
        "catalog.add_productchannellisting", "catalog.change_productchannellisting",
        "catalog.view_productchannellisting", "catalog.add_category", "catalog.change_category",
        "catalog.view_category", "catalog.add_productimage", "catalog.change_productimage",
        "catalog.delete_productimage", "catalog.view_productimage", "catalog.view_brand",
        "catalog.add_brand", "catalog.change_brand", "catalog.view_attribute",
        "catalog.add_attribute", "catalog.change_attribute", "catalog.view_attributevalue",
        "catalog.add_attributevalue", "catalog.change_attributevalue", "catalog.view_taxclass",
        "sales_channels.view_channel",
    ],
    "Channel managers": [
        "sales_channels.add_channel", "sales_channels.change_channel",
        "sales_channels.view_channel",
    ],
    "Segment managers": [
        "customers.view_segment", "customers.add_segment", "customers.change_segment",
        "customers.delete_segment",
    ],
}  # fmt: skip


def user_create(
    *,
    email: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    language: str = "tr",
    role: str = User.Role.CUSTOMER,
) -> User:
    email = normalize_email(email)
    user = User(
        email=email,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
        language=language,
        role=role,
        is_staff=role == User.Role.MERCHANT_STAFF,
    )
    if password is not None:
        try:
            validate_password(password, user=user)
        except DjangoValidationError as exc:
            raise ValidationError(fields={"password": exc.messages}) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ValidationError.for_field(
            "email", _("An account with this e-mail address already exists."), code="email_taken"
        ) from exc
    return user


def user_authenticate(*, email: str, password: str, request: HttpRequest) -> User:
    """Every way in signs in here (the API, the storefront, the browser pages, the admin), so
    one throttling policy guards them all: Throttled before the password is tried when this
    client has failed too often for this account, and a failure is counted (accounts.throttle).
    """
    throttle.sign_in_allow(request, email=email)
    user = authenticate(request, username=normalize_email(email), password=password)
    if user is None:
        throttle.sign_in_failed(request, email=email)
        raise ValidationError(
            _("The e-mail address or the password is wrong."), code="invalid_credentials"
        )
    return user


def auth_token_issue(
    *, user: User, device_id: str = "", device_name: str = "", user_agent: str = ""
) -> tuple[DeviceToken, str]:
    """Sign a device in: a new token, returned this once (the database keeps its digest). A
    sign-in from the same app install replaces that install's token; the user's expired tokens
    go at the same time."""
    now = timezone.now()
    with transaction.atomic():
        if device_id:
            # Two sign-ins from one install at once: the second waits, then replaces the first.
            user_lock(user.pk)
        stale = models.Q(expiry__lte=now)
        if device_id:
            stale |= models.Q(device_id=device_id)
        DeviceToken.objects.filter(stale, user=user).delete()
        token, key = DeviceToken.objects.create(
            user=user,
            device_id=device_id,
            name=device_name,
            user_agent=user_agent.replace("\x00", "")[:256],
            last_used=now,
        )
    return token, key


def auth_token_revoke(*, token: DeviceToken) -> None:
    """Sign this one device out."""
    DeviceToken.objects.filter(pk=token.pk).delete()


def device_revoke(*, user: User, pk: int) -> None:
    """Sign one of the user's devices out; someone else's device is not found."""
    deleted, _by_model = DeviceToken.objects.filter(pk=pk, user=user).delete()
    if not deleted:
        raise NotFound(_("No such device."))


def auth_tokens_revoke_all(*, user: User) -> int:
    """Sign the user out of every device (also on each new password: User.save)."""
    return device_tokens_revoke_all(user_id=user.pk)


def device_tokens_prune() -> int:
    """Delete expired tokens (they are refused anyway): the daily beat."""
    deleted, _by_model = DeviceToken.objects.filter(expiry__lte=timezone.now()).delete()
    return deleted


def roles_sync() -> dict[str, int]:
    """Create the merchant staff groups with their permissions; safe to run again."""
    result = {}
    for name, codenames in ROLE_GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        perms = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm:
                perms.append(perm)
        group.permissions.set(perms)
        result[name] = len(perms)
    return result


def user_update_profile(*, user: User, **fields: str) -> User:
    allowed = {"first_name", "last_name", "phone", "language"}
    changed = [
        name for name, value in fields.items() if name in allowed and getattr(user, name) != value
    ]
    for name in changed:
        setattr(user, name, fields[name])
    if changed:
        user.save(update_fields=changed)
    return user
