"""Daphne, with a stop that closes websockets properly.

Daphne's own stop (SIGTERM, SIGINT) cancels every application and drops the connections: a
client sees the TCP connection end with no close frame (1006, "abnormal closure"). Here, before
the reactor shuts down, every open websocket is sent a close frame with 1001 ("going away"):
browsers and the boards' script treat it as a normal end and reconnect (to another process
behind the load balancer, or to this one once restarted). The stop then waits, at most
``SHUTDOWN_WS_CLOSE_SECONDS`` (default 5), for the clients to answer the close handshake.

    python -m schools24.wsserver <daphne's arguments>
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any, cast

import daphne.cli  # type: ignore[import-untyped]
from daphne.access import AccessLogGenerator  # type: ignore[import-untyped]
from daphne.cli import CommandLineInterface
from daphne.server import Server  # type: ignore[import-untyped]
from daphne.ws_protocol import WebSocketProtocol  # type: ignore[import-untyped]
from twisted.internet import defer, reactor, task

logger = logging.getLogger("schools24.wsserver")

GOING_AWAY = 1001


class GracefulServer(Server):
    def run(self) -> None:
        # Registered before daphne's own "kill all applications" trigger, so it runs first.
        cast(Any, reactor).addSystemEventTrigger("before", "shutdown", self.close_websockets)
        super().run()

    def _open_websockets(self) -> list[WebSocketProtocol]:
        return [
            protocol
            for protocol in self.connections
            if isinstance(protocol, WebSocketProtocol) and protocol.state == protocol.STATE_OPEN
        ]

    def close_websockets(self) -> defer.Deferred | None:
        sockets = self._open_websockets()
        if not sockets:
            return None
        logger.info("stopping: closing %d websocket(s) with %d", len(sockets), GOING_AWAY)
        for protocol in sockets:
            # Autobahn's public sendClose() accepts only 1000 and 3000-4999 (what applications
            # may send); 1001 is the endpoint's own code, sent with the frame-level call.
            protocol.sendCloseFrame(code=GOING_AWAY, isReply=False)
        deadline = time.monotonic() + float(os.environ.get("SHUTDOWN_WS_CLOSE_SECONDS", "5"))

        def closed_or_late() -> bool:
            return (
                not any(
                    protocol in self.connections and protocol.state != protocol.STATE_CLOSED
                    for protocol in sockets
                )
                or time.monotonic() > deadline
            )

        def poll() -> defer.Deferred:
            if closed_or_late():
                return defer.succeed(None)
            return task.deferLater(cast(Any, reactor), 0.05, poll)

        return poll()


class LoggedAccess(AccessLogGenerator):
    """Daphne's access lines (WSCONNECT, WSDISCONNECT, ...) through logging, so they take the
    configured format (one JSON object per line in production) instead of raw text on stdout."""

    access_logger = logging.getLogger("daphne.access")

    def write_entry(
        self,
        host: Any,
        date: Any,
        request: Any,
        status: Any = None,
        length: Any = None,
        ident: Any = None,
        user: Any = None,
    ) -> None:
        self.access_logger.info(
            '%s %s %s "%s" %s %s',
            host,
            ident or "-",
            user or "-",
            request,
            status or "-",
            length or "-",
        )


class GracefulCommandLineInterface(CommandLineInterface):
    server_class = GracefulServer


if __name__ == "__main__":
    # The CLI builds its access logger from this module-level name.
    daphne.cli.AccessLogGenerator = LoggedAccess
    GracefulCommandLineInterface.entrypoint()
