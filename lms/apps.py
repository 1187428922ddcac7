from django.apps import AppConfig


class LmsConfig(AppConfig):
    name = "lms"
    verbose_name = "Podium"

    def ready(self) -> None:
        # Celery workers count grading outcomes and stage durations (see lms/metrics.py).
        from lms import metrics

        metrics.connect_celery_signals()
