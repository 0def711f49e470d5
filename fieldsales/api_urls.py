"""`/api/`: the sync contract and the REST API of the apps."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from clients.api.views import ClientViewSet
from fieldsales.pwa import MeView
from fieldsales.sync.views import BlobView, PullView, PushView
from kpis.api.views import KpiCardView, StatementPdfView, StatementSendView
from workflows.api.views import ClientHistoryView, ClientNotesView, ProductListView, WorkflowListView

router = SimpleRouter()
router.register("clients", ClientViewSet, basename="client")

urlpatterns = [
    path("me", MeView.as_view(), name="me"),
    path("sync/pull", PullView.as_view(), name="sync-pull"),
    path("sync/push", PushView.as_view(), name="sync-push"),
    path("sync/blobs/<uuid:blob_id>", BlobView.as_view(), name="sync-blob"),
    path("clients/<uuid:client_id>/history/", ClientHistoryView.as_view(), name="client-history"),
    path("clients/<uuid:client_id>/notes/", ClientNotesView.as_view(), name="client-notes"),
    path("clients/<uuid:client_id>/kpis/", KpiCardView.as_view(), name="client-kpis"),
    path("clients/<uuid:client_id>/statement/", StatementSendView.as_view(), name="client-statement-send"),
    path("clients/<uuid:client_id>/statement.pdf", StatementPdfView.as_view(), name="client-statement-pdf"),
    path("workflows/", WorkflowListView.as_view(), name="workflow-list"),
    path("products/", ProductListView.as_view(), name="product-list"),
    *router.urls,
]
