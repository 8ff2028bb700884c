"""`LOG_FORMAT=json`: one JSON object per log line, for log collectors.

Keys: time (UTC, ISO 8601), level, logger, message, and exception (the
traceback text) when there is one. Used by the settings' LOGGING and by
`parley.serve` for uvicorn's own loggers.
"""

from __future__ import annotations

import json
import logging
import re
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


# A credential in a URL's query: `/ws/?token=…`, `/ws/?ticket=…`, the mailed links'
# `?token=…`. Whatever follows the name up to the next `&`, quote or space is cut out.
_CREDENTIAL_IN_QUERY = re.compile(r"([?&](?:token|ticket)=)[^&\s\"']*", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with the value of every token= or ticket= query parameter replaced."""
    return _CREDENTIAL_IN_QUERY.sub(r"\1[redacted]", text)


class RedactCredentials(logging.Filter):
    """Keeps tokens out of logs: uvicorn writes the request's path with its query string
    (the access log, and "WebSocket /ws/?token=…" on connect)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


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
        "filters": {"redact": {"()": "parley.common.logs.RedactCredentials"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "parley", "filters": ["redact"]}
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "uvicorn.access": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
        },
    }
