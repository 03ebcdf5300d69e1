"""The suite's own HTTP client: ``GenerateCall`` in, recorded ``Exchange`` out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .calls import USE_KEY, Auth, GenerateCall
from .exchange import Exchange
from .session import TargetSession
from .target import OPERATION_PATH, Target


class ContractClient:
    def __init__(self, session: TargetSession, target: Target) -> None:
        self.session = session
        self.target = target

    def generate(self, call: GenerateCall) -> Exchange:
        return self.post_encoded(call.encode(), call.auth)

    def post_encoded(self, encoded: dict[str, Any], auth: Auth = USE_KEY) -> Exchange:
        """POST a body already encoded for ``requests`` (``GenerateCall.encode()``, perhaps altered)."""
        headers = {**encoded.get("headers", {}), **self._auth(auth)}
        body = {key: value for key, value in encoded.items() if key != "headers"}
        return self._send("POST", OPERATION_PATH, headers=headers, **body)

    def send(
        self,
        method: str,
        path: str = OPERATION_PATH,
        *,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        auth: Auth = USE_KEY,
    ) -> Exchange:
        """A raw request, for the inputs a ``GenerateCall`` cannot express (bad JSON, other media types)."""
        return self._send(method, path, headers={**(headers or {}), **self._auth(auth)}, data=content)

    def _send(self, method: str, path: str, **kwargs: object) -> Exchange:
        self.session.request(method, self.target.base_url + path, allow_redirects=False, **kwargs)  # type: ignore[arg-type]
        assert self.session.last is not None
        return self.session.last

    def _auth(self, auth: Auth) -> dict[str, str]:
        if auth is USE_KEY:
            return {"Authorization": f"Bearer {self.target.api_key}"}
        return {} if auth is None else {"Authorization": str(auth)}
