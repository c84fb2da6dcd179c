"""The page cache's reads and writes of Redis, on connections each process keeps for them.

A page-cache miss costs two round trips to Redis: the GET that finds no page, and the SET
that keeps the page rendered (with the DELs of the pages it evicts). Through redis-py's client
each command also checks a connection out of the pool and back in, with its locks, process
checks and observability bookkeeping: 160 us of the worker's CPU for a GET on a slow machine,
of which the round trip itself (sending the command and reading the answer on a connection
at hand) is 85. Here each process keeps connections of its own, made as the client's pool
makes its connections (same address, timeouts and TLS), and sends the page cache's commands
on one that is idle.

A failure (an error answer too) drops the connection, so that a later command makes a new
one, and is raised for the caller, ``page_cache._cache_call_on``: its circuit breaker takes it
as it takes the client's own errors.
"""

from __future__ import annotations

import os
from typing import Any

from redis import Redis


class RedisLine:
    """``client``'s server, on connections of this process's own: one for each command in
    flight at once (a sync worker needs one; a threaded server, one per busy thread)."""

    def __init__(self, client: Redis) -> None:
        self._pool = client.connection_pool
        # Idle connections. list.pop and list.append are atomic: threads need no lock.
        self._idle: list[Any] = []

    def _take(self) -> Any:
        while True:
            try:
                connection = self._idle.pop()
            except IndexError:
                pool = self._pool
                return pool.connection_class(**pool.connection_kwargs)
            if connection.pid == os.getpid():
                return connection
            # Made before a fork: the parent's socket, left to the parent.

    def call(self, *command: Any) -> Any:
        """Send one command and return its answer."""
        return self.calls([command])[0]

    def calls(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        """Send ``commands`` together (one round trip) and return their answers in order."""
        connection = self._take()
        try:
            connection.send_packed_command(connection.pack_commands(commands))
            answers = [connection.read_response() for _command in commands]
        except BaseException:
            # Half-read answers would be taken for the next command's: this one is dropped.
            connection.disconnect()
            raise
        self._idle.append(connection)
        return answers
