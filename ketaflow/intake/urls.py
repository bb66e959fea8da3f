from django.urls import path

from ketaflow.intake import views

app_name = "intake"
urlpatterns = [
    path("start/<str:token>/", views.start, name="start"),
    path("form/", views.overview, name="overview"),
    path("form/submit/", views.submit, name="submit"),
    path("form/done/", views.done, name="done"),
    path("form/<slug:slug>/", views.step, name="step"),
    path("portal/", views.portal, name="portal"),
    path("consent/<uuid:template_uuid>/sign/", views.consent_sign_portal, name="consent_sign"),
    path("patients/<uuid:patient_uuid>/send/", views.send, name="send"),
    path("patients/<uuid:patient_uuid>/review/", views.review, name="review"),
    path("patients/<uuid:patient_uuid>/rems/", views.rems, name="rems"),
    path(
        "patients/<uuid:patient_uuid>/consent/<uuid:template_uuid>/sign/",
        views.consent_sign_tablet,
        name="consent_sign_tablet",
    ),
    path("consents/<uuid:consent_uuid>/countersign/", views.consent_countersign, name="consent_countersign"),
    path("consents/<uuid:consent_uuid>/revoke/", views.consent_revoke, name="consent_revoke"),
    path("consents/<uuid:consent_uuid>/pdf/", views.consent_pdf, name="consent_pdf"),
    path("consent-forms/", views.template_list, name="template_list"),
    path("consent-forms/new/", views.template_new, name="template_new"),
    path("consent-forms/<uuid:template_uuid>/withdraw/", views.template_withdraw, name="template_withdraw"),
]
