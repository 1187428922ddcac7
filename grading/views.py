"""Lab pages: the course's lab list, a lab (instructions, submit form, attempt history) and a
submission (live status through htmx polling, then the report).

Views check access, parse, call a service or selector, render. The submission page and its
polled fragment come from one template (template partials)."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from courses.coursework import lab_groups, labs_summary
from courses.models import Course
from grading import conf, manual_grading, selectors, services
from grading.forms import SubmissionForm
from grading.intake.policy import SandboxPolicy, describe_rules
from grading.intake.validation import KUBERNETES_VERSION
from lms import page_cache

POLL_SECONDS = 1


@page_cache.student_page  # above login_required: a page from the cache loads no user
@login_required
def lab_list(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = get_object_or_404(Course, slug=course_slug)
    labs = selectors.lab_entries(request.user, course)
    return render(request, "grading/lab_list.html", {
        "course": course, "groups": lab_groups(labs), "summary": labs_summary(labs)})


def _lab_page(request: HttpRequest, lab, form: SubmissionForm, status: int = 200) -> HttpResponse:
    history = list(selectors.submissions_of(request.user, lab))
    used = sum(1 for s in history if s.status in services.Submission.COUNTED)
    retry_at = services.rate_limit_retry_at(user=request.user, lab=lab,
                                            created=[s.created_at for s in history])
    page_cache.fresh_until(request, retry_at)  # the form comes back then
    content = selectors.lab_content(lab)
    pod_security = conf.pod_security_for(lab)
    sandbox_rules = _sandbox_rules(lab.ingress_domain, pod_security, conf.sandbox_denied_cidrs())
    return render(request, "grading/lab.html", {
        "lab": lab, "course": lab.course, "form": form, "history": history,
        "attempts_used": used,
        "attempts_left": max(lab.attempts_allowed - used, 0) if lab.attempts_allowed else None,
        "retry_at": retry_at,
        "manual_items": content.manual_items,
        "lab_checks": content.checks,
        "pod_security": pod_security,
        "kubernetes_version": KUBERNETES_VERSION,  # what intake validates against, never a copy
        "sandbox_rules": sandbox_rules,
        # The lab's content as every student sees it (deliverable, instructions, checks, rules):
        # rendered once per process, version and rules ({% shared_fragment %}); None: each time.
        "content_key": f"{lab.pk}:{content.version}" if content.version else None,
    }, status=status)


@functools.lru_cache(maxsize=64)
def _sandbox_rules(ingress_domain: str, pod_security: str, denied_cidrs: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(describe_rules(SandboxPolicy(ingress_domain=ingress_domain, pod_security=pod_security,
                                              denied_cidrs=denied_cidrs)))


@page_cache.student_page  # above login_required: a page from the cache loads no user
@login_required
def lab_detail(request: HttpRequest, course_slug: str, lab_slug: str) -> HttpResponse:
    lab = selectors.get_lab(course_slug, lab_slug)
    return _lab_page(request, lab, SubmissionForm())


@require_POST
@login_required
def lab_submit(request: HttpRequest, course_slug: str, lab_slug: str) -> HttpResponse:
    lab = selectors.get_lab(course_slug, lab_slug)
    form = SubmissionForm(request.POST, request.FILES, lab=lab)
    if not form.is_valid():
        return _lab_page(request, lab, form, status=400)
    sources = services.Submission.Source
    source = sources.UPLOAD if form.cleaned_data["files"] else sources.PASTE
    try:
        submission = services.submission_create(user=request.user, lab=lab, files=form.submitted_files(),
                                                source=source)
    except services.SubmissionRefused as exc:
        messages.error(request, str(exc))
        return redirect(lab)
    return redirect(submission)


@never_cache
@vary_on_headers("HX-Request")
@page_cache.student_page  # the full page only: htmx polls are never stored; above login_required
@login_required
def submission_detail(request: HttpRequest, submission_id: int) -> HttpResponse:
    submission = selectors.get_submission_for(request.user, submission_id)
    state = f"{submission.status}:{submission.stage}"
    if request.htmx and submission.is_active and request.GET.get("seen") == state:
        # Nothing new: no swap, so the page's live region does not read the same line again.
        return HttpResponse(status=204)
    since = submission.started_at if submission.status == services.Status.RUNNING else submission.queued_at
    results = selectors.results_of(submission)
    content = selectors.lab_content(submission.lab)
    context = {
        "submission": submission, "lab": submission.lab, "course": submission.lab.course,
        "results": results, "has_live_results": any(r.is_live for r in results),
        # A refused submission's results are a preview (grading.pipeline.GradeReport.preview).
        "preview_score": sum(r.points for r in results), "preview_max": sum(r.max_points for r in results),
        "manual_items": content.manual_items,
        "manual_grades": selectors.manual_grades_of(submission, content),
        # Automatic + manual once the instructor grades the rubric (grading/manual_grading.py).
        "final": (manual_grading.final_grade(submission, content.manual_max)
                  if submission.status == services.Status.AWAITING or submission.graded_at else None),
        "since": since if submission.is_active else None, "state": state,
        "poll_seconds": POLL_SECONDS,
    }
    template = "grading/submission.html"
    if request.htmx:
        template += "#submission-status"
    return render(request, template, context)
