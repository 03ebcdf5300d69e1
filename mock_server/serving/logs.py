"""Logging set-up for the CLI's server: one line format for eigen-mock's and uvicorn's records.

The same ``logging.config`` dictionary configures this process and is handed to uvicorn, which
applies it again in every worker process, so all of a server's lines look alike: readable text by
default, one JSON object per line with ``--log-format json`` (for log collectors).
"""

from __future__ import annotations

import json
import logging
import logging.config
import time
from typing import Any

TEXT_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
LOG_FORMATS = ("text", "json")


class JsonFormatter(logging.Formatter):
    """A record as one JSON object: time (ISO 8601, UTC), level, logger, message (and the traceback)."""

    def converter(self, seconds: float | None) -> time.struct_time:
        return time.gmtime(seconds)

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def logging_config(level: str = "info", log_format: str = "text") -> dict[str, Any]:
    """The ``logging.config.dictConfig`` dictionary for ``level`` and ``log_format``."""
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {', '.join(LOG_FORMATS)}")
    formatter: dict[str, Any] = {"()": JsonFormatter} if log_format == "json" else {"format": TEXT_FORMAT}
    handler = {"class": "logging.StreamHandler", "formatter": "eigen_mock", "stream": "ext://sys.stderr"}
    ours = {"handlers": ["eigen_mock"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"eigen_mock": formatter},
        "handlers": {"eigen_mock": handler},
        "loggers": {
            "eigen_mock": ours,
            "uvicorn": ours,
            "uvicorn.error": {"level": level.upper(), "propagate": True},
            "uvicorn.access": {"level": level.upper(), "propagate": True},
            # moto's embedded S3 serves through werkzeug, which logs every request at INFO.
            "werkzeug": {**ours, "level": "WARNING"},
        },
    }


def configure_logging(level: str = "info", log_format: str = "text") -> None:
    """Apply ``logging_config(level, log_format)`` to this process."""
    logging.config.dictConfig(logging_config(level, log_format))
