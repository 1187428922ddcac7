"""Labs (from content files), submissions, their results and manual rubric grades.

Lab, LabCheck and ManualItem rows are written only by `load_course` from
`courses/content/<course>/labs/<slug>/lab.yaml`; edit the files, not the rows.
A Submission stores the raw files first, then moves queued → running → a final status; the
task claims it with a conditional update (see grading/services.py).
"""

from django.conf import settings
from django.db import models
from django.urls import reverse

from courses.models import Course, Lesson
from grading.labs import LIVE_CHECK_PREFIX


class Lab(models.Model):
    class Kind(models.TextChoices):
        ACTIVITY = "activity", "Activity"
        PRACTICAL = "practical", "Practical"
        LESSON = "lesson", "Lesson hands-on"

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="labs")
    slug = models.SlugField()
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    lesson = models.ForeignKey(Lesson, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="labs")
    summary = models.TextField()
    instructions = models.TextField(help_text="Markdown, as in lab.yaml.")
    instructions_html = models.TextField(help_text="Rendered and sanitised once, at import.")
    deliverable = models.TextField()
    estimated_minutes = models.PositiveIntegerField()
    attempts_allowed = models.PositiveIntegerField(default=0, help_text="0 = unlimited.")
    time_limit_seconds = models.PositiveIntegerField(default=120)
    pass_percent = models.PositiveSmallIntegerField(default=100)
    require_readme = models.BooleanField(default=False)
    ingress_domain = models.CharField(max_length=253, default="podium.test")
    pod_security = models.CharField(max_length=20, blank=True,
                                    help_text='Sandbox Pod Security level; empty = the platform default.')
    content_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["course", "lesson__number", "slug"]
        constraints = [models.UniqueConstraint(fields=["course", "slug"], name="lab_slug_unique")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("lab", args=[self.course.slug, self.slug])

    @property
    def required_for_completion(self) -> bool:
        return self.kind in (self.Kind.ACTIVITY, self.Kind.PRACTICAL)


class LabCheck(models.Model):
    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="checks")
    position = models.PositiveSmallIntegerField()
    check_id = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    function = models.SlugField(max_length=80, help_text="Name in grading.checks.REGISTRY.")
    params = models.JSONField(default=dict, blank=True)
    points = models.FloatField()
    hint = models.TextField()
    lesson_link = models.CharField(max_length=200, blank=True)
    lesson_url = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["lab", "position"]
        constraints = [models.UniqueConstraint(fields=["lab", "check_id"], name="lab_check_unique")]

    def __str__(self) -> str:
        return f"{self.check_id}: {self.title}"


class ManualItem(models.Model):
    """A rubric item an instructor grades by hand (e.g. a demo)."""

    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="manual_items")
    position = models.PositiveSmallIntegerField()
    item_id = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    points = models.FloatField()
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["lab", "position"]
        constraints = [models.UniqueConstraint(fields=["lab", "item_id"], name="lab_manual_item_unique")]

    def __str__(self) -> str:
        return f"{self.title} ({self.points:g} points)"


