"""The quiz: questions (from quiz.yaml), per-cohort overrides, attempts and answers.

Correct options, accepted answers and explanations live only here, server-side; pages show
them only in the full review of a submitted attempt, which a student reaches only after
passing or using their last allowed attempt (courses.quiz.services.review_level).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from courses.models.cohorts import Cohort
from courses.models.content import Course
from courses.quiz.files import MAX_COOLDOWN_HOURS


def pass_score(questions: int, percent: int) -> int:
    """Correct answers needed to pass, rounded up: 70% of 25 is 17.5, so 18."""
    return -(-questions * percent // 100)


class Quiz(models.Model):
    class Review(models.TextChoices):
        # Whatever the choice, the correct answers are shown only once the student has passed or
        # has no attempt left: with unlimited attempts, a review that showed them after every
        # attempt let blank attempts harvest the whole bank.
        IMMEDIATELY = "immediately", ("After every attempt: right/wrong and the lesson to revise "
                                      "(answers once passed or out of attempts)")
        AFTER_PASSING = "after_passing", "Score only until passed or out of attempts, then the answers"
        NEVER = "never", "Never (score only)"

    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="quiz")
    title = models.CharField(max_length=200)
    description_html = models.TextField(blank=True)
    questions_per_attempt = models.PositiveSmallIntegerField(default=25)
    pass_percent = models.PositiveSmallIntegerField(default=70)
    attempts_allowed = models.PositiveSmallIntegerField(default=0, help_text="0 = unlimited")
    cooldown_minutes = models.PositiveIntegerField(default=0, help_text="Wait between any two attempts")
    cooldown_after_failures = models.PositiveSmallIntegerField(
        default=2, help_text="After this many failed attempts within cooldown_hours, wait cooldown_hours "
                             "after the last of them (0 = no such cooldown)")
    cooldown_hours = models.PositiveSmallIntegerField(default=24)
    time_limit_minutes = models.PositiveIntegerField(null=True, blank=True)
    shuffle_questions = models.BooleanField(default=True)
    shuffle_options = models.BooleanField(default=True)
    show_review = models.CharField(max_length=20, choices=Review.choices, default=Review.IMMEDIATELY)
    topics = models.JSONField(default=list, help_text='[{"id", "title", "min"}] from quiz.yaml')

    class Meta:
        verbose_name_plural = "quizzes"

    def __str__(self) -> str:
        return self.title

    @property
    def pass_score(self) -> int:
        return pass_score(self.questions_per_attempt, self.pass_percent)


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice (all correct options needed)"
        SHORT = "short", "Short answer"
        COMMAND = "command", "Command (kubectl or helm)"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="questions")
    key = models.SlugField(max_length=100, help_text="The question's id in quiz.yaml")
    position = models.PositiveSmallIntegerField()
    topic = models.SlugField(max_length=60)
    difficulty = models.CharField(max_length=10)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text_html = models.TextField()
    # [{"id": opaque, "html": str, "correct": bool}]: ids are hashes, so order and id reveal nothing.
    options = models.JSONField(default=list, blank=True)
    accept = models.JSONField(default=list, blank=True)
    accept_regex = models.CharField(max_length=500, blank=True)
    # Command questions: the accepted shapes of the command (quiz.yaml `command:`), a list of
    # {run, required, optional, forbidden, other_flags}; `accept` holds examples shown in reviews.
    command = models.JSONField(default=list, blank=True)
    explanation_html = models.TextField()
    lesson_url = models.CharField(max_length=300)
    lesson_label = models.CharField(max_length=200)
    # Questions removed from quiz.yaml stay (attempts refer to them) but are no longer drawn.
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["quiz", "position"]
        constraints = [models.UniqueConstraint(fields=["quiz", "key"], name="question_key_unique")]

    def __str__(self) -> str:
        return self.key


class QuizOverride(models.Model):
    """An instructor's per-cohort settings: more attempts, a different time limit, review policy
    and cooldown after failed attempts. Empty fields keep the quiz's own setting."""

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="overrides")
    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="quiz_overrides")
    attempts_allowed = models.PositiveSmallIntegerField(null=True, blank=True,
                                                        help_text="0 = unlimited; empty = quiz default")
    time_limit_minutes = models.PositiveIntegerField(null=True, blank=True,
                                                     help_text="empty = quiz default")
    show_review = models.CharField(max_length=20, choices=Quiz.Review.choices, blank=True,
                                   help_text="empty = quiz default")
    cooldown_after_failures = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="failed attempts before a cooldown; 0 = none; empty = quiz default")
    cooldown_hours = models.PositiveSmallIntegerField(null=True, blank=True,
                                                      help_text="1 to 720; empty = quiz default")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["quiz", "cohort"], name="quiz_override_unique")]

    def __str__(self) -> str:
        return f"{self.quiz} for {self.cohort}"

    def clean(self) -> None:
        if self.cooldown_hours is not None and not 1 <= self.cooldown_hours <= MAX_COOLDOWN_HOURS:
            raise ValidationError({"cooldown_hours": f"Must be between 1 and {MAX_COOLDOWN_HOURS} hours."})


class Attempt(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "In progress"
        SUBMITTED = "submitted", "Submitted"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="quiz_attempts")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    seed = models.BigIntegerField()
    question_keys = models.JSONField(help_text="The drawn questions, in the order shown")
    option_orders = models.JSONField(default=dict, help_text="question key -> option ids as shown")
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    auto_submitted = models.BooleanField(default=False, help_text="Submitted by Podium at the deadline")
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    max_score = models.PositiveSmallIntegerField()
    pass_score = models.PositiveSmallIntegerField(help_text="Correct answers needed, fixed at start")
    passed = models.BooleanField(null=True, blank=True)
    voided = models.BooleanField(default=False, help_text="Reset by an instructor: does not count")
    late = models.BooleanField(default=False, help_text="Submitted after its due date (incl. extension)")

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["quiz", "user", "number"], name="attempt_number_unique"),
            models.UniqueConstraint(fields=["quiz", "user"], condition=models.Q(status="open"),
                                    name="one_open_attempt_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} attempt {self.number}"


class Answer(models.Model):
    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    # Option ids (single / multiple) or {"text": "..."} (short answer).
    response = models.JSONField()
    saved_at = models.DateTimeField()
    is_correct = models.BooleanField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="answer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.attempt}: {self.question}"
