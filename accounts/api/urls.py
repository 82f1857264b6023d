from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/signup/", views.SignUpApi.as_view(), name="auth-signup"),
    path("auth/token/", views.TokenApi.as_view(), name="auth-token"),
    path("auth/signout/", views.SignOutApi.as_view(), name="auth-signout"),
    path("me/", views.MeApi.as_view(), name="me"),
    path("me/devices/", views.DevicesApi.as_view(), name="me-devices"),
    path("me/devices/<int:pk>/", views.DeviceApi.as_view(), name="me-device"),
]
