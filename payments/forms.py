"""The card form every payment page uses (the storefront's payment step, a payment link's
page): what a shopper types, checked, and handed to a gateway as a Card, never stored."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from payments.gateways.base import Card


def _numeric(autocomplete: str, *, secret: bool = False) -> forms.Widget:
    attrs = {"inputmode": "numeric", "autocomplete": autocomplete}
    return forms.PasswordInput(attrs=attrs) if secret else forms.TextInput(attrs=attrs)


class CardForm(forms.Form):
    holder = forms.CharField(
        label=_("Name on the card"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "cc-name"}),
    )
    number = forms.CharField(label=_("Card number"), max_length=23, widget=_numeric("cc-number"))
    exp_month = forms.RegexField(
        label=_("Expiry month (MM)"), regex=r"^(0[1-9]|1[0-2])$", widget=_numeric("cc-exp-month")
    )
    exp_year = forms.RegexField(
        label=_("Expiry year (YYYY)"), regex=r"^20[0-9]{2}$", widget=_numeric("cc-exp-year")
    )
    cvc = forms.RegexField(
        label=_("Security code"), regex=r"^[0-9]{3,4}$", widget=_numeric("cc-csc", secret=True)
    )

    def clean_number(self) -> str:
        digits = "".join(ch for ch in self.cleaned_data["number"] if ch.isdigit())
        if not 12 <= len(digits) <= 19 or len(digits) != len(
            self.cleaned_data["number"].replace(" ", "")
        ):
            raise forms.ValidationError(_("Enter the card number."))
        return digits

    def card(self) -> Card:
        data = self.cleaned_data
        return Card(
            holder=data["holder"],
            number=data["number"],
            exp_month=data["exp_month"],
            exp_year=data["exp_year"],
            cvc=data["cvc"],
        )


class GatewayCardForm(CardForm):
    """The card and which of the channel's online gateways takes it."""

    gateway = forms.ChoiceField(label=_("Pay with"), widget=forms.RadioSelect)
    field_order = ["gateway", "holder", "number", "exp_month", "exp_year", "cvc"]

    def __init__(self, *args, gateways: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gateway"].choices = gateways
        self.fields["gateway"].initial = gateways[0][0] if gateways else None


class InstalmentCardForm(GatewayCardForm):
    """The card, its gateway and the instalments chosen (the page lists the card's options by
    its BIN; the count is checked again with the provider when the payment starts)."""

    instalments = forms.IntegerField(
        label=_("Instalments"), min_value=1, max_value=12, required=False
    )

    def instalment_count(self) -> int:
        return self.cleaned_data.get("instalments") or 1
