"""ASGI middleware of the server: a request body that stops arriving is cut off."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from head_office.errors import BodyTimeout

#: seconds a request body may go without a byte before the request is refused (408)
BODY_TIMEOUT_S = 5.0


class BodyTimeoutMiddleware:
    """Each read of the request body waits at most `timeout_s`; a body that makes no progress
    for that long raises BodyTimeout in the route reading it (answered 408, connection closed).

    Once the body is complete, reads pass through untimed (they only wait for a disconnect).
    """

    def __init__(self, app: ASGIApp, timeout_s: float = BODY_TIMEOUT_S) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        complete = False

        async def timed_receive() -> Message:
            nonlocal complete
            if complete:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.timeout_s)
            except TimeoutError:
                complete = True
                raise BodyTimeout(f"the request body made no progress for {self.timeout_s:g} s; "
                                  "send it again") from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        await self.app(scope, timed_receive, send)
