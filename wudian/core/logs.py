"""What the logs may keep of a URL: its path and the names of its query parameters, but only
the values of parameters known to carry no personal data. A search text (`q=`), an account
number, a phone number or an API key in a query string never reaches a log line."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, quote

REDACTED = "***"

# Parameters whose values are paging, filters by state or kind, or public codes; every other
# value is replaced, so a parameter added later is redacted until someone lists it here.
SAFE_QUERY_PARAMETERS = frozenset(
    {
        "page",
        "page_size",
        "limit",
        "offset",
        "status",
        "state",
        "kind",
        "category",
        "mine",
        "overdue",
        "due_soon",
        "compound",
        "service_code",
        "jurisdiction_id",
        "start_date",
        "end_date",
        "o",  # the admin's ordering
        "p",  # the admin's page
    }
)

# Ten or more digits in a row in a path: an account number, a phone number or a meter number.
_LONG_NUMBER = re.compile(r"\d{10,}")
# A path, with its query string if it has one, inside a longer text such as a request line.
_URL = re.compile(r"(?P<path>(?:https?://[^/\s\"']+)?/[^\s\"'?]*)(?:\?(?P<query>[^\s\"']*))?")


def redact_query(query: str) -> str:
    """`q=3400000001&page=2` → `q=***&page=2`."""
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs:
        return REDACTED
    return "&".join(
        f"{quote(name, safe='')}="
        + (quote(value, safe="") if name in SAFE_QUERY_PARAMETERS else REDACTED)
        for name, value in pairs
    )


def redact_path(path: str) -> str:
    return _LONG_NUMBER.sub(REDACTED, path)


def redact_url(url: str) -> str:
    """A path or URL with its query string redacted."""
    path, mark, query = url.partition("?")
    return redact_path(path) + (mark + redact_query(query) if mark else "")


def redact_text(text: str) -> str:
    """Every path inside a text (a request line, a log message) with its query redacted."""
    if "/" not in text:
        return text
    return _URL.sub(_redact_match, text)


def _redact_match(match: re.Match[str]) -> str:
    query = match["query"]
    return redact_path(match["path"]) + ("" if query is None else "?" + redact_query(query))


class RedactQueryStrings(logging.Filter):
    """A logging filter for the handlers: query strings in messages and their arguments are
    redacted (Django's request and server logs put the request line there)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_text(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.args, dict):
            record.args = {
                key: redact_text(value) if isinstance(value, str) else value
                for key, value in record.args.items()
            }
        return True
