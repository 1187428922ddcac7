from django.urls import path

from courses import views
from courses.quiz import views as quiz_views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("search/", views.search, name="search"),
    path("invitations/<int:enrollment_id>/<str:answer>/", views.invitation_respond,
         name="invitation-respond"),
    path("courses/<slug:course_slug>/", views.course_detail, name="course"),
    path("courses/<slug:course_slug>/checklist/<slug:kind>/<slug:key>/", views.checklist_toggle,
         name="checklist-toggle"),
    path("courses/<slug:course_slug>/quiz/", quiz_views.quiz_home, name="quiz"),
    path("courses/<slug:course_slug>/quiz/start/", quiz_views.quiz_start, name="quiz-start"),
    path("courses/<slug:course_slug>/quiz/attempts/<int:attempt_id>/", quiz_views.attempt_detail,
         name="quiz-attempt"),
    path("courses/<slug:course_slug>/quiz/attempts/<int:attempt_id>/save/", quiz_views.attempt_save,
         name="quiz-save"),
    path("courses/<slug:course_slug>/quiz/attempts/<int:attempt_id>/submit/", quiz_views.attempt_submit,
         name="quiz-submit"),
    path("courses/<slug:course_slug>/lessons/<slug:lesson_slug>/", views.lesson_detail,
         name="lesson"),
    path("courses/<slug:course_slug>/lessons/<slug:lesson_slug>/complete/", views.lesson_complete,
         name="lesson-complete"),
]
