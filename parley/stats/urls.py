from django.urls import path

from parley.stats import api

urlpatterns = [
    path("stats", api.StatsApi.as_view(), name="stats"),
]
