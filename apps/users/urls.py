from django.urls import path

from apps.users.apis import MeApi, TokenObtainView, TokenRefreshApi

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshApi.as_view(), name="token-refresh"),
    path("me/", MeApi.as_view(), name="me"),
]
