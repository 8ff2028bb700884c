"""`GET /api/v1/stats`: the statistics page's numbers, for staff only."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from parley.common.schema import AUTH, errors
from parley.stats import selectors, serializers


class IsStaff(BasePermission):
    message = _("Statistics are for staff only.")

    def has_permission(self, request: Request, view: object) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class StatsApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        responses={200: serializers.StatsOut, **AUTH, **errors(403, e403="Not staff")},
        summary="Activity statistics (staff only)",
        description=(
            "Messages and active users per day over the last 30 days, the busiest rooms, messages "
            "per hour of the day (all UTC), and the connections open now. Read from tables a "
            "periodic job fills (`stats_aggregate`), so the newest minutes may not be counted yet "
            "(`aggregated_at`)."
        ),
    )
    def get(self, request: Request) -> Response:
        data = serializers.StatsOut(selectors.stats_overview()).data
        response = Response(data)
        response["Cache-Control"] = "no-store"
        return response
