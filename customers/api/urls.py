from django.urls import path

from customers.api import loyalty, loyalty_admin, segment_views, views

urlpatterns = [
    path("me/consents/", views.MyConsentsApi.as_view(), name="me-consents"),
    path("events/", views.TimelineIngestApi.as_view(), name="events-ingest"),
    path("me/timeline/", views.MyTimelineApi.as_view(), name="me-timeline"),
    path(
        "staff/customers/<int:customer_id>/timeline/",
        views.StaffCustomerTimelineApi.as_view(),
        name="staff-customer-timeline",
    ),
    path(
        "staff/customers/<int:customer_id>/notes/",
        views.StaffCustomerNotesApi.as_view(),
        name="staff-customer-notes",
    ),
    path(
        "staff/customers/<int:customer_id>/data-requests/",
        views.StaffCustomerDataRequestsApi.as_view(),
        name="staff-customer-data-requests",
    ),
    path("me/data-requests/", views.MyDataRequestsApi.as_view(), name="me-data-requests"),
    path(
        "me/data-requests/<int:request_id>/download/",
        views.MyDataRequestDownloadApi.as_view(),
        name="me-data-request-download",
    ),
    path("me/identities/", views.MyIdentitiesApi.as_view(), name="me-identities"),
    path(
        "me/identities/<int:claim_id>/send/",
        views.MyIdentityClaimSendApi.as_view(),
        name="me-identity-send",
    ),
    path(
        "me/identities/<int:claim_id>/verify/",
        views.MyIdentityClaimVerifyApi.as_view(),
        name="me-identity-verify",
    ),
    path(
        "admin/customers/duplicates/",
        views.MerchantDuplicatesApi.as_view(),
        name="merchant-customer-duplicates",
    ),
    path(
        "admin/customers/merges/", views.MerchantMergeApi.as_view(), name="merchant-customer-merge"
    ),
    path("admin/segments/", segment_views.SegmentListApi.as_view(), name="segment-list"),
    path(
        "admin/loyalty/programmes/",
        loyalty_admin.ProgrammeListApi.as_view(),
        name="loyalty-programme-list",
    ),
    path(
        "admin/loyalty/programmes/<int:programme_id>/",
        loyalty_admin.ProgrammeDetailApi.as_view(),
        name="loyalty-programme-detail",
    ),
    path(
        "admin/segments/preview/",
        segment_views.SegmentPreviewApi.as_view(),
        name="segment-preview",
    ),
    path("admin/segments/fields/", segment_views.SegmentFieldsApi.as_view(), name="segment-fields"),
    path(
        "admin/segments/<int:segment_id>/",
        segment_views.SegmentDetailApi.as_view(),
        name="segment-detail",
    ),
    path(
        "admin/segments/<int:segment_id>/members/",
        segment_views.SegmentMembersApi.as_view(),
        name="segment-members",
    ),
    path("me/loyalty/", loyalty.MyLoyaltyApi.as_view(), name="me-loyalty"),
    path("me/loyalty/history/", loyalty.MyLoyaltyHistoryApi.as_view(), name="me-loyalty-history"),
    path("me/loyalty/card.svg", loyalty.MyLoyaltyCardApi.as_view(), name="me-loyalty-card"),
    path(
        "staff/customers/<int:customer_id>/loyalty/",
        loyalty.StaffCustomerLoyaltyApi.as_view(),
        name="staff-customer-loyalty",
    ),
]
