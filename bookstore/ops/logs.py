"""Log lines that carry the request id, as text or as JSON (``LOG_FORMAT=json``).

Every log record gets a ``request_id`` attribute (``-`` outside a request) through the record
factory, so it reaches every handler: ours, gunicorn's and pytest's alike.
"""

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from bookstore.ops.requestid import current_request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
_HANDLER_MARK = "_bookstore_handler"
_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args, **kwargs) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.request_id = current_request_id() or "-"
    return record


def configure(log_format: str, level: str | int = "INFO") -> None:
    """Send the process's logs to stderr in ``log_format`` (``text`` or ``json``).

    Idempotent: a second app in the same process replaces the handler the first installed.
    """
    if log_format not in {"text", "json"}:
        raise RuntimeError(f"LOG_FORMAT must be 'text' or 'json', not {log_format!r}")
    logging.setLogRecordFactory(_record_with_request_id)
    handler = logging.StreamHandler(sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    if log_format == "json":
        handler.setFormatter(
            JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "name": "logger"})
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
