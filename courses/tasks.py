"""Celery tasks of the courses app."""

from celery import shared_task

from courses.quiz import services as quiz


@shared_task(name="courses.close_expired_quiz_attempts", acks_late=True, soft_time_limit=60,
             time_limit=90)
def close_expired_quiz_attempts() -> int:
    """Submit open attempts past their deadline with the answers saved in time (idempotent)."""
    return quiz.close_expired_attempts()
