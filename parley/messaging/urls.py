from django.urls import path

from parley.messaging import api

urlpatterns = [
    path("rooms/<int:room_id>/messages", api.MessagesApi.as_view(), name="room-messages"),
    path("rooms/<int:room_id>/events", api.EventsApi.as_view(), name="room-events"),
    path("rooms/<int:room_id>/read", api.ReadApi.as_view(), name="room-read"),
    path("rooms/read-all", api.ReadAllApi.as_view(), name="rooms-read-all"),
    path("messages/<int:message_id>", api.MessageApi.as_view(), name="message"),
    path(
        "messages/<int:message_id>/reactions/<str:emoji>", api.ReactionApi.as_view(), name="message-reaction"
    ),
    path("search", api.SearchApi.as_view(), name="search"),
]
