"""Show times in the reader's time zone.

The browser reports its IANA zone in a `tz` cookie (static/js/timezone.js); this middleware
activates it for the request, so every `|date` and `|time` in a template is local. Without the
cookie (first page view, no JavaScript) or with a zone we do not know, times stay in UTC, and the
templates print the zone's name next to them either way.
"""

import functools
import zoneinfo
from urllib.parse import unquote

from django.utils import timezone

COOKIE = "tz"


@functools.cache
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class TimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = unquote(request.COOKIES.get(COOKIE, ""))  # tolerate an encoded "/"
        if name in known_zones():
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        return self.get_response(request)
