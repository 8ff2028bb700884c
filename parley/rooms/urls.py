from django.urls import path

from parley.rooms import api, invites_api

urlpatterns = [
    path("rooms", api.RoomListApi.as_view(), name="rooms"),
    path("rooms/<int:room_id>", api.RoomDetailApi.as_view(), name="room-detail"),
    path("rooms/<int:room_id>/transfer", api.RoomTransferApi.as_view(), name="room-transfer"),
    path("rooms/<int:room_id>/join", api.RoomJoinApi.as_view(), name="room-join"),
    path("rooms/<int:room_id>/leave", api.RoomLeaveApi.as_view(), name="room-leave"),
    path("rooms/<int:room_id>/membership", api.MembershipApi.as_view(), name="room-membership"),
    path("dms", api.DmOpenApi.as_view(), name="dms"),
    path("rooms/<int:room_id>/members", api.MemberListApi.as_view(), name="room-members"),
    path(
        "rooms/<int:room_id>/members/<int:user_id>",
        api.MemberDetailApi.as_view(),
        name="room-member",
    ),
    path("rooms/<int:room_id>/reads", api.RoomReadsApi.as_view(), name="room-reads"),
    path("rooms/<int:room_id>/mutes", api.MuteListApi.as_view(), name="room-mutes"),
    path("rooms/<int:room_id>/mutes/<int:user_id>", api.MuteApi.as_view(), name="room-mute"),
    path("rooms/<int:room_id>/bans", api.BanListApi.as_view(), name="room-bans"),
    path("rooms/<int:room_id>/bans/<int:user_id>", api.BanApi.as_view(), name="room-ban"),
    path("rooms/<int:room_id>/invites", invites_api.RoomInvitesApi.as_view(), name="room-invites"),
    path("invites/<str:token>", invites_api.InviteDetailApi.as_view(), name="invite"),
    path("invites/<str:token>/accept", invites_api.InviteAcceptApi.as_view(), name="invite-accept"),
]
