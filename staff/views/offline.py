"""The counter's offline sales: the service worker, the till's local price list and the
endpoint that receives the sales a till kept while the server was unreachable."""

from __future__ import annotations

urlpatterns: list = []
