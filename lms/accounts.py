"""Sign-up. Log in, log out and password change/reset are Django's own views (lms/urls.py)."""

from django import forms
from django.contrib.auth import get_user_model, login
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm, UsernameField
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

User = get_user_model()


class SignupForm(BaseUserCreationForm):
    """Students sign up with an email address, which is also their username."""

    email = forms.EmailField(label="Email", max_length=150)
    first_name = forms.CharField(label="Name", max_length=150, required=False)

    class Meta:
        model = User
        fields = ("email", "first_name")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists() or \
                User.objects.filter(username__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email already exists. Log in, or reset your password.")
        return email

    def save(self, commit: bool = True):
        user = super().save(commit=False)
        user.username = self.cleaned_data["email"]
        if commit:
            user.save()
        return user


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("dashboard")
    return render(request, "registration/signup.html", {"form": form})


class EmailAuthenticationForm(AuthenticationForm):
    """Log in with the email address (usernames are emails)."""

    username = UsernameField(label="Email", widget=forms.EmailInput(attrs={"autofocus": True,
                                                                           "autocomplete": "email"}))

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()
