from django.urls import path

from grading import digest_views, views

urlpatterns = [
    path("courses/<slug:course_slug>/labs/", views.lab_list, name="lab-list"),
    path("courses/<slug:course_slug>/labs/<slug:lab_slug>/", views.lab_detail, name="lab"),
    path("courses/<slug:course_slug>/labs/<slug:lab_slug>/submit/", views.lab_submit, name="lab-submit"),
    path("submissions/<int:submission_id>/", views.submission_detail, name="submission"),
    path("digests/stop/<str:token>/", digest_views.opt_out, name="digest-opt-out"),
]
