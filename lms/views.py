from functools import cache

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from pygments.formatters import HtmlFormatter


@cache
def _pygments_stylesheet() -> str:
    """Code colours for lessons, light and dark, generated from Pygments' own styles. Dark
    follows the system unless the student chose light, or applies because they chose dark
    (html[data-theme], static/js/theme.js)."""
    light = HtmlFormatter(style="default").get_style_defs(".highlight")
    dark = HtmlFormatter(style="github-dark")
    system_dark = dark.get_style_defs(':root:not([data-theme="light"]) .highlight')
    chosen_dark = dark.get_style_defs(':root[data-theme="dark"] .highlight')
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{system_dark}\n}}\n{chosen_dark}\n"


@cache_control(public=True, max_age=86400)
def pygments_css(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_pygments_stylesheet(), content_type="text/css")
