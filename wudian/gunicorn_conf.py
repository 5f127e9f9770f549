"""gunicorn's configuration for Wudian: `gunicorn -c python:wudian.gunicorn_conf …` (and
`wudian serve`). The access log keeps paths but not the values of query parameters that may
carry personal data, nor the referrer's."""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from wudian.core.logs import redact_path, redact_query, redact_url

# What the task consumer posts to the development gateway (debug mode): one line per SMS
# would bury the requests a person made.
QUIET_POSTS = "/dev/gateway/"


class RedactingLogger(Logger):
    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO", "").startswith(
            QUIET_POSTS
        ):
            return
        super().access(resp, req, environ, request_time)

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = " ".join(
            (environ["REQUEST_METHOD"], redact_url(environ["RAW_URI"]), environ["SERVER_PROTOCOL"])
        )
        atoms["U"] = redact_path(atoms.get("U") or "")
        atoms["q"] = redact_query(atoms.get("q") or "")
        if atoms.get("f") not in (None, "-"):
            atoms["f"] = redact_url(atoms["f"])
        if "{referer}i" in atoms:
            atoms["{referer}i"] = redact_url(atoms["{referer}i"])
        return atoms


logger_class = RedactingLogger
