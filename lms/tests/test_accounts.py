"""Sign-up (enumeration-free, confirmed by email), log in, log out, password reset."""

import re

from django.contrib.auth import get_user_model
from django.urls import reverse

from lms.accounts import signup_token

User = get_user_model()
PASSWORD = "kube-learner-2026"


def link_in(message) -> str:
    match = re.search(r"https?://\S+", message.body.split("choose a password here:")[-1])
    assert match, message.body
    return match.group(0).removeprefix("http://testserver")


def page_text(response) -> str:
    """The page without its CSRF token (masked differently on every response)."""
    return re.sub(r'"X-CSRFToken": "[^"]+"|name="csrfmiddlewaretoken" value="[^"]+"', "",
                  response.content.decode())


def test_signup_sends_a_link_and_the_account_exists_only_after_choosing_a_password(client, db, mailoutbox):
    response = client.post(reverse("signup"), {"email": "New.Student@Example.com", "first_name": "New"})
    assert response.status_code == 302 and response["Location"] == reverse("signup-sent")
    assert not User.objects.exists()  # nobody holds an address before its owner confirms
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["new.student@example.com"]

    confirm = link_in(mailoutbox[0])
    page = client.get(confirm)
    assert page.status_code == 200 and "new.student@example.com" in page.content.decode()
    response = client.post(confirm, {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard")
    user = User.objects.get()
    assert user.username == user.email == "new.student@example.com" and user.first_name == "New"
    assert user.check_password(PASSWORD)
    assert client.get(reverse("dashboard")).status_code == 200


def test_signup_answers_the_same_for_a_taken_email_and_tells_only_the_owner(client, db, mailoutbox):
    User.objects.create_user("a@example.com", "a@example.com", "pw-123456789")
    taken = client.post(reverse("signup"), {"email": "A@example.com", "first_name": "Mallory"})
    fresh = client.post(reverse("signup"), {"email": "b@example.com", "first_name": "Mallory"})
    assert (taken.status_code, taken["Location"]) == (fresh.status_code, fresh["Location"])
    assert page_text(client.get(taken["Location"])) == page_text(client.get(fresh["Location"]))
    assert User.objects.count() == 1
    owner_mail = next(m for m in mailoutbox if m.to == ["a@example.com"])
    assert "already has one" in owner_mail.body and reverse("password_reset") in owner_mail.body
    assert "/signup/confirm/" not in owner_mail.body  # no second account for that address


def test_signup_link_used_twice_does_not_make_a_second_account(client, db):
    confirm = reverse("signup-confirm", args=[signup_token("c@example.com", "C")])
    assert client.post(confirm, {"password1": PASSWORD, "password2": PASSWORD}).status_code == 302
    client.logout()
    again = client.post(confirm, {"password1": "other-pass-2026x", "password2": "other-pass-2026x"})
    assert "already has an account" in again.content.decode()
    assert User.objects.get().check_password(PASSWORD)


def test_signup_link_forged_or_altered_is_refused(client, db):
    token = signup_token("c@example.com", "C")
    for bad in (token[:-2] + "xx", "c@example.com", "e30:forged:sig"):
        response = client.post(reverse("signup-confirm", args=[bad]),
                               {"password1": PASSWORD, "password2": PASSWORD})
        assert response.status_code == 400 and "Link not valid" in response.content.decode()
    assert not User.objects.exists()


def test_signup_password_is_checked_against_the_email(client, db):
    confirm = reverse("signup-confirm", args=[signup_token("kubelearner@example.com", "")])
    response = client.post(confirm, {"password1": "kubelearner", "password2": "kubelearner"})
    assert response.status_code == 200 and "too similar" in response.content.decode()
    assert not User.objects.exists()


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


def test_invited_account_without_a_password_gets_a_reset_link_and_can_set_one(client, db, mailoutbox):
    invited = User.objects.create_user("inv@example.com", "inv@example.com")
    invited.set_unusable_password()
    invited.save()
    response = client.post(reverse("password_reset"), {"email": "INV@example.com"})
    assert response.status_code == 302 and len(mailoutbox) == 1  # Django's own form sends none
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mailoutbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert done.status_code == 302
    invited.refresh_from_db()
    assert invited.check_password(PASSWORD)


def test_password_reset_for_an_inactive_account_sends_nothing(client, db, mailoutbox):
    User.objects.create_user("gone@example.com", "gone@example.com", "pw-123456789", is_active=False)
    assert client.post(reverse("password_reset"), {"email": "gone@example.com"}).status_code == 302
    assert mailoutbox == []
