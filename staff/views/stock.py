"""Stock (staff screen): placeholder until the screen lands."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from staff.access import staff_view


@staff_view
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/placeholder.html")


urlpatterns = [path("", index, name="stock")]
