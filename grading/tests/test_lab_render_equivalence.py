# ruff: noqa: E501 - the reference templates are kept verbatim, long lines and all
"""The lab page and the submission page render exactly the HTML they rendered before their cold
path was made cheaper (issue 17: per-process lab content, shared fragments, fewer queries).

The reference is that code as it stood (commit 78fc5b6): both templates verbatim, below, and the
views' context built the plain way (every query, nothing remembered). Each state is rendered
by the real view through the test client (twice: the second render reads the per-process
snapshots and fragments the first one made) and by the reference, on the same request, and
the two must be equal byte for byte. A change to either page on purpose changes the reference
with it (or retires this file). Personas: alice submits, bob is another student, ivy teaches
alice's cohort."""

import datetime
import re

import pytest
from django.core.cache import caches
from django.template import engines
from django.template.context import make_context
from django.urls import reverse
from django.utils import timezone

from courses.models import DueDate
from grading import conf, manual_grading, selectors, services
from grading.forms import SubmissionForm
from grading.intake.policy import SandboxPolicy, describe_rules
from grading.intake.validation import KUBERNETES_VERSION
from grading.models import CheckResult, Lab, Submission
from lms import page_cache

Status = Submission.Status

REFERENCE_LAB = r"""{% extends "base.html" %}
{% load static due_dates coursework %}
{% block title %}{{ lab.title }}{% endblock %}
{% block head %}<link rel="stylesheet" href="{% static 'css/error_summary.css' %}">{% endblock %}
{% block content %}
<p class="eyebrow"><a href="{{ course.get_absolute_url }}">{{ course.title }}</a> · <a href="{% url 'lab-list' course.slug %}">Labs</a></p>
<h1>{{ lab.title }}</h1>
<p class="lead">{{ lab.summary }}</p>
<ul class="facts">
  <li><span>Type</span>{{ lab.kind|lab_kind }}</li>
  {% if lab.lesson %}<li><span>Lesson</span><a href="{{ lab.lesson.get_absolute_url }}">{{ lab.lesson.number|stringformat:"02d" }} {{ lab.lesson.title }}</a></li>{% endif %}
  <li><span>Time</span>about {{ lab.estimated_minutes|say_minutes }}</li>
  <li><span>To pass</span>{{ lab.pass_percent }}% of the points</li>
  <li><span>Attempts</span>{% if lab.attempts_allowed %}{{ attempts_used }} of {{ lab.attempts_allowed }} used{% else %}unlimited{% endif %}</li>
</ul>
{% due_for course "lab" lab.slug %}

<section class="card lab-deliverable" aria-labelledby="deliverable-h">
  <h2 id="deliverable-h">Deliverable</h2>
  <p>{{ lab.deliverable }}</p>
  {% if lab.require_readme %}<p class="meta">Include a <code>README.md</code> that explains how to deploy and use your system.</p>{% endif %}
  {% if manual_items %}
    <p class="meta">An instructor also grades:</p>
    <ul>{% for item in manual_items %}<li>{{ item.title }} ({{ item.points|floatformat:"-2" }} points){% if item.description %} — {{ item.description }}{% endif %}</li>{% endfor %}</ul>
  {% endif %}
</section>

<article class="prose lab-instructions">{{ lab.instructions_html|safe }}</article>

{% if lab_checks %}
<section class="card lab-checks" aria-labelledby="checks-h">
  <h2 id="checks-h">The automatic checks</h2>
  <p class="meta">Each requirement above ends with the check that grades it (<em>Check: id</em>), or says it is enforced at intake or not auto-graded.</p>
  <ul>{% for c in lab_checks %}<li><code>{{ c.check_id }}</code> {{ c.title }} ({{ c.points|floatformat:"-2" }} point{{ c.points|pluralize }})</li>{% endfor %}</ul>
</section>
{% endif %}

{% comment %}Rendered from grading.intake.policy.describe_rules: the policy's own constants, so this list and what the sandbox refuses cannot drift apart.{% endcomment %}
<details class="card sandbox-rules" id="sandbox-rules">
  <summary><h2 class="h3">Rules of the sandbox</h2></summary>
  <p class="meta">Every lab's submission is refused, with the reason, when it breaks one of these. They keep one student's work from reaching another's, the cluster or the graders.</p>
  <ul>{% for rule in sandbox_rules %}<li>{{ rule }}</li>{% endfor %}</ul>
</details>

<section class="card lab-submit" aria-labelledby="submit-h" id="submit">
  <h2 id="submit-h">Submit your manifests</h2>
  {% due_closed course "lab" lab.slug as closed %}
  {% if closed %}
    <p id="closed">This lab closed at its due date and no longer takes work. If you need more time, ask your instructor for an extension.</p>
  {% elif attempts_left == 0 %}
    <p>You have used all {{ lab.attempts_allowed }} attempts for this lab.</p>
  {% elif retry_at %}
    <p id="rate-limited">You have submitted to this lab as often as allowed for now. You can submit again at <time datetime="{{ retry_at|date:'c' }}">{{ retry_at|date:"H:i T" }}</time>.</p>
  {% else %}
    <p class="meta">Podium reads your YAML safely, validates it against Kubernetes {{ kubernetes_version }}, checks it is fit for a sandbox namespace (leave <code>metadata.namespace</code> out; Ingress hosts under <code>{{ lab.ingress_domain }}</code>{% if pod_security != "privileged" %}; pods that meet Pod Security “{{ pod_security }}”{% endif %}), then runs the lab's checks.</p>
    <form method="post" action="{% url 'lab-submit' course.slug lab.slug %}" enctype="multipart/form-data" id="submit-form">
      {% include "partials/error_summary.html" with title="Your submission was not sent for grading" intro="Fix this and submit again:" %}
      {% csrf_token %}
      {% include "partials/form.html" with summary=True %}
      <button type="submit" class="button">Submit for grading</button>
    </form>
    <script src="{% static 'js/error_summary.js' %}" defer></script>
  {% endif %}
</section>

<section aria-labelledby="history-h">
  <h2 id="history-h">Your attempts</h2>
  {% if history %}
    <table class="attempts">
      <thead><tr><th scope="col">#</th><th scope="col">Submitted</th><th scope="col">Result</th><th scope="col">Score</th></tr></thead>
      <tbody>
        {% for s in history %}
          <tr id="submission-{{ s.pk }}">
            <td><a href="{{ s.get_absolute_url }}">{{ s.pk }}</a></td>
            <td><time datetime="{{ s.created_at|date:'c' }}">{{ s.created_at|date:"j M Y, H:i T" }}</time>{% if s.late %} <span class="meta">(late)</span>{% endif %}</td>
            <td>{% include "grading/_status_badge.html" %}</td>
            <td>{% if s.score is not None %}{{ s.score|floatformat:"-2" }} / {{ s.max_score|floatformat:"-2" }}{% else %}—{% endif %}</td>
          </tr>
        {% endfor %}
      </tbody>
    </table>
  {% else %}
    <p class="muted">No attempts yet.</p>
  {% endif %}
</section>
{% endblock %}
"""

