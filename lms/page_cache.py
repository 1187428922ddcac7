"""A student's pages, kept rendered until something they show changes (issue 17).

A student's course page, lesson, dashboard, lab and quiz pages are read many times between two
changes to what they show. Each page is stored rendered, per student and per URL, stamped with two
generations: the student's own (changed by every write that concerns them: a lesson done, an
answer saved, a submission graded) and everyone's (changed by every write that concerns all
students: content loaded, a due date or a cohort edited by an instructor). A page is served from
the cache only when both generations are still the ones it was rendered under, and only until it
is due to change by the clock alone (a due date passing, an attempt's deadline: see
`fresh_until`), at most PAGE_CACHE_SECONDS.

Why this is safe to read under concurrent writes: the generations are read *before* the page is
rendered and a writer changes them *after* its transaction commits (and once more right away, for
writes outside any transaction). A page rendered from data older than a write therefore carries a
generation that the write has already replaced, and is never served.

Writes are seen in three ways, each enough on its own for what it covers:
- every POST (PUT, PATCH, DELETE) by a signed-in user changes that user's generation, and a staff
  user's changes everyone's (the admin: schedule, cohorts, rubric grades, content) — the
  middleware below;
- every save and delete of a model in `courses`, `grading` and the user model changes its owner's
  generation (OWNERS) or everyone's — signals, for writes made outside a request (the grading
  worker, the quiz's beat task, management commands);
- code that writes with `QuerySet.update()` or raw SQL outside a student's request calls
  `changed(user_id)` or `changed_for_all()` itself (grading/services.py, courses/quiz/services.py).

A page served from the cache loads no user row and runs no query: the session names the user
and the hash of their password it was verified with; the page was stored under that hash after
Django verified the session, and the user's generation changes with every save of the user row
(`_claimed_identity`). On a miss, `login_required` and the view check everything as usual.

Each page's CSRF token is stored as a placeholder and the reader's own token put in when served,
so a page rendered in one browser works in another. Pages with a message waiting for the reader,
htmx fragments and anything but a 200 are never stored. Without a cache shared by every process
(no REDIS_URL: a worker in another process could not tell the web process), it is off.
"""

import functools
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone

from lms import session_auth
from lms.memo import ProcessMemo

log = logging.getLogger(__name__)

ALL = "pagegen:all"
SHARED_ALIAS = "content"  # per process: what {% shared_fragment %} keeps once for every reader
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def enabled() -> bool:
    return getattr(settings, "STUDENT_PAGE_CACHE", False)


def _store():
    return caches[getattr(settings, "STUDENT_PAGE_CACHE_ALIAS", "default")]


def _user_key(user_id: int) -> str:
    return f"pagegen:u:{user_id}"


@functools.cache
def csrf_placeholder() -> str:
    """Stands for the reader's CSRF token in a stored page. Derived from SECRET_KEY, so every
    process writes and recognises the same one and no page content can guess it."""
    key = settings.SECRET_KEY.encode()
    return "csrf-" + hmac.new(key, b"podium-page-cache-csrf", hashlib.sha256).hexdigest()


# --- writes -------------------------------------------------------------------------------

def _bump(keys: list[str]) -> None:
    try:
        if len(keys) == 1:  # the usual case, a student's POST: one SET (set_many pipelines)
            _store().set(keys[0], secrets.token_hex(8), timeout=None)
        else:
            _store().set_many({key: secrets.token_hex(8) for key in keys}, timeout=None)
    except Exception:  # a cache outage must not fail the write; pages age out in PAGE_CACHE_SECONDS
        log.exception("page cache: could not mark %s changed", keys)


def _changed(keys: list[str]) -> None:
    if not enabled():
        return
    _bump(keys)  # now: a write outside a transaction, and tests (whose transaction never commits)
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        # …and again once the data is visible: a page rendered between the two bumps read the
        # old data under the first bump's generation.
        transaction.on_commit(lambda: _bump(keys))


def changed(*user_ids: int | None) -> None:
    """What these users' pages show has changed (or will, when the current transaction commits)."""
    keys = [_user_key(uid) for uid in user_ids if uid is not None]
    if keys:
        _changed(keys)


