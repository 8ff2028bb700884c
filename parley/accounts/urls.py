from django.urls import path

from parley.accounts import api

urlpatterns = [
    path("auth/csrf", api.CsrfApi.as_view(), name="auth-csrf"),
    path("auth/register", api.RegisterApi.as_view(), name="auth-register"),
    path("auth/login", api.LoginApi.as_view(), name="auth-login"),
    path("auth/guest", api.GuestApi.as_view(), name="auth-guest"),
    path("auth/logout", api.LogoutApi.as_view(), name="auth-logout"),
    path("auth/avatars", api.AvatarsApi.as_view(), name="auth-avatars"),
    path("me", api.MeApi.as_view(), name="me"),
    path("me/password", api.PasswordApi.as_view(), name="me-password"),
]
