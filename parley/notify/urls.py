from django.urls import path

from parley.notify import api

urlpatterns = [
    path("push/key", api.PushKeyApi.as_view(), name="push-key"),
    path("push/subscriptions", api.PushSubscriptionsApi.as_view(), name="push-subscriptions"),
    path(
        "push/subscriptions/<int:subscription_id>",
        api.PushSubscriptionDetailApi.as_view(),
        name="push-subscription",
    ),
]
