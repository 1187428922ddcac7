"""The CSRF failure page (settings.CSRF_FAILURE_VIEW). The 404, 403 and 500 pages are Django's
own handlers rendering templates/404.html, 403.html and 500.html: none of them shows the
exception, and 500.html needs no context processors and no database (it is rendered with an
empty context when something has already gone wrong)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme


def _page_to_reload(request: HttpRequest) -> str:
    """The page the refused form was on (its Referer, on this site only), else the home page."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()},
                                                   require_https=request.is_secure()):
        return referer
    return "/"


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent with a stale security token: most often the student logged out and in again
    in another tab, which renews the token this page's form still carried. Say so in plain words
    and offer to reload; `reason` is Django's internal wording and is never shown.

    An htmx request (the quiz's autosave) gets a sentence to show where its answer goes: htmx
    would otherwise drop a 403 silently and the student would think the answer saved."""
    if request.headers.get("HX-Request") == "true":
        return render(request, "403_csrf_fragment.html", status=403)
    return render(request, "403_csrf.html", {"reload_url": _page_to_reload(request)}, status=403)
