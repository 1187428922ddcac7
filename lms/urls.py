from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from lms import accounts, views

admin.site.site_header = "Podium admin"
admin.site.site_title = "Podium admin"
admin.site.index_title = "Courses, cohorts and grading"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/login/", auth_views.LoginView.as_view(
        redirect_authenticated_user=True, authentication_form=accounts.EmailAuthenticationForm),
         name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("pygments.css", views.pygments_css, name="pygments-css"),
    path("", include("grading.urls")),
    path("", include("courses.urls")),
]
