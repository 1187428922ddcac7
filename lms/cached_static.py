"""The library `{% load static %}` loads (lms/settings.py TEMPLATES "libraries"): Django's own,
with `static` answered from the per-process memo in lms/cached_tags.py."""

from django import template
from django.templatetags.static import register as django_static

from lms.cached_tags import CachedStaticNode

register = template.Library()
register.tags.update(django_static.tags)
register.filters.update(django_static.filters)
register.tag("static", CachedStaticNode.handle_token)
