"""Podium's URLs plus the floor: what the cheapest authenticated page costs on the same stack.

The floor is a `login_required` view rendering a one-line template: session read, user read,
every middleware, the template engine, and nothing of Podium's own. bench/pages.sh measures each
student page as a share of it.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from lms.urls import urlpatterns as podium_urlpatterns


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    return render(request, "bench/floor.html")


urlpatterns = [path("bench/floor/", floor, name="bench-floor"), *podium_urlpatterns]
