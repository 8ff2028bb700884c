from django.urls import path

from parley.actions import api

# Included before the apps' own routes (config/urls.py); each path is routed once.
urlpatterns = [
    path("auth/register", api.RegisterApi.as_view(), name="auth-register"),
    path("auth/guest", api.GuestApi.as_view(), name="auth-guest"),
    path("auth/logout", api.LogoutApi.as_view(), name="auth-logout"),
    path("me", api.MeApi.as_view(), name="me"),
    path("me/export", api.MyExportApi.as_view(), name="me-export"),
    path("rooms/<int:room_id>/messages", api.MessagesApi.as_view(), name="room-messages"),
    path("rooms/<int:room_id>/export", api.RoomExportApi.as_view(), name="room-export"),
]