REFERENCE_SUBMISSION = r"""{% extends "base.html" %}
{% load partials podium student_notes %}
{% block title %}Submission {{ submission.pk }} · {{ lab.title }}{% endblock %}
{% block content %}
<p class="eyebrow"><a href="{{ course.get_absolute_url }}">{{ course.title }}</a> · <a href="{{ lab.get_absolute_url }}">{{ lab.title }}</a></p>
<h1>Submission {{ submission.pk }}</h1>
<p class="meta">Submitted <time datetime="{{ submission.created_at|date:'c' }}">{{ submission.created_at|date:"j M Y, H:i T" }}</time>{% if submission.user_id != request.user.pk %} by {{ submission.user.get_full_name|default:submission.user.email }} (you are viewing it as their instructor){% endif %}</p>

{% comment %}Screen readers hear one short sentence per new state from this region, which stays on
the page: each htmx poll that finds a change swaps it out of band. The report itself is not a
live region (read out whole, it would drown the verdict).{% endcomment %}
<p id="grading-announcement" class="visually-hidden" role="status" aria-live="polite"></p>
<div class="grading-live">
{% partialdef submission-status inline %}
<section id="submission-status" class="grading-report"
  {% if submission.is_active %}hx-get="{% url 'submission' submission.pk %}?seen={{ state|urlencode }}" hx-trigger="every {{ poll_seconds }}s" hx-swap="outerHTML"{% endif %}>
  {% if submission.is_active %}
    <p class="grading-progress">
      <span class="spinner" aria-hidden="true"></span>
      {% if submission.status == "queued" %}Waiting for a grader…{% else %}Grading{% if submission.stage %}: {{ submission.stage }}{% endif %}…{% endif %}
      {% if since %}<span class="meta">since <time datetime="{{ since|date:'c' }}">{{ since|time:"H:i:s" }}</time></span>{% endif %}
    </p>
    <noscript><p><a href="{% url 'submission' submission.pk %}">Refresh</a> to see the result.</p></noscript>
  {% elif submission.status == "not_graded" %}
    <div class="card grading-summary is-not-graded">
      <p>{% include "grading/_status_badge.html" with s=submission %} Something went wrong on our side, so this submission was not graded. It does not count as an attempt: submit again, or ask your instructor.</p>
    </div>
  {% elif submission.status == "invalid" %}
    <div class="card grading-summary is-invalid">
      <p>{% include "grading/_status_badge.html" with s=submission %} Podium could not grade this submission. Fix these problems and submit again:</p>
      <ul class="grading-errors">
        {% for e in submission.errors %}
          <li><code>{{ e.file }}{% if e.document %} (document {{ e.document }}){% endif %}{% if e.line %}:{{ e.line }}{% endif %}</code>{% if e.field %} <code>{{ e.field }}</code>{% endif %} — {{ e.message }}{% if e.lesson_url %} <a href="{{ e.lesson_url }}">Read the lesson section</a>{% endif %}</li>
        {% endfor %}
      </ul>
    </div>
    {% if results %}
      <section class="grading-preview" aria-labelledby="preview-heading">
        <h2 id="preview-heading" class="check-list-heading">Preview: not a grade</h2>
        <p class="meta">The sandbox refused this submission, so it scores nothing. To show what else needs work, Podium ran the lab's checks on what it could read: it <strong>would score {{ preview_score|floatformat:"-2" }} / {{ preview_max|floatformat:"-2" }} points</strong> once accepted. This preview does not count.</p>
        <ol class="check-list">
          {% for r in results %}{% partial check-item %}{% endfor %}
        </ol>
      </section>
    {% endif %}
  {% else %}
    <div class="card grading-summary">
      {% if submission.status == "awaiting" %}
      <p class="grading-score">{% include "grading/_status_badge.html" with s=submission %}
        <strong>Automatic checks passed — awaiting instructor grading</strong></p>
      <p class="meta">The checks gave {{ submission.score|floatformat:"-2" }} / {{ submission.max_score|floatformat:"-2" }} points. Your instructor still grades {% for item in lab.manual_items.all %}{{ item.title|lower }}{% if not forloop.last %}, {% endif %}{% endfor %} ({{ final.manual_max|floatformat:"-2" }} points); the lab is passed once they post your final grade.</p>
      {% elif final and final.manual is not None %}
      <p class="grading-score">{% include "grading/_status_badge.html" with s=submission %}
        <strong>Final grade: {{ final.total|floatformat:"-2" }} / {{ final.total_max|floatformat:"-2" }} points</strong>
        ({{ final.percent|floatformat:"-2" }}%; {{ lab.pass_percent }}% needed to pass)</p>
      <p class="meta">Automatic checks {{ final.automatic|floatformat:"-2" }} / {{ final.automatic_max|floatformat:"-2" }}, graded by your instructor {{ final.manual|floatformat:"-2" }} / {{ final.manual_max|floatformat:"-2" }}.</p>
      {% else %}
      <p class="grading-score">{% include "grading/_status_badge.html" with s=submission %}
        <strong>{{ submission.score|floatformat:"-2" }} / {{ submission.max_score|floatformat:"-2" }} points</strong>
        ({{ submission.percent|floatformat:"-2" }}%; {{ lab.pass_percent }}% needed to pass)</p>
      {% endif %}
      {% if manual_grades %}
        <p class="meta">Graded by your instructor: {% for g in manual_grades %}{{ g.item.title }} {{ g.points|floatformat:"-2" }}/{{ g.item.points|floatformat:"-2" }}{% if g.comment %} — “{{ g.comment }}”{% endif %}{% if not forloop.last %}; {% endif %}{% endfor %}</p>
      {% endif %}
      {% for note in submission.notes %}<p class="meta">{{ note|student_note }}</p>{% endfor %}
    </div>
    <h2 class="check-list-heading">The lab's checks</h2>
    <ol class="check-list">
      {% for r in results %}{% if not r.is_live %}{% partial check-item %}{% endif %}{% endfor %}
    </ol>
    {% if has_live_results %}
      <h2 class="check-list-heading">In the sandbox</h2>
      <p class="meta">What the cluster made of your manifests. These carry no points of their own, but the lab passes only when they pass too.</p>
      <ol class="check-list">
        {% for r in results %}{% if r.is_live %}{% partial check-item %}{% endif %}{% endfor %}
      </ol>
    {% endif %}
  {% endif %}
</section>
{% if request.htmx %}<p id="grading-announcement" hx-swap-oob="innerHTML">{% if submission.is_active %}{% if submission.status == "queued" %}Waiting for a grader.{% else %}Grading: {{ submission.stage|default:"started" }}.{% endif %}{% elif submission.status == "invalid" %}Rejected: {{ submission.errors|length }} problem{{ submission.errors|length|pluralize }} to fix.{% elif submission.status == "not_graded" %}Not graded: something went wrong on our side.{% else %}{{ submission.get_status_display }}: {{ submission.score|floatformat:"-2" }} of {{ submission.max_score|floatformat:"-2" }} points.{% endif %}</p>{% endif %}
{% endpartialdef %}
</div>
<p><a class="button button-ghost" href="{{ lab.get_absolute_url }}#submit">Back to the lab</a></p>
{% partialdef check-item %}
<li class="check {% if r.passed %}check-passed{% else %}check-failed{% endif %}" id="check-{{ r.check_id }}">
  <p class="check-title"><span class="check-mark" aria-hidden="true">{% if r.passed %}✓{% else %}✗{% endif %}</span>
    <span class="visually-hidden">{% if r.passed %}Passed:{% else %}Failed:{% endif %}</span>
    <strong>{{ r.title }}</strong>{% if not r.is_live %} <span class="meta">{{ r.points|floatformat:"-2" }} / {{ r.max_points|floatformat:"-2" }}</span>{% endif %}</p>
  <p>{{ r.message }}</p>
  {% if not r.passed %}
    {% if r.expected or r.observed %}
      <dl class="check-evidence">
        {% if r.expected %}<div><dt>Expected</dt><dd><code>{{ r.expected }}</code></dd></div>{% endif %}
        {% if r.observed %}<div><dt>Observed</dt><dd><code>{{ r.observed }}</code></dd></div>{% endif %}
      </dl>
    {% endif %}
    {% if r.hint %}<p class="check-hint"><span class="label">{% if r.is_live %}Diagnosis{% else %}Hint{% endif %}</span>{{ r.hint|code_spans }}</p>{% endif %}
    {% if r.lesson_url %}<p><a href="{{ r.lesson_url }}">Read the lesson section</a></p>{% endif %}
  {% endif %}
</li>
{% endpartialdef %}
{% endblock %}

"""

