from django.urls import path

from parley.uploads import api

urlpatterns = [
    path("rooms/<int:room_id>/uploads", api.UploadsApi.as_view(), name="room-uploads"),
    path("rooms/<int:room_id>/uploads/presign", api.PresignApi.as_view(), name="room-uploads-presign"),
    path(
        "uploads/presigned/<str:key>/complete",
        api.PresignCompleteApi.as_view(),
        name="upload-presigned-complete",
    ),
    path(
        "uploads/<int:upload_id>/thumbnail/<str:name>",
        api.UploadFileApi.as_view(thumbnail=True),
        name="upload-thumbnail",
    ),
    path("uploads/<int:upload_id>/<str:name>", api.UploadFileApi.as_view(), name="upload-file"),
    path("emoji", api.EmojiApi.as_view(), name="emoji"),
    path("emoji/<int:emoji_id>/<str:filename>", api.EmojiFileApi.as_view(), name="emoji-file"),
    path("emoji/<str:name>", api.EmojiDetailApi.as_view(), name="emoji-detail"),
]
