from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from lms import accounts, views

admin.site.site_header = "Podium admin"
admin.site.site_title = "Podium admin"
admin.site.index_title = "Courses, cohorts and grading"

urlpatterns = [
    # The gradebook's admin pages (grading), before the admin's own catch-all.
    path("admin/gradebook/", include("grading.gradebook_admin")),
    path("admin/", admin.site.urls),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/signup/sent/", accounts.signup_sent, name="signup-sent"),
    path("accounts/signup/confirm/<str:token>/", accounts.signup_confirm, name="signup-confirm"),
    path("accounts/login/", auth_views.LoginView.as_view(
        redirect_authenticated_user=True, authentication_form=accounts.EmailAuthenticationForm),
         name="login"),
    # Before Django's own auth URLs, so this (rate-limited) view answers the same path.
    path("accounts/password_reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("pygments.css", views.pygments_css, name="pygments-css"),
    path("", include("grading.urls")),
    path("", include("courses.urls")),
]
