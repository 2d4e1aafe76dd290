"""A signed-in dashboard session over plain HTTP (requests), for tests that need no browser."""

import re

import requests

from chinwag.testing import Server
from tests.conftest import loopback_session

UI = "/chinwag/ui"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Dashboard:
    """A browser-like cookie session against a server's dashboard."""

    def __init__(self, server: Server) -> None:
        self.base = server.url
        self.session = loopback_session()

    def sign_in(self, username: str, password: str) -> requests.Response:
        return self.session.post(
            f"{self.base}{UI}/sign-in",
            data={"username": username, "password": password},
            timeout=10,
        )

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return self.session.get(f"{self.base}{UI}{path}", timeout=10, **kwargs)  # type: ignore[arg-type]

    def csrf(self) -> str:
        """The session's CSRF token, as every page's forms carry it."""
        found = CSRF.search(self.get("/").text)
        assert found is not None, "no CSRF token on the conversations page"
        return found.group(1)

    def post(self, path: str, data: dict[str, str], csrf: bool = True) -> requests.Response:
        form = {**data, "csrf_token": self.csrf()} if csrf else data
        return self.session.post(f"{self.base}{UI}{path}", data=form, timeout=10)
