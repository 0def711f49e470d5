from django.contrib import admin
from django.contrib.auth import urls as auth_urls
from django.urls import URLPattern, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from fieldsales import metrics, pwa, signin
from kpis.api.views import statement_link
from kpis.dashboard import views as dashboard_views
from workflows import views as workflows_views

handler404 = "fieldsales.errors.not_found"
handler500 = "fieldsales.http.server_error"

# Django's sign-in, sign-out and password views, but the sign-in page is FieldSales' own (fieldsales/signin.py).
ACCOUNTS = [url for url in auth_urls.urlpatterns if isinstance(url, URLPattern) and url.name != "login"]

urlpatterns = [
    path("", pwa.index, name="home"),
    path("sw.js", pwa.service_worker, name="pwa-sw"),
    path("manifest.webmanifest", pwa.manifest, name="pwa-manifest"),
    path("favicon.ico", pwa.favicon, name="favicon"),
    path("app/i18n/<str:language>.json", pwa.i18n_catalog, name="pwa-i18n"),
    path("statements/<str:token>.pdf", statement_link, name="statement-link"),
    path("board/", workflows_views.board, name="board"),
    path("board/visits/", workflows_views.board_visits, name="board-visits"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("accounts/login/", signin.SignInView.as_view(), name="login"),
    path("accounts/", include(ACCOUNTS)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("fieldsales.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's start script from its own URL: the Content-Security-Policy allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
    path("metrics", metrics.metrics, name="metrics"),
]