_engine = engines["django"]
# A CSRF token is masked afresh at each use: equal pages differ only there.
_TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[A-Za-z0-9]{64}')


def unmasked(html: str) -> str:
    return _TOKEN.sub(r"\1<token>", html)


def _reference_lab(request, lab_slug: str, course_slug: str, form) -> str:
    lab = Lab.objects.select_related("course", "lesson").get(course__slug=course_slug, slug=lab_slug)
    history = list(Submission.objects.filter(user=request.user, lab=lab))
    used = sum(1 for s in history if s.status in Submission.COUNTED)
    retry_at = services.rate_limit_retry_at(user=request.user, lab=lab)
    return _engine.from_string(REFERENCE_LAB).render({
        "lab": lab, "course": lab.course, "form": form, "history": history,
        "attempts_used": used,
        "attempts_left": max(lab.attempts_allowed - used, 0) if lab.attempts_allowed else None,
        "retry_at": retry_at,
        "manual_items": list(lab.manual_items.all()),
        "lab_checks": list(lab.checks.all()),
        "pod_security": conf.pod_security_for(lab),
        "kubernetes_version": KUBERNETES_VERSION,
        "sandbox_rules": describe_rules(SandboxPolicy(
            ingress_domain=lab.ingress_domain, pod_security=conf.pod_security_for(lab),
            denied_cidrs=conf.sandbox_denied_cidrs())),
    }, request)


