from django.urls import path

from courses import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("courses/<slug:course_slug>/", views.course_detail, name="course"),
    path("courses/<slug:course_slug>/checklist/<slug:kind>/<slug:key>/", views.checklist_toggle,
         name="checklist-toggle"),
    path("courses/<slug:course_slug>/lessons/<slug:lesson_slug>/", views.lesson_detail,
         name="lesson"),
    path("courses/<slug:course_slug>/lessons/<slug:lesson_slug>/complete/", views.lesson_complete,
         name="lesson-complete"),
]
