from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "Courses"

    def ready(self) -> None:
        from courses import progress, quiz

        progress.register_evidence("quiz", quiz.quiz_passed)
        progress.register_dashboard_status("Quiz", quiz.quiz_dashboard_status)
