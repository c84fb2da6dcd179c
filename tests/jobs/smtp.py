"""An SMTP server (aiosmtpd) on a fixed port that a test can stop and start again, or make
stall in the middle of a message."""

from __future__ import annotations

import asyncio
import threading

from aiosmtpd.controller import Controller

from tests.fixtures.mail import SMTPServer, _CollectingHandler, _free_port


class StallingHandler(_CollectingHandler):
    """Collects messages; with ``stall`` set, the next DATA hangs (and is never accepted)."""

    def __init__(self, server: SMTPServer):
        super().__init__(server)
        self.stall = False
        self.stalled = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.stall:
            self.stall = False
            self.stalled.set()
            await asyncio.sleep(20)  # the sender is killed meanwhile
            return "451 4.3.0 Timed out"
        return await super().handle_DATA(server, session, envelope)


class SwitchableSMTP:
    """A mail server on one port that can go down and come back."""

    def __init__(self):
        self.server = SMTPServer(host="127.0.0.1", port=_free_port())
        self.handler = StallingHandler(self.server)
        self.controller: Controller | None = None

    @property
    def config(self) -> dict:
        return self.server.config

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname=self.server.host, port=self.server.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def recipients(self) -> list[str]:
        return sorted(str(message["To"]) for message in self.server.messages)