def changed_for_all() -> None:
    """What every student's pages show has changed (content, a cohort's schedule, a rule)."""
    _changed([ALL])


# --- reads --------------------------------------------------------------------------------

def fresh_until(request: HttpRequest, when) -> None:
    """The page being rendered changes by the clock alone at `when` (an aware datetime): a due
    date passing, an attempt's deadline. It is not served from the cache after that."""
    if when is None:
        return
    stamp = when.timestamp()
    current = getattr(request, "_page_fresh_until", None)
    if current is None or stamp < current:
        request._page_fresh_until = stamp


def _claimed_identity(request: HttpRequest) -> tuple[int, str] | None:
    """The user id and password-derived hash the request's session was signed in with, when the
    page may come from the cache; read from the session alone, without loading the user.

    Serving a stored page needs no user row: a page is stored only after a request with this
    same session hash was verified by Django's `get_user` (active user, hash matching the
    password), and the user's generation, which every save or delete of the user row changes
    (password, is_active, deletion: `_model_written`), is still the one it was stored under.
    The hash is part of the page's key, so a session signed in before a password change (its
    hash no longer matches) never reads a page stored for a session signed in after it."""
    if not enabled() or request.method not in ("GET", "HEAD") or request.headers.get("HX-Request"):
        return None
    identity = session_auth.claimed(request)
    if identity is None or len(get_messages(request)):
        return None  # a waiting message is shown once: render it afresh
    return identity


def _verified_as(request: HttpRequest, identity: tuple[int, str]) -> bool:
    """After rendering: Django's own check (`request.user`, loaded by now or here) found the
    session valid, for the user and hash the page will be stored under."""
    return request.user.is_authenticated and request.user.pk == identity[0] \
        and session_auth.claimed(request) == identity


@functools.cache
def build_id() -> str:
    """What this process's code, templates and static files are: a page stored by the previous
    release (its markup, its hashed CSS and JS names) is not served by the next one."""
    digest = hashlib.sha256()
    root = Path(settings.BASE_DIR)
    for folder in ("lms", "courses", "grading", "templates", "static"):
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".py", ".html", ".css", ".js", ".svg") and "tests" not in path.parts:
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _page_key(request: HttpRequest, identity: tuple[int, str]) -> str:
    # The active zone is part of the page: every date on it is printed in the reader's zone.
    # The session's hash is part of the key: a session from before a password change finds
    # nothing. (A rotated SECRET_KEY needs nothing here: the session no longer decodes.)
    user_id, auth_hash = identity
    raw = f"{build_id()}|{request.get_full_path()}|{timezone.get_current_timezone_name()}|{auth_hash}"
    return f"page:{user_id}:{hashlib.sha256(raw.encode()).hexdigest()[:32]}"


def _generations(store, found: dict, user_key: str) -> tuple[str, str]:
    """The current generations, starting any that are missing (a new user, an evicted key)."""
    current = []
    for key in (user_key, ALL):
        value = found.get(key)
        if value is None:
            value = secrets.token_hex(8)
            if not store.add(key, value, timeout=None):
                value = store.get(key)
        current.append(value)
    return current[0], current[1]


def _marker(key: str) -> bytes:
    return f"<!--{csrf_placeholder()}:{key}-->".encode()


# The shared fragments this process has put in pages, encoded once, by key (which names the
# content version: never stale). A served page takes them from here, a dict lookup, rather than
# from the content cache, whose every read unpickles the ~140 KB article and encodes it again.
_shared_bytes: ProcessMemo = ProcessMemo(256)


def shared(request: HttpRequest | None, key: str, value: str) -> str:
    """A fragment the same for every reader (`{% shared_fragment %}`): in a page rendered for the
    cache, a marker that the fragment replaces when served (the copy stays small)."""
    if request is None or not getattr(request, "_page_cache_rendering", False):
        return value
    encoded = _shared_bytes.get(key)
    if encoded is None:
        encoded = _shared_bytes.remember(key, value.encode())
    request._page_shared[key] = encoded
    return _marker(key).decode()


