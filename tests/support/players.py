"""A player's API session in tests: a Flask test client (or requests.Session) with CSRF set."""

from __future__ import annotations

from typing import Any

PASSWORD = "correct horse battery"


class ApiPlayer:
    """One browser's worth of cookies, talking JSON to the app."""

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name
        self.token = ""

    def refresh_csrf(self) -> None:
        self.token = self.client.get("/api/csrf").get_json()["csrf_token"]

    def call(self, method: str, path: str, json: Any = None, **kwargs: Any) -> Any:
        headers = {"X-CSRFToken": self.token, **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, json=json, headers=headers, **kwargs)

    def register(self, expect: int = 201) -> ApiPlayer:
        self.refresh_csrf()
        response = self.call("POST", "/api/register", {"username": self.name, "password": PASSWORD})
        assert response.status_code == expect, response.get_json()
        self.refresh_csrf()  # the session was rotated on sign-in
        return self

    def invite(self, other: ApiPlayer) -> dict[str, Any]:
        response = self.call("POST", "/api/games", {"opponent": other.name})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    def accept(self, game: dict[str, Any]) -> dict[str, Any]:
        response = self.call("POST", f"/api/games/{game['id']}/accept")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def move(self, game: dict[str, Any], cell: int) -> Any:
        return self.call("POST", f"/api/games/{game['id']}/moves", {"cell": cell})


def signed_in(app: Any, name: str) -> ApiPlayer:
    """Another session (a second tab or device) of an existing player."""
    me = ApiPlayer(app.test_client(), name)
    me.refresh_csrf()
    login = me.call("POST", "/api/login", {"username": name, "password": PASSWORD})
    assert login.status_code == 200
    me.refresh_csrf()
    return me