def _reference_submission(request, submission_id: int) -> str:
    submission = Submission.objects.select_related("lab", "lab__course", "user").get(pk=submission_id)
    state = f"{submission.status}:{submission.stage}"
    since = submission.started_at if submission.status == Status.RUNNING else submission.queued_at
    results = list(submission.results.all())
    context = {
        "submission": submission, "lab": submission.lab, "course": submission.lab.course,
        "results": results, "has_live_results": any(r.is_live for r in results),
        "preview_score": sum(r.points for r in results), "preview_max": sum(r.max_points for r in results),
        "manual_grades": list(submission.manual_grades.select_related("item")),
        "final": (manual_grading.final_grade(submission)
                  if submission.status == Status.AWAITING or submission.graded_at else None),
        "since": since if submission.is_active else None, "state": state,
        "poll_seconds": 1,
    }
    if not request.htmx:
        return _engine.from_string(REFERENCE_SUBMISSION).render(context, request)
    # The polled fragment: the submission-status partial alone (with the check-item partial it uses).
    start = REFERENCE_SUBMISSION.index("{% partialdef submission-status inline %}")
    body = REFERENCE_SUBMISSION[start:REFERENCE_SUBMISSION.index("{% endpartialdef %}", start)]
    body = body.removeprefix("{% partialdef submission-status inline %}")
    item_start = REFERENCE_SUBMISSION.index("{% partialdef check-item %}")
    item = REFERENCE_SUBMISSION[item_start:REFERENCE_SUBMISSION.index("{% endpartialdef %}", item_start)]
    source = "{% load partials podium student_notes %}" + item + "{% endpartialdef %}" + body
    return _engine.from_string(source).template.render(make_context(context, request))


