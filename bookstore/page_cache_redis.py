"""The page cache's reads and writes of Redis, on a connection each process keeps for them.

A page-cache miss costs two round trips to Redis: the GET that finds no page, and the SET
that keeps the page rendered (with the DELs of the pages it evicts). Through redis-py's client
each command also checks a connection out of the pool and back in, with its locks, process
checks and observability bookkeeping: 160 us of the worker's CPU for a GET on a slow machine,
of which the round trip itself (sending the command and reading the answer on a connection
at hand) is 85. Here each process, and each of its threads, keeps one connection of its own,
made as the client's pool makes its connections (same address, timeouts and TLS), and sends
the page cache's commands on it.

A failure (an error answer too) drops the connection, so that the next command makes a new
one, and is raised for the caller, ``page_cache._cache_call_on``: its circuit breaker takes it
as it takes the client's own errors.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from redis import Redis


class RedisLine:
    """``client``'s server, on one connection per process and thread."""

    def __init__(self, client: Redis) -> None:
        self._pool = client.connection_pool
        self._kept = threading.local()

    def _connection(self) -> Any:
        connection = getattr(self._kept, "connection", None)
        if connection is None or connection.pid != os.getpid():  # new, or made before a fork
            pool = self._pool
            connection = self._kept.connection = pool.connection_class(**pool.connection_kwargs)
        return connection

    def call(self, *command: Any) -> Any:
        """Send one command and return its answer."""
        return self.calls([command])[0]

    def calls(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """Send ``commands`` together (one round trip) and return their answers in order."""
        connection = self._connection()
        try:
            connection.send_packed_command(connection.pack_commands(commands))
            return [connection.read_response() for _command in commands]
        except BaseException:
            # Half-read answers would be taken for the next command's: start afresh.
            connection.disconnect()
            raise
