"""The opt-out link in digest emails: no login needed (the token is signed, grading/digests.py).

Opening the link only shows a button: mail scanners and link previews fetch every URL in an
email, and a GET that unsubscribed would stop emails nobody asked to stop. The POST does it."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from grading import digests


@require_http_methods(["GET", "POST"])
def opt_out(request: HttpRequest, token: str) -> HttpResponse:
    user = digests.user_for_token(token)
    if user is None:
        return render(request, "grading/digest_opt_out.html", {"invalid": True}, status=404)
    done = False
    if request.method == "POST":
        digests.opt_out(user)
        done = True
    return render(request, "grading/digest_opt_out.html", {"email": user.email, "done": done})
