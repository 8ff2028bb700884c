"""`LOG_FORMAT=json`: one JSON object per log line, for log collectors.

Keys: time (UTC, ISO 8601), level, logger, message, and exception (the
traceback text) when there is one. Used by the settings' LOGGING and by
`parley.serve` for uvicorn's own loggers.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter_config(fmt: str) -> dict[str, Any]:
    """A dictConfig formatter entry for LOG_FORMAT (`json` or anything else for plain text)."""
    if fmt.lower() == "json":
        return {"()": "parley.common.logs.JsonFormatter"}
    return {"format": PLAIN}


def uvicorn_log_config(fmt: str, level: str) -> dict[str, Any]:
    """uvicorn's loggers, in the same format as Parley's."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"parley": formatter_config(fmt)},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "parley"}},
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.access": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
        },
    }
