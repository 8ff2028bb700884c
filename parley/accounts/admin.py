"""Staff's view of accounts. Deactivating goes through the service, which also ends every
login and closes the person's sockets; editing `is_active` by hand would not."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from parley.accounts import services
from parley.accounts.models import User
from parley.common.errors import Invalid
from parley.common.names import clean_name


class ParleyUserChangeForm(UserChangeForm):  # type: ignore[type-arg]
    """Staff editing a display name get the check every name others read gets."""

    def clean_display_name(self) -> str:
        value = str(self.cleaned_data.get("display_name") or "")
        try:
            return clean_name(
                value, field="display_name", max_length=64, label=_("display name"), allow_blank=True
            )
        except Invalid as exc:
            raise ValidationError(str(exc.fields["display_name"][0])) from exc


@admin.register(User)
class UserAdmin(DjangoUserAdmin):  # type: ignore[type-arg]
    form = ParleyUserChangeForm
    list_display = [
        "username",
        "display_name",
        "email",
        "email_verified",
        "is_guest",
        "is_active",
        "is_staff",
        "last_login",
        "date_joined",
    ]
    list_filter = ["is_active", "is_guest", "is_staff", "email_verified"]
    search_fields = ["username", "display_name", "email"]
    ordering = ["-date_joined"]
    readonly_fields = ["is_active", "is_guest", "last_login", "date_joined"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Parley", {"fields": ("display_name", "avatar", "is_guest", "email_verified", "digest_enabled")}),
    )
    actions = ["deactivate"]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Deleting a user who has written messages fails (they keep their sender); deactivate instead.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Deactivate (sign out everywhere)"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = 0
        for user in queryset.filter(is_active=True):
            if user.pk == request.user.pk:
                self.message_user(request, _("You cannot deactivate yourself."), messages.WARNING)
                continue
            services.user_deactivate(user=user)
            done += 1
        self.message_user(
            request,
            ngettext("Deactivated %(count)s user.", "Deactivated %(count)s users.", done) % {"count": done},
            messages.SUCCESS,
        )