def forget_shared() -> None:
    """As a new process starts (tests)."""
    _shared_bytes.clear()


def _with_shared(body: bytes, fragments: dict[str, bytes]) -> bytes:
    for key, value in fragments.items():
        body = body.replace(_marker(key), value)
    return body


def _with_token(request: HttpRequest, body: bytes) -> bytes:
    placeholder = csrf_placeholder().encode()
    if placeholder not in body:
        return body
    return body.replace(placeholder, get_token(request).encode())


def student_page(view: Callable) -> Callable:
    """Serve a signed-in student's GET from the cache while nothing it shows has changed. The
    view runs only on a miss: a view with a side effect on GET must make its pages stale when
    the effect writes (the lesson page's visit does) or bound them with `fresh_until`.

    Put it above `login_required`: a page served from the cache loads no user (see
    `_claimed_identity`), and on a miss `login_required` checks the session as always."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        identity = _claimed_identity(request)
        if identity is None:
            return view(request, *args, **kwargs)
        store, user_key, page_key = _store(), _user_key(identity[0]), _page_key(request, identity)
        try:
            found = store.get_many([user_key, ALL, page_key])
            stamp = _generations(store, found, user_key)
        except Exception:
            log.exception("page cache: read failed, rendering")
            return view(request, *args, **kwargs)
        now = time.time()
        entry = found.get(page_key)
        fragments = _shared_fragments(entry) if entry else None
        if entry and entry["stamp"] == stamp and entry["until"] > now and fragments is not None:
            body = _with_shared(entry["body"], fragments)
            response = HttpResponse(_with_token(request, body), content_type=entry["type"])
            for name, value in entry["headers"]:
                response.headers[name] = value
            return response
        request._page_cache_rendering, request._page_shared = True, {}
        response = view(request, *args, **kwargs)
        request._page_cache_rendering = False
        if response.streaming:
            return response
        if response.status_code == 200 and not response.cookies and _verified_as(request, identity):
            _keep(store, request, page_key, stamp, response, now)
        response.content = _with_token(request, _with_shared(response.content, request._page_shared))
        return response

    return wrapper


def _shared_fragments(entry: dict) -> dict[str, bytes] | None:
    """The shared fragments a stored page needs, from this process; None when one is missing here
    (another process rendered the page, or this one forgot it): then the page is rendered again."""
    found = {key: _shared_bytes.get(key) for key in entry.get("shared") or []}
    return None if None in found.values() else found


def _within_budget(store, user_id: int) -> bool:
    """At most PAGE_CACHE_MAX_PER_USER pages stored per user in PAGE_CACHE_SECONDS: URLs are the
    reader's to make up (`/search/?q=…` has no end), and every stored page takes the cache's memory
    from everyone else's sessions and pages. Past the budget, pages are rendered and not kept."""
    key = f"pagecount:{user_id}"
    store.add(key, 0, timeout=settings.PAGE_CACHE_SECONDS)
    try:
        return store.incr(key) <= settings.PAGE_CACHE_MAX_PER_USER
    except ValueError:  # expired between the two calls: a new window
        return True


# Headers a view sets that belong to the page (the middleware after the view adds the rest).
_KEPT_HEADERS = ("Vary", "Cache-Control", "Content-Language")


def _keep(store, request: HttpRequest, page_key: str, stamp, response: HttpResponse, now: float) -> None:
    if getattr(get_messages(request), "_queued_messages", None):
        return  # the view added a message and showed it: not for the next visit
    until = min(now + settings.PAGE_CACHE_SECONDS, getattr(request, "_page_fresh_until", float("inf")))
    if until <= now + 1:
        return
    entry = {"stamp": stamp, "until": until, "body": response.content, "shared": list(request._page_shared),
             "type": response.get("Content-Type", "text/html; charset=utf-8"),
             "headers": [(name, response[name]) for name in _KEPT_HEADERS if response.has_header(name)]}
    try:  # the budget's calls too: a cache outage while storing must not fail the rendered page
        if _within_budget(store, request.user.pk):  # verified: the user the page is kept for
            store.set(page_key, entry, timeout=int(until - now) + 1)
    except Exception:
        log.exception("page cache: could not store %s", page_key)


