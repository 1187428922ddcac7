"""Sign-up, and the throttled log-in and password-reset views (lms/urls.py).

Sign-up never says whether an email has an account: the form asks for the email (and a name)
and always answers "check your inbox". A new email gets a signed link to choose a password
(the account is created only then, so nobody can hold an address they cannot read); an email
that already has an account gets a message saying someone tried to sign up with it and how to
log in or reset the password. Log in is throttled by django-axes (lms/throttle.py); sign-up
and password reset by a per-address rate limit.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import (
    AuthenticationForm,
    BaseUserCreationForm,
    PasswordResetForm,
    UsernameField,
)
from django.core import signing
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from lms.throttle import PASSWORD_RESET_LIMIT, SIGNUP_LIMIT

User = get_user_model()
SIGNUP_SALT = "podium.accounts.signup"


def email_has_account(email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists() or \
        User.objects.filter(username__iexact=email).exists()


def rate_limited(request: HttpRequest, what: str) -> HttpResponse:
    """429 with a page saying what was refused and for how long (no account is named)."""
    return render(request, "registration/rate_limited.html", {
        "what": what, "minutes": settings.RATE_LIMIT_WINDOW_MINUTES}, status=429)


class SignupForm(forms.Form):
    """Step 1: the email address (which becomes the username) and an optional name."""

    email = forms.EmailField(label="Email", max_length=150,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    first_name = forms.CharField(label="Name", max_length=150, required=False,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class SignupPasswordForm(BaseUserCreationForm):
    """Step 2, from the emailed link: choose a password (checked by AUTH_PASSWORD_VALIDATORS
    against the account's email and name)."""

    class Meta:
        model = User
        fields: tuple[str, ...] = ()


def signup_token(email: str, name: str) -> str:
    return signing.dumps({"email": email, "name": name}, salt=SIGNUP_SALT, compress=True)


def read_signup_token(token: str) -> dict | None:
    """The sign-up a link was made for, or None when it is forged, altered or too old."""
    try:
        data = signing.loads(token, salt=SIGNUP_SALT, max_age=settings.SIGNUP_LINK_MAX_AGE_SECONDS)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    if not isinstance(data, dict) or not isinstance(data.get("email"), str):
        return None
    return {"email": data["email"], "name": str(data.get("name") or "")[:150]}


def send_signup_email(request: HttpRequest, email: str, name: str) -> None:
    """The one email a sign-up sends: a link to finish, or a note to the account's owner."""
    context = {"name": name, "email": email,
               "login_url": request.build_absolute_uri(reverse("login")),
               "reset_url": request.build_absolute_uri(reverse("password_reset"))}
    if email_has_account(email):
        subject = "Someone tried to create a Podium account with your email"
        template = "registration/signup_exists_email.txt"
    else:
        subject = "Finish creating your Podium account"
        template = "registration/signup_confirm_email.txt"
        context["confirm_url"] = request.build_absolute_uri(
            reverse("signup-confirm", args=[signup_token(email, name)]))
    send_mail(subject, render_to_string(template, context, request=request),
              settings.DEFAULT_FROM_EMAIL, [email])


@never_cache
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    if request.method == "POST" and not SIGNUP_LIMIT.hit(request):
        return rate_limited(request, "sign-up requests")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        send_signup_email(request, form.cleaned_data["email"], form.cleaned_data["first_name"])
        # The same answer whether or not the email has an account.
        return redirect("signup-sent")
    return render(request, "registration/signup.html", {"form": form})


def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/signup_sent.html")


@never_cache
@sensitive_post_parameters("password1", "password2")
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: choose a password, then the account exists and is logged in."""
    if request.user.is_authenticated:
        return redirect("dashboard")
    data = read_signup_token(token)
    if data is None:
        return render(request, "registration/signup_confirm.html", {"invalid": True}, status=400)
    if email_has_account(data["email"]):  # only the inbox's owner has this link
        return render(request, "registration/signup_confirm.html", {"used": True, "email": data["email"]})
    user = User(username=data["email"], email=data["email"], first_name=data["name"])
    form = SignupPasswordForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                user = form.save()
        except IntegrityError:  # the same link, submitted twice at once
            return render(request, "registration/signup_confirm.html", {"used": True, "email": data["email"]})
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("dashboard")
    return render(request, "registration/signup_confirm.html", {"form": form, "email": data["email"]})


class EmailAuthenticationForm(AuthenticationForm):
    """Log in with the email address (usernames are emails)."""

    username = UsernameField(label="Email", widget=forms.EmailInput(attrs={"autofocus": True,
                                                                           "autocomplete": "email"}))
    # Django's message names the model field ("username"); students log in with their email.
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account. Check both and try again "
                         "(the password is case-sensitive).",
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class PodiumPasswordResetForm(PasswordResetForm):
    """Django's form, but accounts without a usable password get the link too: an invited
    student whose invitation link expired sets their password this way (the reset token
    covers the password hash, so an unusable one works like any other)."""

    def get_users(self, email: str):
        email_field = User.get_email_field_name()
        users = User._default_manager.filter(**{f"{email_field}__iexact": email, "is_active": True})
        return (u for u in users if (getattr(u, email_field) or "").casefold() == email.casefold())


class PasswordResetView(auth_views.PasswordResetView):
    """Rate-limited per address: each request sends an email to someone."""

    form_class = PodiumPasswordResetForm

    def post(self, request, *args, **kwargs):
        if not PASSWORD_RESET_LIMIT.hit(request):
            return rate_limited(request, "password reset requests")
        return super().post(request, *args, **kwargs)
