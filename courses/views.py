"""Course pages: catalogue, course, lesson, dashboard, and the htmx progress actions.

Views check access, parse, call a service or selector, render. Pages and their htmx fragments
come from the same template (template partials), so markup is written once.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from courses import course_page, progress, schedule, services
from courses import search as course_search
from courses.lesson_page import lesson_page
from courses.models import ChecklistTick, Course, Enrollment, Lesson
from courses.outline import course_outline
from courses.templatetags.due_dates import student_due_rows
from lms import page_cache


def _get_lesson(course_slug: str, lesson_slug: str) -> Lesson:
    """A lesson row for the progress actions (the lesson page itself reads through
    courses.lesson_page). Every course is open to every signed-in student; bodies are deferred."""
    lessons = Lesson.objects.select_related("course").defer(
        "body_html", "toc", "course__details", "course__summary", "course__summary_html")
    return get_object_or_404(lessons, course__slug=course_slug, slug=lesson_slug)


def _nav_course(rows: list) -> Course | None:
    """The course the header's Labs link leads to on pages outside a course: the only one."""
    return rows[0].course if len(rows) == 1 else None


@page_cache.student_page
def home(request: HttpRequest) -> HttpResponse:
    rows = progress.dashboard(request.user)
    return render(request, "courses/home.html", {"rows": rows, "nav_course": _nav_course(rows)})


@page_cache.student_page
def course_detail(request: HttpRequest, course_slug: str) -> HttpResponse:
    """Open to everyone: signed out, it is the course's preview (labs listed without status)."""
    course = get_object_or_404(Course.objects.select_related("quiz"), slug=course_slug)
    course_progress = progress.course_progress(request.user, course)
    # The reader's due dates, once (page_cache.fresh_until included), from what was read above.
    due = student_due_rows(request, course, done=progress.done_keys(course_progress))
    signed_in = request.user.is_authenticated
    checklists = progress.checklists(request.user, course_progress)  # rendered by course_page
    return render(request, "courses/course.html", {
        "course": course,
        "progress": course_progress,
        "checklist_items": course_page.checklist_items(request, course, checklists),
        "preview_lesson": course_progress.lessons[0] if course_progress.lessons else None,
        "lesson_rows": course_page.lesson_rows(course_progress, signed_in, due),
        "lab_cards": course_page.lab_cards(course_progress, signed_in, due),
        "quiz_due": due.get(schedule.quiz_key(course)),
    })