@pytest.fixture(autouse=True)
def cold():
    """Each test starts as a new process would: no snapshot, no shared fragment."""
    caches[page_cache.SHARED_ALIAS].clear()
    selectors.forget_snapshots()
    yield
    caches[page_cache.SHARED_ALIAS].clear()
    selectors.forget_snapshots()


def assert_lab_page_as_before(client, lab, *, twice: bool = True) -> str:
    url = reverse("lab", args=[lab.course.slug, lab.slug])
    html = None
    for _ in range(2 if twice else 1):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        expected = _reference_lab(response.wsgi_request, lab.slug, lab.course.slug, SubmissionForm())
        assert unmasked(html) == unmasked(expected)
    return html


def assert_submission_page_as_before(client, submission, **headers) -> str:
    html = None
    for _ in range(2):
        response = client.get(submission.get_absolute_url(), headers=headers)
        assert response.status_code == 200
        html = response.content.decode()
        assert unmasked(html) == unmasked(_reference_submission(response.wsgi_request, submission.pk))
    return html


def make(user, lab, status, **fields) -> Submission:
    return Submission.objects.create(user=user, lab=lab, status=status, queued_at=timezone.now(), **fields)


def result(submission, position: int, check_id: str, *, passed: bool, points: float, max_points: float,
           **evidence) -> CheckResult:
    return CheckResult.objects.create(submission=submission, position=position, check_id=check_id,
                                      title=f"The {check_id} check", passed=passed, points=points,
                                      max_points=max_points, message=f"What {check_id} found.", **evidence)


# --- the lab page ---------------------------------------------------------------------------

def test_lab_page_without_history(client, alice, lab):
    client.force_login(alice)
    html = assert_lab_page_as_before(client, lab)
    assert "No attempts yet." in html and 'id="submit-form"' in html


def test_lab_page_with_submissions_in_every_state(client, alice, bob, lab):
    make(alice, lab, Status.PASSED, score=3, max_score=3, passed=True)
    make(alice, lab, Status.FAILED, score=4 / 3, max_score=3, late=True)
    make(alice, lab, Status.INVALID, errors=[{"file": "d.yaml", "message": "bad"}])
    make(alice, lab, Status.NOT_GRADED)
    make(alice, lab, Status.RUNNING, stage="checks")
    make(bob, lab, Status.PASSED, score=3, max_score=3, passed=True)  # never on alice's page
    client.force_login(alice)
    html = assert_lab_page_as_before(client, lab)
    assert html.count('<tr id="submission-') == 5 and "(late)" in html and "1.33 / 3" in html


