from django.urls import path, re_path

from parley.accounts import api, people_api, sso_api, twofactor_api

urlpatterns = [
    path("auth/csrf", api.CsrfApi.as_view(), name="auth-csrf"),
    path("auth/login", api.LoginApi.as_view(), name="auth-login"),
    path("auth/methods", sso_api.AuthMethodsApi.as_view(), name="auth-methods"),
    path("auth/avatars", api.AvatarsApi.as_view(), name="auth-avatars"),
    path("auth/verify-email", api.VerifyEmailApi.as_view(), name="auth-verify-email"),
    path("auth/password-reset", api.PasswordResetApi.as_view(), name="auth-password-reset"),
    path(
        "auth/password-reset/confirm",
        api.PasswordResetConfirmApi.as_view(),
        name="auth-password-reset-confirm",
    ),
    path("auth/ws-ticket", api.WsTicketApi.as_view(), name="auth-ws-ticket"),
    path("auth/token/renew", api.TokenRenewApi.as_view(), name="auth-token-renew"),
    path("time-zones", api.TimeZonesApi.as_view(), name="time-zones"),
    path("users", api.UserSearchApi.as_view(), name="users"),
    path("me/mail", api.MailSettingsApi.as_view(), name="me-mail"),
    path("me/mail/verification", api.MailVerificationApi.as_view(), name="me-mail-verification"),
    path("me/password", api.PasswordApi.as_view(), name="me-password"),
    path("me/sign-in", sso_api.MySignInApi.as_view(), name="me-sign-in"),
    path("me/avatar", api.MyAvatarApi.as_view(), name="me-avatar"),
    # Issue 31: staff manage people; sign-up options and invitations; my sign-ins.
    path("auth/invitations/<str:token>", people_api.InvitationPreviewApi.as_view(), name="auth-invitation"),
    path("me/sign-ins", people_api.MySignInsApi.as_view(), name="me-sign-ins"),
    path("me/sign-out-others", people_api.SignOutOthersApi.as_view(), name="me-sign-out-others"),
    path("people", people_api.PeopleApi.as_view(), name="people"),
    path("people/invitations", people_api.InvitationsApi.as_view(), name="people-invitations"),
    path(
        "people/invitations/<int:invitation_id>",
        people_api.InvitationApi.as_view(),
        name="people-invitation",
    ),
    path("people/<int:user_id>/deactivate", people_api.PersonDeactivateApi.as_view(), name="people-off"),
    path("people/<int:user_id>/reactivate", people_api.PersonReactivateApi.as_view(), name="people-on"),
    path("people/<int:user_id>/sign-ins", people_api.PersonSignInsApi.as_view(), name="person-sign-ins"),
    re_path(
        r"^avatars/(?P<stem>[0-9a-f]{16}(?:_[A-Za-z0-9]{1,12})?)\.png$", api.avatar_file, name="avatar-file"
    ),
]

# Two-factor sign-in (issue 31): parley.accounts.twofactor_api.
urlpatterns += [
    path("me/2fa", twofactor_api.TwoFactorApi.as_view(), name="me-2fa"),
    path("me/2fa/totp", twofactor_api.TotpApi.as_view(), name="me-2fa-totp"),
    path("me/2fa/totp/confirm", twofactor_api.TotpConfirmApi.as_view(), name="me-2fa-totp-confirm"),
    path("me/2fa/recovery-codes", twofactor_api.RecoveryCodesApi.as_view(), name="me-2fa-recovery-codes"),
    path("me/2fa/passkeys", twofactor_api.PasskeysApi.as_view(), name="me-2fa-passkeys"),
    path(
        "me/2fa/passkeys/options", twofactor_api.PasskeyOptionsApi.as_view(), name="me-2fa-passkeys-options"
    ),
    path("me/2fa/passkeys/<int:passkey_id>", twofactor_api.PasskeyApi.as_view(), name="me-2fa-passkey"),
    path("auth/passkey/options", twofactor_api.PasskeyLoginOptionsApi.as_view(), name="auth-passkey-options"),
    path("auth/passkey/login", twofactor_api.PasskeyLoginApi.as_view(), name="auth-passkey-login"),
    path("people/<int:user_id>/2fa", twofactor_api.PersonSecondFactorsApi.as_view(), name="person-2fa"),
]
