from django.urls import path

from ketaflow.ledger import views

app_name = "ledger"

urlpatterns = [
    path("", views.home, name="home"),
    path("receive/", views.receive, name="receive"),
    path("reports/<slug:report>/", views.report, name="report"),
    path("containers/<uuid:container_uuid>/", views.container_detail, name="container"),
    path("containers/<uuid:container_uuid>/draw/", views.draw, name="draw"),
    path("containers/<uuid:container_uuid>/use/", views.use, name="use"),
    path("containers/<uuid:container_uuid>/transfer/", views.transfer, name="transfer"),
    path("containers/<uuid:container_uuid>/state/", views.state_change, name="state"),
    path("containers/<uuid:container_uuid>/destroy/", views.destroy, name="destroy"),
    path("lines/<uuid:line_uuid>/correct/", views.correct, name="correct"),
    path("counts/new/", views.count_new, name="count_new"),
    path("counts/<uuid:count_uuid>/", views.count_detail, name="count"),
    path("discrepancies/<uuid:discrepancy_uuid>/", views.discrepancy, name="discrepancy"),
    path("inventories/new/", views.inventory_new, name="inventory_new"),
    path("inventories/<uuid:inventory_uuid>/", views.inventory_detail, name="inventory"),
    path("incidents/new/", views.incident_new, name="incident_new"),
    path("incidents/<uuid:incident_uuid>/", views.incident_detail, name="incident"),
]
