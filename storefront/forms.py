from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts import forms as accounts_forms
from customers.models import Address
from orders.models import Order, ReturnLine
from orders.services.carts import MAX_LINE_QUANTITY
from orders.services.checkout import SHOPPER_DELIVERIES


class SignInForm(accounts_forms.SignInForm):
    """The shopper's sign-in: its e-mail field is the account's "username" for password
    managers (Chromium says so on the console of a sign-in whose e-mail field says "email").
    The staff's sign-in (accounts.views) keeps its own: there, Chromium's password manager at
    work after signing in disturbed the offline till's journey (tests/e2e/test_staff_offline)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs["autocomplete"] = "username"


class SignUpForm(accounts_forms.SignUpForm):
    """The shopper's sign-up, its fields named for password managers as above."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        autocomplete = {"email": "username", "first_name": "given-name", "last_name": "family-name"}
        for name, value in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = value


class AddToCartForm(forms.Form):
    sku = forms.CharField(label=_("Option"), max_length=64)
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_LINE_QUANTITY, initial=1
    )


class PromotionCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Discount code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:  # shown bound only when refused: its message describes the field
            self.fields["code"].widget.attrs["aria-describedby"] = "code-error"


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=0, max_value=MAX_LINE_QUANTITY)


class AddressFields(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    address_phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    line1 = forms.CharField(
        label=_("Address"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    line2 = forms.CharField(
        label=_("Address (continued)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    district = forms.CharField(label=_("District"), max_length=80, required=False)
    city = forms.CharField(
        label=_("City"),
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level1"}),
    )
    postal_code = forms.CharField(
        label=_("Postal code"), max_length=12, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )  # fmt: skip

    def address(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            "full_name": data.get("full_name", ""),
            "phone": data.get("address_phone", ""),
            "line1": data.get("line1", ""),
            "line2": data.get("line2", ""),
            "district": data.get("district", ""),
            "city": data.get("city", ""),
            "postal_code": data.get("postal_code", ""),
            "country": "TR",
        }


# Field names the order services use for the address, and this form's.
ADDRESS_ERROR_FIELDS = {
    "full_name": "full_name",
    "phone": "address_phone",
    "line1": "line1",
    "line2": "line2",
    "district": "district",
    "city": "city",
    "postal_code": "postal_code",
    "country": "city",
}


class CheckoutForm(AddressFields):
    """Contact, delivery (home, or click and collect at a store: ship from store is the
    merchant's way of fulfilling, not a shopper's choice) and address. Which fields a delivery
    needs is checked by orders.services.checkout.delivery_build, whose field errors are shown
    on these fields."""

    email = forms.EmailField(
        label=_("E-mail address"), required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )  # fmt: skip
    phone = forms.CharField(
        label=_("Phone for delivery updates"), max_length=32, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )  # fmt: skip
    delivery = forms.ChoiceField(
        label=_("Delivery"), widget=forms.RadioSelect, initial=Order.Delivery.HOME,
        choices=[(v, label) for v, label in Order.Delivery.choices if v in SHOPPER_DELIVERIES],
    )  # fmt: skip
    shipping_method = forms.ChoiceField(
        label=_("Shipping method"), required=False, widget=forms.RadioSelect
    )
    pickup_location = forms.ChoiceField(
        label=_("Store to collect from"), required=False, widget=forms.RadioSelect
    )
    save_address = forms.BooleanField(label=_("Save this address"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=120)

    def __init__(self, *args, guest: bool, methods: list[dict], stores: list[dict], **kwargs):
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", str(uuid.uuid4()))
        super().__init__(*args, **kwargs)
        self.guest = guest
        self.fields["shipping_method"].choices = [(m["code"], m["code"]) for m in methods]
        self.fields["pickup_location"].choices = [(s["code"], s["code"]) for s in stores]
        if guest:
            self.fields["email"].required = True
            del self.fields["save_address"]

    def place_values(self) -> dict:
        """What identifies the order request (the Idempotency-Key's fingerprint)."""
        data = dict(self.cleaned_data)
        data.pop("idempotency_key", None)
        data.pop("save_address", None)
        return data


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = [
            "label",
            "full_name",
            "phone",
            "line1",
            "line2",
            "district",
            "city",
            "postal_code",
            "is_default",
        ]


class ProfileForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    phone = forms.CharField(
        label=_("Phone"), max_length=32, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )  # fmt: skip
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class ReturnForm(forms.Form):
    """One quantity and reason per returnable line of the order."""

    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, returnable: list[tuple], **kwargs):
        super().__init__(*args, **kwargs)
        self.returnable = returnable
        for line, left in returnable:
            self.fields[f"qty_{line.pk}"] = forms.TypedChoiceField(
                label=_("How many of %(name)s")
                % {"name": f"{line.product_name} {line.variant_name}"},
                choices=[(n, n) for n in range(left + 1)],
                coerce=int,
                initial=0,
            )
            self.fields[f"reason_{line.pk}"] = forms.ChoiceField(
                label=_("Why"), choices=ReturnLine.Reason.choices, required=False
            )

    def line_fields(self):
        for line, _left in self.returnable:
            yield line, self[f"qty_{line.pk}"], self[f"reason_{line.pk}"]

    def lines(self) -> list[dict]:
        wanted = []
        for line, _left in self.returnable:
            quantity = self.cleaned_data.get(f"qty_{line.pk}") or 0
            if quantity:
                wanted.append(
                    {
                        "order_line_id": line.pk,
                        "quantity": quantity,
                        "reason": self.cleaned_data.get(f"reason_{line.pk}") or "",
                    }
                )
        return wanted


# --- consents and personal data (KVKK) ------------------------------------------------------


class ConsentsForm(forms.Form):
    """The shopper's consent to commercial messages, one box per channel (IYS's EPOSTA, MESAJ,
    ARAMA), as an individual. Ticking gives, clearing withdraws: the same one step."""

    EPOSTA = forms.BooleanField(label=_("E-mail"), required=False)
    MESAJ = forms.BooleanField(label=_("SMS"), required=False)
    ARAMA = forms.BooleanField(label=_("Phone call"), required=False)


class DataRequestForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What do you ask for?"),
        choices=[
            ("export", _("A copy of my data (a zip of JSON and CSV files)")),
            ("erasure", _("Erase my data and close my account")),
        ],
        widget=forms.RadioSelect,
    )
    confirm_erasure = forms.BooleanField(
        label=_(
            "I understand that erasure closes my account and cannot be undone; invoices the "
            "law requires us to keep stay, without my name."
        ),
        required=False,
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("kind") == "erasure" and not data.get("confirm_erasure"):
            self.add_error("confirm_erasure", _("Confirm that you want your data erased."))
        return data


class AgreementsForm(forms.Form):
    """The shopper's acceptance of a distance sale's legal forms, sent with a payment form (the
    card's, the gift card's): orders.services.agreements keeps what they accepted."""

    accept_agreements = forms.BooleanField(
        label=_("I have read and accept the pre-information form and the distance sales contract."),
        error_messages={
            "required": _(
                "Read and accept the pre-information form and the distance sales contract "
                "before paying."
            )
        },
    )