def test_practical_page_lists_manual_items_and_the_readme(client, alice, practical):
    make(alice, practical, Status.AWAITING, score=1, max_score=1)
    client.force_login(alice)
    html = assert_lab_page_as_before(client, practical)
    assert "An instructor also grades:" in html and "README.md" in html


def test_lab_page_when_rate_limited(client, alice, lab, settings):
    settings.GRADING_RATE_LIMIT = "2/1h"
    make(alice, lab, Status.FAILED, score=1, max_score=3)
    make(alice, lab, Status.FAILED, score=2, max_score=3)
    client.force_login(alice)
    html = assert_lab_page_as_before(client, lab)
    assert 'id="rate-limited"' in html and 'id="submit-form"' not in html


def test_lab_page_counts_attempts_and_says_when_they_are_used_up(client, alice, lab):
    Lab.objects.filter(pk=lab.pk).update(attempts_allowed=3)
    make(alice, lab, Status.FAILED, score=1, max_score=3)
    make(alice, lab, Status.NOT_GRADED)  # not an attempt
    client.force_login(alice)
    assert "1 of 3 used" in assert_lab_page_as_before(client, lab)
    make(alice, lab, Status.FAILED, score=1, max_score=3)
    make(alice, lab, Status.INVALID)
    html = assert_lab_page_as_before(client, lab)
    assert "3 of 3 used" in html and "You have used all 3 attempts" in html


def test_lab_page_closed_by_its_due_date(client, alice, lab, cohort):
    DueDate.objects.create(cohort=cohort, item_key="lab:first-deployment", close_at_due=True,
                           due_at=timezone.now() - datetime.timedelta(days=1))
    client.force_login(alice)
    html = assert_lab_page_as_before(client, lab)
    assert 'id="closed"' in html and 'id="submit-form"' not in html


def test_lab_page_with_a_due_date_to_come(client, alice, lab, cohort):
    DueDate.objects.create(cohort=cohort, item_key="lab:first-deployment",
                           due_at=timezone.now() + datetime.timedelta(days=2))
    client.force_login(alice)
    assert 'id="submit-form"' in assert_lab_page_as_before(client, lab)


def test_refused_form_page_as_before(client, alice, lab):
    """The page the submit view answers 400 with: the bound form, its errors and their summary."""
    client.force_login(alice)
    assert_lab_page_as_before(client, lab)  # the blank form's fragment is kept: not for this page
    response = client.post(reverse("lab-submit", args=[lab.course.slug, lab.slug]), {"paste": "  "})
    assert response.status_code == 400
    request = response.wsgi_request
    form = SubmissionForm(request.POST, request.FILES, lab=lab)
    assert not form.is_valid()
    html = response.content.decode()
    assert unmasked(html) == unmasked(_reference_lab(request, lab.slug, lab.course.slug, form))
    assert 'id="error-summary"' in html


def test_lab_page_follows_a_new_version_of_the_lab(client, alice, lab, course_dir):
    from courses.services import course_import
    from grading.tests.conftest import LAB_YAML, write_lab

    client.force_login(alice)
    assert "At least three replicas" in assert_lab_page_as_before(client, lab)
    changed = LAB_YAML.format(attempts=0).replace("At least three replicas", "Three replicas or more")
    write_lab(course_dir, "first-deployment", changed.replace("Write a Deployment. See", "Deploy. See"))
    course_import(path=course_dir)
    html = assert_lab_page_as_before(client, lab)
    assert "Three replicas or more" in html and "At least three replicas" not in html
    assert "Deploy. See" in html


# --- the submission page --------------------------------------------------------------------

def test_queued_submission_page_and_its_poll(client, alice, lab):
    submission = make(alice, lab, Status.QUEUED)
    client.force_login(alice)
    assert "Waiting for a grader" in assert_submission_page_as_before(client, submission)
    assert "Waiting for a grader." in assert_submission_page_as_before(client, submission, HX_Request="true")


