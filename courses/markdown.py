"""Render lesson markdown to safe HTML, once, at import time.

Headings get ids (and a permalink), a table of contents is collected, fenced code is
highlighted by Pygments on the server, `::: tip` containers become admonitions, links to other
lesson files become lesson URLs, and the result is sanitised with nh3. Pages then serve the
stored HTML; nothing here runs per request.

Code blocks never wrap (a wrapped YAML line loses its indentation, which is its meaning): each
`<pre>` scrolls sideways, so it is a keyboard-focusable region named after its language and
position ("YAML example 3"), inside a `div.code-block` that static/js/lesson.js gives a copy
button. Changing this output changes every lesson's `body_html`, hence its content hash: the
next `load_course` re-renders and stores every lesson.
"""

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.container import container_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

ADMONITIONS = {"note": "Note", "tip": "Tip", "warning": "Warning", "danger": "Danger"}
LESSON_LINK_RE = re.compile(r"^(\d{2})-([a-z0-9-]+)\.md(?:#([\w-]+))?$")
_FORMATTER = HtmlFormatter(nowrap=True)
# What a code block's label calls its language; other languages use Pygments' name for them.
LANGUAGE_NAMES = {"yaml": "YAML", "bash": "Shell", "sh": "Shell", "shell": "Shell",
                  "console": "Terminal", "text": "Text", "": "Text"}
CODE_LABEL_RE = re.compile(r"^[A-Za-z][\w .+#-]{0,40} example \d{1,4}$")
_UNNUMBERED_LABEL_RE = re.compile(r'(<pre class="highlight" data-lang="[^"]*" role="region" tabindex="0" '
                                  r'aria-label="[^"]+ example)(")')

ALLOWED_TAGS = {
    "a", "abbr", "aside", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "img", "kbd", "li", "ol",
    "p", "pre", "s", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "th": {"style"},
    "td": {"style"},
    "pre": {"data-lang", "aria-label"},  # aria-label: only a code block's label (_keep_attribute)
    "ol": {"start"},
}
# A code block is a scrolling region: role and tabindex allowed on <pre> with these values only.
ALLOWED_ATTRIBUTE_VALUES = {"pre": {"role": {"region"}, "tabindex": {"0"}}}


@dataclass
class LinkRef:
    """A link from one lesson to another lesson file (and maybe an anchor in it)."""

    number: int
    slug: str
    anchor: str | None
    line: int | None


@dataclass
class Rendered:
    html: str
    toc: list[dict]  # [{"level": 2, "id": "...", "title": "..."}]
    anchors: set[str]
    lesson_links: list[LinkRef] = field(default_factory=list)
    local_anchor_links: list[tuple[str, int | None]] = field(default_factory=list)
    missing_assets: list[tuple[str, int | None]] = field(default_factory=list)
    word_count: int = 0


def _highlight(code: str, lang: str, _attrs: str) -> str:
    # stripnl=False: the block's text (what the copy button copies) is the source, blank lines
    # included; Pygments only adds a final newline if it is missing.
    try:
        lexer = get_lexer_by_name(lang or "text", stripnl=False)
    except ClassNotFound:
        lexer = get_lexer_by_name("text", stripnl=False)
    body = highlight(code, lexer, _FORMATTER)
    language = LANGUAGE_NAMES.get(lang.lower()) or ("Text" if lexer.name == "Text only" else lexer.name)
    # Numbered in render_markdown, which sees the whole lesson: one region name per block.
    return (f'<pre class="highlight" data-lang="{html.escape(lang or "text")}" '
            f'role="region" tabindex="0" aria-label="{html.escape(language)} example">'
            f"<code>{body}</code></pre>\n")


def _code_block_renderer(self, tokens, idx, options, env) -> str:
    """Fenced and indented code alike: highlighted, in the wrapper that holds the copy button."""
    token = tokens[idx]
    lang = token.info.split(maxsplit=1)[0] if token.type == "fence" and token.info.strip() else ""
    return f'<div class="code-block">{_highlight(token.content, lang, "")}</div>\n'


