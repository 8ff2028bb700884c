from django.urls import path

from parley.messaging import api

urlpatterns = [
    path("rooms/<int:room_id>/events", api.EventsApi.as_view(), name="room-events"),
    path("rooms/<int:room_id>/read", api.ReadApi.as_view(), name="room-read"),
    path("rooms/read-all", api.ReadAllApi.as_view(), name="rooms-read-all"),
    path("messages/<int:message_id>", api.MessageApi.as_view(), name="message"),
    path(
        "messages/<int:message_id>/reactions/<str:emoji>", api.ReactionApi.as_view(), name="message-reaction"
    ),
    path("messages/<int:message_id>/pin", api.PinApi.as_view(), name="message-pin"),
    path("rooms/<int:room_id>/pins", api.RoomPinsApi.as_view(), name="room-pins"),
    path("messages/<int:message_id>/save", api.SaveApi.as_view(), name="message-save"),
    path("saved", api.SavedListApi.as_view(), name="saved"),
    path("messages/<int:message_id>/previews/<int:index>", api.PreviewApi.as_view(), name="message-preview"),
    path("link-previews/<int:preview_id>/<str:name>", api.PreviewImageApi.as_view(), name="preview-image"),
    path("messages/<int:message_id>/thread", api.ThreadApi.as_view(), name="message-thread"),
    path("messages/<int:message_id>/thread/read", api.ThreadReadApi.as_view(), name="message-thread-read"),
    path("messages/<int:message_id>/follow", api.FollowApi.as_view(), name="message-follow"),
    path("threads", api.ThreadsApi.as_view(), name="threads"),
    path("search", api.SearchApi.as_view(), name="search"),
    path("search/senders", api.SearchSendersApi.as_view(), name="search-senders"),
    path("messages/<int:message_id>/reports", api.ReportCreateApi.as_view(), name="message-reports"),
    path("reports", api.ReportListApi.as_view(), name="reports"),
    path("reports/<int:report_id>/context", api.ReportContextApi.as_view(), name="report-context"),
    path("reports/<int:report_id>/resolve", api.ReportResolveApi.as_view(), name="report-resolve"),
    path("rooms/<int:room_id>/scheduled", api.RoomScheduledApi.as_view(), name="room-scheduled"),
    path("scheduled", api.ScheduledListApi.as_view(), name="scheduled"),
    path("scheduled/<int:scheduled_id>", api.ScheduledApi.as_view(), name="scheduled-item"),
]