def test_running_submission_page_shows_its_stage(client, alice, lab):
    submission = make(alice, lab, Status.RUNNING, stage="checks", started_at=timezone.now())
    client.force_login(alice)
    assert "Grading: checks" in assert_submission_page_as_before(client, submission)
    assert_submission_page_as_before(client, submission, HX_Request="true")


def test_passed_submission_page(client, alice, lab):
    submission = make(alice, lab, Status.PASSED, score=3, max_score=3, passed=True,
                      notes=["live checks skipped: no cluster configured"])
    result(submission, 0, "deployment", passed=True, points=1, max_points=1)
    result(submission, 1, "replicas", passed=True, points=2, max_points=2)
    result(submission, 2, "live-rollout", passed=True, points=0, max_points=0)
    client.force_login(alice)
    html = assert_submission_page_as_before(client, submission)
    assert "In the sandbox" in html and "3 / 3 points" in html
    assert_submission_page_as_before(client, submission, HX_Request="true")


def test_failed_submission_page_with_evidence_and_hints(client, alice, lab):
    submission = make(alice, lab, Status.FAILED, score=1, max_score=3)
    result(submission, 0, "deployment", passed=True, points=1, max_points=1)
    result(submission, 1, "replicas", passed=False, points=0, max_points=2, expected="replicas >= 3",
           observed="replicas: 1", hint="Set `spec.replicas` to 3 <now>.", lesson_url="/courses/x/#y")
    result(submission, 2, "live-ready", passed=False, points=0, max_points=0, hint="The pod `crashed`.")
    client.force_login(alice)
    html = assert_submission_page_as_before(client, submission)
    assert "<code>spec.replicas</code>" in html and "Diagnosis" in html and "&lt;now&gt;" in html


def test_invalid_submission_page_with_its_preview(client, alice, lab):
    submission = make(alice, lab, Status.INVALID, errors=[
        {"file": "d.yaml", "document": 2, "line": 7, "field": "spec.replicas", "message": "not a number",
         "lesson_url": "/courses/x/#replicas"},
        {"file": "e.yaml", "message": "namespace set"}])
    result(submission, 0, "deployment", passed=True, points=1, max_points=1)
    result(submission, 1, "replicas", passed=False, points=0.5, max_points=2, hint="More replicas.")
    client.force_login(alice)
    html = assert_submission_page_as_before(client, submission)
    assert "would score 1.50 / 3 points" in html and "(document 2):7" in html
    assert "Rejected: 2 problems to fix." in assert_submission_page_as_before(client, submission,
                                                                             HX_Request="true")


def test_not_graded_submission_page(client, alice, lab):
    submission = make(alice, lab, Status.NOT_GRADED, failure="worker lost")
    client.force_login(alice)
    assert "was not graded" in assert_submission_page_as_before(client, submission)


def test_awaiting_then_graded_submission_pages(client, alice, ivy, cohort, practical):
    submission = make(alice, practical, Status.AWAITING, score=1, max_score=1)
    result(submission, 0, "service", passed=True, points=1, max_points=1)
    client.force_login(alice)
    html = assert_submission_page_as_before(client, submission)
    assert "awaiting instructor grading" in html and "still grades demo (10 points)" in html
    item = practical.manual_items.get()
    manual_grading.manual_grade_post(submission=submission, grades={item.pk: (8, "Clear demo")}, by=ivy)
    html = assert_submission_page_as_before(client, submission)
    assert "Final grade: 9 / 11 points" in html and "Demo 8/10 — “Clear demo”" in html


def test_instructor_sees_the_same_page_as_before(client, alice, ivy, cohort, lab):
    submission = make(alice, lab, Status.FAILED, score=1, max_score=3)
    result(submission, 0, "deployment", passed=True, points=1, max_points=1)
    client.force_login(ivy)
    assert "you are viewing it as their instructor" in assert_submission_page_as_before(client, submission)


def test_another_students_submission_stays_404(client, alice, bob, lab):
    submission = make(alice, lab, Status.PASSED, score=3, max_score=3, passed=True)
    client.force_login(alice)
    assert_submission_page_as_before(client, submission)  # warm: nothing of it kept for bob
    client.force_login(bob)
    assert client.get(submission.get_absolute_url()).status_code == 404
    assert client.get(submission.get_absolute_url(), headers={"HX-Request": "true"}).status_code == 404
