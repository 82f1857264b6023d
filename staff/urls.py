"""The staff screens under /staff/ (not in a language prefix: the clerk's language is their
session's or browser's, Turkish by default). Each screen's module holds its own urlpatterns."""

from __future__ import annotations

from django.urls import include, path

from staff.views import customers, day, home, offline, pickups, pos, returns, shipping, stock

app_name = "staff"

urlpatterns = [
    path("", home.home, name="home"),
    path("sign-in/", home.StaffSignInView.as_view(), name="sign-in"),
    path("sign-out/", home.sign_out, name="sign-out"),
    path("store/", home.store_pick, name="store"),
    path("pos/", include(pos.urlpatterns)),
    path("offline/", include(offline.urlpatterns)),
    path("customers/", include(customers.urlpatterns)),
    path("pickups/", include(pickups.urlpatterns)),
    path("shipping/", include(shipping.urlpatterns)),
    path("returns/", include(returns.urlpatterns)),
    path("stock/", include(stock.urlpatterns)),
    path("day/", include(day.urlpatterns)),
]
