from django.urls import path

from parley.bots import api

urlpatterns = [
    path("rooms/<int:room_id>/commands", api.RoomCommandsApi.as_view(), name="room-commands"),
    path("rooms/<int:room_id>/stats.png", api.RoomStatsChartApi.as_view(), name="room-stats-chart"),
    path("rooms/<int:room_id>/webhooks", api.IncomingListApi.as_view(), name="room-webhooks"),
    path("webhooks/<int:hook_id>", api.IncomingDetailApi.as_view(), name="webhook"),
    path("webhooks/<int:hook_id>/rotate", api.IncomingRotateApi.as_view(), name="webhook-rotate"),
    path("hooks/<int:hook_id>/<str:secret>", api.HookPostApi.as_view(), name="hook-post"),
    path(
        "rooms/<int:room_id>/outgoing-webhooks", api.OutgoingListApi.as_view(), name="room-outgoing-webhooks"
    ),
    path("outgoing-webhooks/<int:hook_id>", api.OutgoingDetailApi.as_view(), name="outgoing-webhook"),
    path("bots", api.BotsApi.as_view(), name="bots"),
]
