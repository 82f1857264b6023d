from django.urls import path

from sales_channels.api import views

urlpatterns = [
    path("channels/", views.ChannelListApi.as_view(), name="channel-list"),
]