class Submission(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Grading"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        INVALID = "invalid", "Rejected"          # the input could not be graded (student's side)
        NOT_GRADED = "not_graded", "Not graded"  # our side failed: does not use an attempt
        # The automatic checks passed; the lab's manual rubric items wait for the instructor
        # (grading/manual_grading.py). Not passed until the grade is posted.
        AWAITING = "awaiting", "Awaiting grading"

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    FINAL = (Status.PASSED, Status.FAILED, Status.INVALID, Status.NOT_GRADED, Status.AWAITING)
    COUNTED = (Status.QUEUED, Status.RUNNING, Status.PASSED, Status.FAILED, Status.INVALID, Status.AWAITING)

    class Source(models.TextChoices):
        UPLOAD = "upload", "Upload"
        PASTE = "paste", "Paste"

    lab = models.ForeignKey(Lab, on_delete=models.CASCADE, related_name="submissions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="lab_submissions")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.UPLOAD)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=40, blank=True, help_text="Current pipeline stage.")
    score = models.FloatField(null=True, blank=True)
    max_score = models.FloatField(null=True, blank=True)
    passed = models.BooleanField(default=False)
    errors = models.JSONField(default=list, blank=True)  # [{file, document, line, field, message}]
    notes = models.JSONField(default=list, blank=True)
    stages = models.JSONField(default=list, blank=True)  # [{name, started, finished, ms}]
    failure = models.TextField(blank=True, help_text="Why it was not graded (our side).")
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(help_text="Last (re)queued; the sweeper uses it.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=40, blank=True, help_text="Token of the run that holds it.")
    runs = models.PositiveIntegerField(default=0, help_text="Times a worker claimed it.")
    requeues = models.PositiveIntegerField(default=0, help_text="Times the sweeper re-queued it.")
    graded_count = models.PositiveIntegerField(default=0, help_text="Times results were written.")
    late = models.BooleanField(default=False, help_text="Submitted after its due date (incl. extension).")
    # The manual rubric's total once the instructor posts it (grading/manual_grading.py); the
    # final grade is score + manual_score. Null: not posted (or the lab has no manual items).
    manual_score = models.FloatField(null=True, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True, help_text="When the manual grade was posted.")
    graded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "lab", "-created_at"], name="submission_user_lab"),
            models.Index(fields=["status", "queued_at"], name="submission_status_queued"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.lab.slug} by {self.user}"

    def get_absolute_url(self) -> str:
        return reverse("submission", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> float | None:
        if self.score is None or not self.max_score:
            return None
        return round(100 * self.score / self.max_score, 1)


class SubmissionFile(models.Model):
    """A raw uploaded file, stored before any work starts (nothing is lost if a worker dies)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=255)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["submission", "id"]

    def __str__(self) -> str:
        return self.name


class CheckResult(models.Model):
    """One check's verdict for a submission, with the evidence shown to the student."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="results")
    position = models.PositiveSmallIntegerField()
    check_id = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    passed = models.BooleanField()
    points = models.FloatField()
    max_points = models.FloatField()
    message = models.TextField()
    expected = models.TextField(blank=True)
    observed = models.TextField(blank=True)
    hint = models.TextField(blank=True)
    lesson_url = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["submission", "position"]
        constraints = [models.UniqueConstraint(fields=["submission", "check_id"],
                                               name="check_result_unique")]

    def __str__(self) -> str:
        return f"{self.check_id}: {'passed' if self.passed else 'failed'}"

    @property
    def is_live(self) -> bool:
        """A verdict on what the cluster made of the submission (no points of its own)."""
        return self.check_id.startswith(LIVE_CHECK_PREFIX)


class ManualGrade(models.Model):
    """An instructor's grade for one rubric item of a submission."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="manual_grades")
    item = models.ForeignKey(ManualItem, on_delete=models.CASCADE, related_name="grades")
    points = models.FloatField()
    comment = models.TextField(blank=True)
    graded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="+")
    graded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["submission", "item__position"]
        constraints = [models.UniqueConstraint(fields=["submission", "item"], name="manual_grade_unique")]

    def __str__(self) -> str:
        return f"{self.item.title}: {self.points:g}/{self.item.points:g}"


class DigestSent(models.Model):
    """One digest email to one user for one day (grading/digests.py). The unique row is the
    claim: a second run of the task, on any worker, finds it and sends nothing."""

    class Kind(models.TextChoices):
        DAILY = "daily", "Daily digest"
        WEEKLY = "weekly", "Weekly instructor summary"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind", "day"], name="digest_sent_unique")]

    def __str__(self) -> str:
        return f"{self.kind} digest for {self.user} on {self.day}"


class DigestOptOut(models.Model):
    """A user who asked (through the signed link in a digest) not to get digest emails."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} (no digests)"
