"""API client fixtures: a DRF client, and one that carries a JWT for a given user."""

import pytest
from rest_framework.test import APIClient

from apps.users.tokens import access_token_for as stamped_access_token


def access_token_for(user) -> str:
    return stamped_access_token(user)


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
