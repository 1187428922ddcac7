"""Courses, lessons, student progress, cohorts, enrolments and the quiz.

Course, Lesson, Quiz and Question rows are written only by `load_course` from the files in
courses/content/; edit the files, not the rows.
"""

from courses.models.cohorts import Cohort, Enrollment
from courses.models.content import Course, Lesson
from courses.models.progress import ChecklistTick, CourseVisit, LessonCompletion
from courses.models.quiz import Answer, Attempt, Question, Quiz, QuizOverride
from courses.models.schedule import DueDate, Extension
from courses.models.search import LessonSection

__all__ = [
    "Answer", "Attempt", "ChecklistTick", "Cohort", "Course", "CourseVisit", "DueDate", "Enrollment",
    "Extension", "Lesson",
    "LessonCompletion", "LessonSection", "Question", "Quiz", "QuizOverride",
]
