from rest_framework import serializers

from omni.api.serializers import ModelSerializer
from sales_channels.models import Channel


class ChannelOutput(ModelSerializer):
    default_country = serializers.CharField(source="default_country.code")

    class Meta:
        model = Channel
        fields = [
            "code",
            "name",
            "kind",
            "currency",
            "default_language",
            "default_country",
            "prices_include_tax",
        ]
        read_only_fields = fields
