from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "Courses"

    def ready(self) -> None:
        from courses import progress, search, services
        from courses.quiz import services as quiz

        progress.register_feature("quiz", label="Quiz", evidence=quiz.quiz_passed,
                                  status=quiz.quiz_dashboard_status)
        # Lesson sections for search, rebuilt inside every load_course (courses/search.py).
        services.register_content_importer(search.index_course)
