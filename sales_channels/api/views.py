from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny

from sales_channels import selectors
from sales_channels.api.serializers import ChannelOutput


@extend_schema(tags=["channels"])
class ChannelListApi(ListAPIView):
    """The active sales channels; pass one's code as `?channel=` to read its catalog."""

    permission_classes = [AllowAny]
    serializer_class = ChannelOutput
    pagination_class = None

    def get_queryset(self):
        return selectors.channel_list_active()
