"""Pay-by-link: the shopper's page at /pay/<token>/, which omni/urls.py includes at the root
(namespace "payment-links"). The staff API that makes a link is in payments/api/urls.py."""

from django.urls import path

from payments import views_links as views

app_name = "payment-links"

urlpatterns = [
    path("pay/<str:token>/", views.link_page, name="page"),
    path("pay/<str:token>/return/", views.link_return, name="return"),
    path("pay/<str:token>/done/", views.link_done, name="done"),
]