@page_cache.student_page
def lesson_detail(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """A lesson. Signed out, the course's first lesson reads as a preview; any other asks the
    reader to log in and says why (the course page lists every lesson to everyone anyway)."""
    page = lesson_page(request.user, course_slug, lesson_slug)
    if page is None:
        raise Http404("No such lesson")
    lesson, lessons = page.lesson, page.outline
    index = next(i for i, item in enumerate(lessons) if item.pk == lesson.pk)
    signed_in = request.user.is_authenticated
    if not signed_in and index > 0:
        messages.info(request, f"Lesson {lesson.number:02d}, “{lesson.title}”, is for students with an "
                               "account. Log in, or sign up for free, to read it and keep your progress. "
                               f"Lesson {lessons[0].code} is open to everyone as a preview.")
        return redirect_to_login(request.get_full_path())
    course_progress = progress.CourseProgress(page.course, lessons, page.completed_ids)
    progress.read_labs(request.user, course_progress)
    if signed_in:
        services.lesson_record_visit(user=request.user, lesson=lesson)
        # The visit is refreshed every VISIT_REFRESH_SECONDS by rendering the page again.
        page_cache.fresh_until(request, timezone.now() + timedelta(seconds=services.VISIT_REFRESH_SECONDS))
    return render(request, "courses/lesson.html", {
        "course": page.course,
        "lesson": lesson,
        "progress": course_progress,
        "lesson_labs": [lab for lab in course_progress.labs if lab.lesson_number == lesson.number],
        "preview": not signed_in,
        "is_complete": lesson.pk in page.completed_ids,
        "nav": [(ref, ref.pk in page.completed_ids) for ref in lessons],
        "previous": lessons[index - 1] if index > 0 else None,
        "next": lessons[index + 1] if index + 1 < len(lessons) else None,
    })


@require_POST
@login_required
@vary_on_headers("HX-Request")
def lesson_complete(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    lesson = _get_lesson(course_slug, lesson_slug)
    complete = request.POST.get("complete", "1") == "1"
    services.lesson_mark_complete(user=request.user, lesson=lesson, complete=complete)
    if not request.htmx:
        return redirect(lesson)
    # The lesson page's bar counts lessons (see lesson_detail): so does its update.
    course_progress = progress.CourseProgress(lesson.course, course_outline(lesson.course),
                                              progress.completed_lesson_ids(request.user, [lesson.course_id]))
    return render(request, "courses/lesson.html#complete-action", {
        "course": lesson.course, "lesson": lesson, "progress": course_progress,
        "is_complete": complete, "oob": True,
    })


@require_POST
@login_required
@vary_on_headers("HX-Request")
def checklist_toggle(request: HttpRequest, course_slug: str, kind: str, key: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    if kind not in ChecklistTick.Kind.values:
        raise Http404("No such checklist")
    try:
        services.checklist_toggle(user=request.user, course=course, kind=kind, key=key)
    except KeyError:
        raise Http404("No such checklist item") from None
    if not request.htmx:
        return redirect(f"{course.get_absolute_url()}#{kind}s")
    course_progress = progress.course_progress(request.user, course)
    lists = progress.checklists(request.user, course_progress)
    items = lists.prerequisites if kind == ChecklistTick.Kind.PREREQUISITE else lists.criteria
    item = next(i for i in items if i.key == key)
    return render(request, "courses/course.html#checklist-item",
                  {"course": course, "item": item, "kind": kind})


@page_cache.student_page  # above login_required: a page from the cache loads no user
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    rows = progress.dashboard(request.user)
    for row in rows:  # each course's due dates, from what was read above ({% due_summary %} shows them)
        student_due_rows(request, row.course, done=progress.done_keys(row))
    return render(request, "courses/dashboard.html", {
        "rows": rows,
        "nav_course": _nav_course(rows),
        "invitations": services.pending_invitations(request.user),
    })


@require_POST
@login_required
def invitation_respond(request: HttpRequest, enrollment_id: int, answer: str) -> HttpResponse:
    """Accept or decline one's own pending invitation to a cohort (404 for anyone else's)."""
    if answer not in ("accept", "decline"):
        raise Http404("No such answer")
    try:
        enrollment = services.invitation_respond(student=request.user, enrollment_id=enrollment_id,
                                                 accept=answer == "accept")
    except Enrollment.DoesNotExist:
        raise Http404("No such invitation") from None
    if answer == "accept":
        messages.success(request, f"You joined {enrollment.cohort}. Its instructors can now see your "
                                  f"progress and work in {enrollment.cohort.course.title}.")
    else:
        messages.info(request, f"You declined the invitation to {enrollment.cohort}.")
    return redirect("dashboard")


@page_cache.student_page  # above login_required: a page from the cache loads no user
@login_required
def search(request: HttpRequest) -> HttpResponse:
    """Search the lessons (signed-in students only, like the lessons the results open).
    `?course=<slug>` keeps the search to one course, as the header box does on a course's pages."""
    slug = request.GET.get("course", "")
    course = None
    if slug and len(slug) <= 50 and slug.replace("-", "").replace("_", "").isalnum() and slug.isascii():
        course = Course.objects.filter(slug=slug).only("id", "slug", "title").first()
    results = course_search.search(request.GET.get("q", ""), course_id=course.pk if course else None)
    return render(request, "courses/search.html", {"results": results, "course": course,
                                                   "limit": course_search.RESULT_LIMIT})
