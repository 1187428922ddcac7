from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "Courses"

    def ready(self) -> None:
        from courses import progress
        from courses.quiz import services as quiz

        progress.register_feature("quiz", label="Quiz", evidence=quiz.quiz_passed,
                                  status=quiz.quiz_dashboard_status)
