"""A `{% url %}` that remembers its answers (issue 17).

Every page renders the header's links, and the course page a form URL per checklist item:
dozens of URL reversals per request, each walking the resolver for a string that never changes
while the process runs. This is Django's own tag (same syntax, same errors, same escaping),
answering from a bounded per-process memo keyed by everything the answer depends on: the
URLconf, the script prefix, the current app, the view name and its arguments. Only str/int
arguments are memoised (a model instance's str() could change under the same key); anything
else reverses as usual.

Installed for every template as a builtin by lms/settings.py (it overrides Django's `url`).
Settings changes in tests clear the memo. Static URLs are memoised by the storage instead
(lms/static_storage.py).
"""

from functools import lru_cache

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()
MEMO_SIZE = 4096  # distinct (view, arguments) pairs per process: courses x lessons x labs, bounded


@lru_cache(maxsize=MEMO_SIZE)
def _reverse(urlconf, prefix: str, view_name: str, args: tuple, kwargs: tuple, current_app) -> str:
    return reverse(view_name, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app)


def _memoisable(values) -> bool:
    return all(isinstance(value, (str, int)) for value in values)  # SafeString too


class CachedURLNode(URLNode):
    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            if isinstance(view_name, str) and _memoisable(args) and _memoisable(kwargs.values()):
                url = _reverse(get_urlconf(), get_script_prefix(), view_name, tuple(args),
                               tuple(sorted(kwargs.items())), current_app)
            else:
                url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag("url")
def url(parser, token):
    node = django_url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)


@receiver(setting_changed)
def _forget(**kwargs) -> None:
    """Tests override URLconfs and prefixes: answers from before no longer hold."""
    _reverse.cache_clear()
