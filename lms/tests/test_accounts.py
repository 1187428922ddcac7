from django.contrib.auth import get_user_model
from django.urls import reverse

User = get_user_model()


def test_signup_creates_account_logs_in_and_lands_on_dashboard(client, db):
    response = client.post(reverse("signup"), {
        "email": "New.Student@Example.com", "first_name": "New",
        "password1": "kube-learner-2026", "password2": "kube-learner-2026"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    user = User.objects.get()
    assert user.username == user.email == "new.student@example.com"
    assert client.get(reverse("dashboard")).status_code == 200


def test_signup_rejects_duplicate_email(client, db):
    User.objects.create_user("a@example.com", "a@example.com", "pw-123456789")
    response = client.post(reverse("signup"), {
        "email": "A@example.com", "password1": "kube-learner-2026", "password2": "kube-learner-2026"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.count() == 1


def test_login_with_email_any_case(client, db):
    User.objects.create_user("a@example.com", "a@example.com", "pw-123456789")
    response = client.post(reverse("login"), {"username": "A@Example.com", "password": "pw-123456789"})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_logout_is_a_post(client, db):
    user = User.objects.create_user("a@example.com", "a@example.com", "pw-123456789")
    client.force_login(user)
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_password_reset_sends_email(client, db, mailoutbox):
    User.objects.create_user("a@example.com", "a@example.com", "pw-123456789")
    response = client.post(reverse("password_reset"), {"email": "a@example.com"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
