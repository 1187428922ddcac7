from django.apps import AppConfig


class GradingConfig(AppConfig):
    name = "grading"
    verbose_name = "Lab grading"

    def ready(self) -> None:
        from courses import progress
        from courses.services import register_content_importer
        from grading import conf, selectors, services
        from lms.celery import app

        register_content_importer(services.labs_import)
        progress.register_feature("labs", label="Labs", evidence=selectors.passed_lab_slugs,
                                  status=selectors.dashboard_status)
        # The sweeper runs on Celery beat; settings may add to or override this entry.
        app.conf.beat_schedule = {**conf.beat_schedule(), **(app.conf.beat_schedule or {})}
