"""`{% shared_fragment name var… %}…{% endshared_fragment %}`: a part of a page that is the same
for every reader of one content version (a lesson's article), kept once per process.

Like `{% cache None name var… using="content" %}`, and in a page kept by the students' page cache
(lms/page_cache.py) the fragment is stored once, not inside every student's copy: the copy holds a
marker, put back from this process's content cache when served. A lesson page is ~150 KB, of which
the article is ~140 KB.
"""

from django import template
from django.core.cache import caches
from django.core.cache.utils import make_template_fragment_key

from lms import page_cache

register = template.Library()


class SharedFragmentNode(template.Node):
    def __init__(self, nodelist, name: str, vary_on: list):
        self.nodelist, self.name, self.vary_on = nodelist, name, vary_on

    def render(self, context) -> str:
        key = make_template_fragment_key(self.name, [var.resolve(context) for var in self.vary_on])
        store = caches[page_cache.SHARED_ALIAS]
        value = store.get(key)
        if value is None:
            value = self.nodelist.render(context)
            store.set(key, value, None)  # keyed by content version: never stale
        return page_cache.shared(context.get("request"), key, value)


@register.tag
def shared_fragment(parser, token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("shared_fragment needs a name (and what it varies on)")
    nodelist = parser.parse(("endshared_fragment",))
    parser.delete_first_token()
    return SharedFragmentNode(nodelist, bits[1], [parser.compile_filter(bit) for bit in bits[2:]])
