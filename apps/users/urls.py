from django.urls import path

from apps.users.apis import LogoutApi, MeApi, TokenObtainView, TokenRefreshApi

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshApi.as_view(), name="token-refresh"),
    path("auth/logout/", LogoutApi.as_view(), name="logout"),
    path("me/", MeApi.as_view(), name="me"),
]
