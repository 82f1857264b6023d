from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
