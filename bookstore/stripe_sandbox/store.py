"""The stand-in's state: plain dicts in Stripe's shapes, kept in a JSON file written atomically.

One re-entrant lock guards everything; the API handles each request while holding it, so an
idempotency check and the change it protects can never interleave with another request.

Requests note their changes with ``Store.changed()``; a writer thread writes the file at most
every ``WRITE_DELAY`` seconds. Writing the whole state (every session, event and delivery so
far) for each change had cost more CPU than the rest of the stand-in, and grew with every
order: in the benchmark's busy sale hour it took 60% of the stand-in's time.
"""

import json
import os
import secrets
import string
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
WRITE_DELAY = 0.25  # seconds: the most state a crash of the stand-in can lose
_ALPHABET = string.ascii_letters + string.digits
COLLECTIONS = (
    "sessions",
    "line_items",
    "payment_intents",
    "charges",
    "refunds",
    "events",
    "idempotency",
    "deliveries",
)


def new_id(prefix: str, length: int = 24) -> str:
    """A Stripe-looking id such as ``cs_test_a1B2...`` or ``pi_3Xy...``."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


class Store:
    """All objects by collection, persisted to ``path`` (or kept in memory when it is None)."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path else None
        self.lock = threading.RLock()
        self.data: dict[str, Any] = self._load()
        self._dirty = threading.Event()
        self._closing = False
        self._writer: threading.Thread | None = None
        self._write_lock = threading.Lock()  # files are written in the order states were taken

    def _empty(self) -> dict[str, Any]:
        data: dict[str, Any] = {name: {} for name in COLLECTIONS}
        data.update(version=FORMAT_VERSION, clock_offset=0, webhook_secret=None, webhook_log=[])
        return data

    def _load(self) -> dict[str, Any]:
        data = self._empty()
        if self.path and self.path.exists():
            try:
                stored = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise RuntimeError(
                    f"The stand-in's state file {self.path} is unreadable: {exc}"
                ) from exc
            if not isinstance(stored, dict) or stored.get("version") != FORMAT_VERSION:
                raise RuntimeError(f"The stand-in's state file {self.path} has an unknown format.")
            data.update(stored)
        return data

    def changed(self) -> None:
        """Note a change: the writer thread writes the state within ``WRITE_DELAY`` seconds."""
        if self.path is None:
            return
        with self.lock:
            self._dirty.set()
            if self._writer is None or not self._writer.is_alive():
                self._closing = False
                self._writer = threading.Thread(
                    target=self._write_changes, name="stripe-sandbox-writer", daemon=True
                )
                self._writer.start()

    def _write_changes(self) -> None:
        while not self._closing:
            self._dirty.wait()
            time.sleep(WRITE_DELAY)  # one write for the changes of the next moments
            if self._dirty.is_set():
                self.save()

    def close(self) -> None:
        """Stop the writer thread and write the state now."""
        self._closing = True
        writer, self._writer = self._writer, None
        self._dirty.set()  # wakes the writer, which then stops
        if writer is not None:
            writer.join(timeout=5)
        self.save()

    def save(self) -> None:
        """Write the state now, atomically: a temporary file in the same folder, then a rename."""
        if self.path is None:
            return
        with self.lock:  # the requests wait only while the state is read, not written
            self._dirty.clear()
            self._prune_idempotency()
            text = json.dumps(self.data, separators=(",", ":"))
            self._write_lock.acquire()
        try:
            self._replace_file(self.path, text)
        finally:
            self._write_lock.release()

    @staticmethod
    def _replace_file(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".stripe-sandbox-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _prune_idempotency(self) -> None:
        # Stripe keeps idempotency keys for at least 24 hours.
        horizon = time.time() - 24 * 3600
        records = self.data["idempotency"]
        for key in [k for k, record in records.items() if record["stored_at"] < horizon]:
            del records[key]

    def collection(self, name: str) -> dict[str, Any]:
        """The dict of one collection, by id (insertion order is creation order)."""
        return self.data[name]

    def get(self, name: str, object_id: str) -> dict[str, Any] | None:
        """One object, or None."""
        return self.data[name].get(object_id)

    def require(self, name: str, object_id: str) -> dict[str, Any]:
        """One object that must exist (a KeyError otherwise: a bug in the stand-in)."""
        return self.data[name][object_id]

    def put(self, name: str, obj: dict[str, Any]) -> dict[str, Any]:
        """Insert or replace an object by its ``id``."""
        self.data[name][obj["id"]] = obj
        return obj

    def now(self) -> int:
        """The stand-in's clock in Unix seconds (real time plus any test-clock advance)."""
        return int(time.time()) + int(self.data["clock_offset"])
