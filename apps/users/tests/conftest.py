"""API client fixtures: a DRF client, and one that carries a JWT for a given user."""

import pytest
from rest_framework.test import APIClient

from apps.users.tokens import StampedRefreshToken


def access_token_for(user) -> str:
    return str(StampedRefreshToken.for_user(user).access_token)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def jwt_client():
    """``jwt_client(user)`` is an APIClient sending ``Authorization: Bearer <access token>``."""

    def make(user) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_for(user)}")
        return client

    return make
