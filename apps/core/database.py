"""The database this process uses, as a ``DATABASE_URL`` for the processes it starts."""

from __future__ import annotations

from urllib.parse import quote

from django.db import connection


def database_url() -> str:
    """This process's database (under the tests, pytest-django's test database) as a URL."""
    params = connection.settings_dict
    # Quoted: a password with "@", ":" or "/" must not change where the URL points.
    user = quote(params.get("USER") or "postgres", safe="")
    password = f":{quote(params['PASSWORD'], safe='')}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"
