"""A tiny urllib-based HTTP client for the Bookshop tests (standard library only)."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from http.cookiejar import CookieJar
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, OpenerDirector, Request, build_opener

DEFAULT_TIMEOUT_S = 15.0  # above the slow report's 5 s cap

# The make_book fixture: make(title=None, author=None, price=10.0) -> book JSON.
MakeBook = Callable[..., dict[str, Any]]


@dataclass
class HttpResponse:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return jsonlib.loads(self.body)


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # hand the 3xx back to the caller instead of following it


class HttpClient:
    """urllib with a cookie jar (one session per client) that never raises on 4xx/5xx."""

    def __init__(self, base_url: str, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.cookies = CookieJar()
        self._following = build_opener(HTTPCookieProcessor(self.cookies))
        self._not_following = build_opener(HTTPCookieProcessor(self.cookies), _NoRedirect)

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        form: dict[str, Any] | None = None,
        data: bytes | None = None,
        follow_redirects: bool = True,
    ) -> HttpResponse:
        headers = {"Accept": "application/json, text/html"}
        if json is not None:
            data = jsonlib.dumps(json).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = Request(self.base_url + path, data=data, headers=headers, method=method)
        opener: OpenerDirector = self._following if follow_redirects else self._not_following
        try:
            with opener.open(request, timeout=self.timeout) as response:
                return HttpResponse(response.status, response.headers, response.read())
        except HTTPError as error:  # 4xx/5xx, and 3xx when not following
            with error:
                return HttpResponse(error.code, error.headers, error.read())

    def get(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("DELETE", path, **kwargs)