def _number_code_blocks(raw_html: str) -> str:
    """'YAML example' -> 'YAML example 2': each scroll region gets a name of its own."""
    counts: dict[str, int] = {}

    def number(match: re.Match) -> str:
        counts[match.group(1)] = counts.get(match.group(1), 0) + 1
        return f"{match.group(1)} {counts[match.group(1)]}{match.group(2)}"

    return _UNNUMBERED_LABEL_RE.sub(number, raw_html)


def _admonition_renderer(name: str):
    def render(self, tokens, idx, options, env):
        if tokens[idx].nesting == 1:
            return (f'<aside class="admonition admonition-{name}">'
                    f'<p class="admonition-title">{ADMONITIONS[name]}</p>\n')
        return "</aside>\n"
    return render


def _build_parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True})
    md.add_render_rule("fence", _code_block_renderer)
    md.add_render_rule("code_block", _code_block_renderer)
    md.enable(["table", "strikethrough"])
    md.use(anchors_plugin, min_level=2, max_level=3, permalink=True, permalinkSymbol="#")
    for name in ADMONITIONS:
        md.use(container_plugin, name, render=_admonition_renderer(name))
    return md


_MD = _build_parser()


def render_markdown(
    text: str,
    *,
    lesson_url: Callable[[int, str], str | None] = lambda number, slug: None,
    static_url: Callable[[str], str | None] = lambda path: None,
    first_line: int = 1,
) -> Rendered:
    """Render `text`. `lesson_url(number, slug)` maps a lesson file link to its URL (None if no
    such lesson); `static_url(path)` maps a relative asset path (e.g. diagrams/x.svg) to its URL
    (None if the file is missing). Unresolved targets are reported, not silently kept."""
    tokens = _MD.parse(text)
    result = Rendered(html="", toc=[], anchors=set())
    for i, token in enumerate(tokens):
        line = first_line + token.map[0] if token.map else None
        if token.type == "heading_open" and token.attrGet("id"):
            anchor = str(token.attrGet("id"))
            result.anchors.add(anchor)
            title = "".join(c.content for c in tokens[i + 1].children or []
                            if c.type in ("text", "code_inline"))
            result.toc.append({"level": int(token.tag[1]), "id": anchor, "title": title.strip()})
        if token.type == "inline":
            for child in token.children or []:
                _rewrite_link(child, line, result, lesson_url, static_url)
            result.word_count += _count_words(token.content)
    raw = _MD.renderer.render(tokens, _MD.options, {})
    result.html = sanitise(_number_code_blocks(raw))
    return result


def _rewrite_link(token: Token, line, result: Rendered, lesson_url, static_url) -> None:
    if token.type == "link_open":
        href = str(token.attrGet("href") or "")
        if href.startswith("#"):
            result.local_anchor_links.append((href[1:], line))
            return
        match = LESSON_LINK_RE.match(href)
        if match:
            number, slug, anchor = int(match.group(1)), match.group(2), match.group(3)
            result.lesson_links.append(LinkRef(number, slug, anchor, line))
            url = lesson_url(number, slug)
            if url:
                token.attrSet("href", url + (f"#{anchor}" if anchor else ""))
    elif token.type == "image":
        src = str(token.attrGet("src") or "")
        if not src.startswith(("http://", "https://", "/")):
            url = static_url(src)
            if url is None:
                result.missing_assets.append((src, line))
            else:
                token.attrSet("src", url)
                token.attrSet("loading", "lazy")


def _count_words(text: str) -> int:
    return len(re.findall(r"[A-Za-z0-9][\w'’./-]*", re.sub(r"<[^>]+>", " ", text)))


def _keep_attribute(tag: str, name: str, value: str) -> str | None:
    """nh3's per-attribute filter: an aria-label survives only as a code block's label."""
    if name == "aria-label" and not (tag == "pre" and CODE_LABEL_RE.match(value)):
        return None
    return value


def sanitise(raw_html: str) -> str:
    return nh3.clean(
        raw_html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        tag_attribute_values=ALLOWED_ATTRIBUTE_VALUES,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https", "mailto"},
        filter_style_properties={"text-align"},
        link_rel="noopener noreferrer",
    )
