from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts import services
from omni.errors import Throttled
from omni.errors import ValidationError as OmniValidationError


class ThrottledSignIn:
    """Django's AuthenticationForm, signing in through accounts.services.user_authenticate (the
    one throttled way in). When the client is throttled the form has the error and
    `throttled` (the Throttled error: the page answers 429 with its Retry-After)."""

    throttled: Throttled | None = None

    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            try:
                self.user_cache = services.user_authenticate(
                    request=self.request, email=email, password=password
                )
            except Throttled as error:
                self.throttled = error
                raise forms.ValidationError(error.message, code="throttled") from None
            except OmniValidationError:
                raise self.get_invalid_login_error() from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class AdminSignInForm(ThrottledSignIn, AdminAuthenticationForm):
    pass


class SignInForm(ThrottledSignIn, AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class SignUpForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
