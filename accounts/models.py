from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS


def normalize_email(email: str) -> str:
    """E-mail addresses are compared case-insensitively: one person, one account."""
    return (email or "").strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalize_email(username or ""))

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("an e-mail address is required")
        user = self.model(email=normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True, role=User.Role.MERCHANT_STAFF)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who signs in: shoppers, store staff and merchant staff. Sign-in is by e-mail.

    A shopper's commercial profile (addresses, consents, timeline) is the CRM's customer, which
    may exist before, or without, an account (a walk-in customer known by phone).
    """

    class Role(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        STORE_STAFF = "store_staff", _("Store staff")
        MERCHANT_STAFF = "merchant_staff", _("Merchant staff")

    email = models.EmailField(_("e-mail address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CUSTOMER)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="tr"
    )
    # Store staff work at one or more stores; each store is a sales channel of its own.
    stores = models.ManyToManyField(
        "sales_channels.Channel",
        blank=True,
        related_name="staff",
        limit_choices_to={"kind": "store"},
        verbose_name=_("stores"),
    )
    is_staff = models.BooleanField(
        _("admin access"), default=False, help_text=_("Can sign in to the merchant admin.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def set_unusable_password(self) -> None:
        super().set_unusable_password()
        self._password_unset = True

    def save(self, *args, **kwargs) -> None:
        # A new password signs the user out of every device. This is the one place every way
        # of setting one ends (the password change and reset forms, the admin, createsuperuser
        # and changepassword, services): each calls set_password() and then save(), as Django's
        # own password_changed() hook assumes; a hash upgrade at sign-in clears _password first,
        # so it is no change. Sessions already end by their password hash.
        update_fields = kwargs.get("update_fields")
        password_changed = (
            not self._state.adding
            and (self._password is not None or getattr(self, "_password_unset", False))
            and (update_fields is None or "password" in update_fields)
        )
        super().save(*args, **kwargs)
        if password_changed:
            self._password_unset = False
            device_tokens_revoke_all(user_id=self.pk)

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name

    @property
    def is_merchant_staff(self) -> bool:
        return self.is_active and (self.is_superuser or self.role == self.Role.MERCHANT_STAFF)

    @property
    def is_store_staff(self) -> bool:
        return self.is_active and self.role == self.Role.STORE_STAFF


class DeviceToken(AbstractAuthToken):
    """The API token of one signed-in device or app install: django-rest-knox's hashed token,
    of which the database keeps the SHA-512 digest and the first characters to find it by,
    never the token itself. It expires after OMNI_TOKEN_TTL_DAYS without use (each use slides
    it, omni.api.auth) and is revoked on sign-out, by its owner, or by a new password."""

    # knox keys its tokens by their digest; an id of their own names a device in a URL without
    # showing anything derived from the secret.
    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH)
    device_id = models.CharField(
        _("app install"),
        max_length=64,
        blank=True,
        help_text=_("The app install id sent at sign-in; a new sign-in from it replaces it."),
    )
    name = models.CharField(_("device name"), max_length=100, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=256, blank=True)
    # Written with the sliding expiry, so to within knox's MIN_REFRESH_INTERVAL.
    last_used = models.DateTimeField(_("last used"), default=timezone.now)

    class Meta:
        verbose_name = _("signed-in device")
        verbose_name_plural = _("signed-in devices")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "device_id"],
                condition=~models.Q(device_id=""),
                name="accounts_devicetoken_one_per_install",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.name or self.user_agent or self.pk}"


def device_tokens_revoke_all(*, user_id: int) -> int:
    """Sign a user out of every device: the one rule behind accounts.services'
    auth_tokens_revoke_all and a new password (User.save), so it lives with the models."""
    deleted, _by_model = DeviceToken.objects.filter(user_id=user_id).delete()
    return deleted
