"""The sales channel a shopper's API request is made on (`?channel=` or the Omni-Channel header),
for the API views of the apps above: resolved here, where channels live, so the plumbing package
`omni` knows none."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from sales_channels.models import Channel
from sales_channels.selectors import channel_get_active

CHANNEL_HEADER = "Omni-Channel"

CHANNEL_PARAMETER = OpenApiParameter(
    "channel",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    required=False,
    description=(
        "Code of the sales channel whose catalog, prices and currency to use (see /channels/). "
        f"An app may send the `{CHANNEL_HEADER}` header instead."
    ),
)


def request_channel(request) -> Channel:
    """The sales channel a shopper's request is made on: `?channel=` or the Omni-Channel header.
    Looked up once per request; filters and serializers find it on `request.omni_channel`."""
    channel = getattr(request, "omni_channel", None)
    if channel is None:
        code = request.query_params.get("channel") or request.headers.get(CHANNEL_HEADER)
        channel = channel_get_active(code)
        request.omni_channel = channel
    return channel
