from django.urls import path, re_path

from parley.accounts import api, sso_api

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
    re_path(
        r"^avatars/(?P<stem>[0-9a-f]{16}(?:_[A-Za-z0-9]{1,12})?)\.png$", api.avatar_file, name="avatar-file"
    ),
]