def csrf(request: HttpRequest) -> dict:
    """Context processor: while a page is rendered for the cache, its CSRF token is the
    placeholder (listed after Django's own csrf processor, so it wins)."""
    if getattr(request, "_page_cache_rendering", False):
        return {"csrf_token": csrf_placeholder()}
    return {}


class WritesMiddleware:
    """After a POST (PUT, PATCH, DELETE) by a signed-in user: their pages are stale, and a staff
    member's (the admin: schedules, cohorts, grades, content) makes everyone's stale. A view that
    marked exactly whose pages changed sets `request.page_cache_marked` (the quiz autosave, which
    does not load the user this would load)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "page_cache_marked", False):
            return response  # the view marked exactly whose pages changed (the quiz autosave)
        if request.method in UNSAFE_METHODS and enabled():
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                changed(user.pk)
                if user.is_staff:
                    changed_for_all()
        return response


# --- model writes -------------------------------------------------------------------------

# Whose pages a row belongs to: the path from the row to its user's id. Every other model of
# the apps in WATCHED_APPS concerns every student (content, cohorts, due dates, labs, rules).
# tests/test_page_cache.py fails when a model with a user is missing here.
OWNERS = {
    "auth.user": "pk",
    "courses.lessoncompletion": "user_id",
    "courses.coursevisit": "user_id",
    "courses.checklisttick": "user_id",
    "courses.attempt": "user_id",
    "courses.answer": "attempt__user_id",
    "courses.enrollment": "student_id",
    "courses.enrollmentevent": "student_id",
    "courses.extension": "enrollment__student_id",
    "grading.submission": "user_id",
    "grading.submissionfile": "submission__user_id",
    "grading.checkresult": "submission__user_id",
    "grading.manualgrade": "submission__user_id",
    "grading.digestsent": "user_id",
    "grading.digestoptout": "user_id",
}
WATCHED_APPS = ("courses", "grading")


def owner_of(instance) -> int | None:
    """The id of the user a row belongs to, or None for a row that concerns everyone (or whose
    parent is already gone: then everyone's pages are marked, to be safe)."""
    path = OWNERS[instance._meta.label_lower]
    if path == "pk":
        return instance.pk
    if "__" not in path:
        return getattr(instance, path)
    parent_name, rest = path.split("__", 1)
    field = instance._meta.get_field(parent_name)
    cached = field.get_cached_value(instance, default=None)
    if cached is not None:
        return getattr(cached, rest.split("__")[0])
    parent_id = getattr(instance, field.attname)
    return field.related_model._default_manager.filter(pk=parent_id).values_list(rest, flat=True).first()


def _model_written(sender, instance, **kwargs) -> None:
    if not enabled() or kwargs.get("raw"):
        return
    if sender._meta.label_lower in OWNERS:
        owner = owner_of(instance)
        if owner is not None:
            changed(owner)
            return
    changed_for_all()


def connect_model_signals() -> None:
    from django.apps import apps
    from django.contrib.auth import get_user_model
    from django.db.models import signals

    models = [get_user_model()]
    for label in WATCHED_APPS:
        models += list(apps.get_app_config(label).get_models())
    for model in models:
        uid = f"page_cache:{model._meta.label_lower}"
        signals.post_save.connect(_model_written, sender=model, dispatch_uid=uid + ":save")
        signals.post_delete.connect(_model_written, sender=model, dispatch_uid=uid + ":delete")
    signals.m2m_changed.connect(_m2m_written, dispatch_uid="page_cache:m2m")


def _m2m_written(sender, instance, **kwargs) -> None:
    if not enabled():
        return
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    if isinstance(instance, user_model):  # user.groups.add(…), user.user_permissions.set(…)
        changed(instance.pk)
    elif kwargs.get("model") is user_model:  # group.user_set.add(…): the users named
        if kwargs.get("pk_set"):
            changed(*kwargs["pk_set"])
        else:  # group.user_set.clear() names nobody
            changed_for_all()
    elif instance._meta.app_label in WATCHED_APPS:
        changed_for_all()
