"""URL routing: API under /api/v1/, docs, admin, operations endpoints and the web pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.core.errors import json_or_default
from apps.core.health import healthz
from apps.core.metrics import metrics
from apps.core.operations import operations_metrics, operations_page
from apps.core.views import livez
from apps.pages.views import home
from apps.quizzes import urls as quiz_urls
from apps.users.views import LoginView

api_v1 = [
    path("", include("apps.users.urls")),
    path("homework/", include("apps.homework.urls")),
    path("attendance/", include("apps.attendance.urls")),
    path("grades/", include("apps.grades.urls")),
    path("fees/", include("apps.fees.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("early-warnings/", include("apps.analytics.urls")),
    path("quizzes/", include("apps.quizzes.urls")),
    path("attempts/", include(quiz_urls.attempt_urlpatterns)),
    path("", include("apps.dashboards.urls")),
]

urlpatterns = [
    path("", home, name="home"),
    path("healthz/", healthz, name="healthz"),
    path("livez/", livez, name="livez"),
    path("metrics", metrics, name="prometheus-django-metrics"),
    # The operators' page (superusers only; the admin's login for anyone signed out).
    path("admin/operations/", admin.site.admin_view(operations_page), name="admin-operations"),
    path(
        "admin/operations/metrics.json",
        admin.site.admin_view(operations_metrics),
        name="admin-operations-metrics",
    ),
    path("admin/", admin.site.urls),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("apps.pages.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its script from a URL of its own: no inline script for the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
]

handler400 = json_or_default(defaults.bad_request, 400, "bad_request", "The request is malformed.")
handler403 = json_or_default(defaults.permission_denied, 403, "permission_denied", "Forbidden.")
handler404 = json_or_default(defaults.page_not_found, 404, "not_found", "Not found.")
handler500 = json_or_default(defaults.server_error, 500, "server_error", "Internal error.")
