"""The admin site: Django's, with its login under the one throttling policy (accounts.throttle).
It is the default site (accounts.apps.AdminConfig), so every `admin.site.register` lands here."""

from django.contrib import admin

from accounts import throttle
from accounts.forms import AdminSignInForm


class AdminSite(admin.AdminSite):
    login_form = AdminSignInForm

    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        form = (getattr(response, "context_data", None) or {}).get("form")
        if form is not None and form.throttled:
            return throttle.page_refused(response, form.throttled)
        if request.method == "POST" and form is None and request.user.is_authenticated:
            throttle.device_remember(response, email=request.user.email)
        return response
