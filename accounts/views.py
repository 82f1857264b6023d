from django.contrib.auth import login
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpResponseRedirect
from django.urls import reverse_lazy
from django.views.generic import FormView

from accounts import services, throttle
from accounts.forms import SignInForm, SignUpForm
from omni.errors import Throttled, ValidationError


class ThrottledLoginMixin:
    """For a LoginView with a ThrottledSignIn form: a throttled client gets 429 and the form's
    error; a signed-in device is remembered as known to the account (accounts.throttle)."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        return throttle.page_refused(response, form.throttled) if form.throttled else response

    def form_valid(self, form):
        response = super().form_valid(form)
        return throttle.device_remember(response, email=form.get_user().email)


class SignInView(ThrottledLoginMixin, LoginView):
    template_name = "accounts/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class SignOutView(LogoutView):
    pass


class SignUpView(FormView):
    template_name = "accounts/sign_up.html"
    form_class = SignUpForm
    success_url = reverse_lazy("home")

    def post(self, request, *args, **kwargs):
        try:
            throttle.sign_up_attempt(request)
        except Throttled as error:
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, error.message)
            return throttle.page_refused(self.form_invalid(form), error)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            user = services.user_create(
                **form.cleaned_data, language=self.request.LANGUAGE_CODE or "tr"
            )
        except ValidationError as exc:
            for field, messages in exc.fields.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
            if not exc.fields:
                form.add_error(None, exc.message)
            return self.form_invalid(form)
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        return HttpResponseRedirect(self.get_success_url())
