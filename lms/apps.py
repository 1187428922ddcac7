from django.apps import AppConfig


class LmsConfig(AppConfig):
    name = "lms"
    verbose_name = "Podium"

    def ready(self) -> None:
        # Celery workers count grading outcomes and stage durations (see lms/metrics.py).
        from lms import metrics, page_cache

        metrics.connect_celery_signals()
        # Students' cached pages go stale on every write that concerns them (lms/page_cache.py).
        page_cache.connect_model_signals()
