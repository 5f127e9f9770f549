"""Who is reading, as the counts of reads and votes know them: a user by their id; an anonymous
reader by their browser session, or (a read without a session) by a digest of their address
and browser. Nothing here is kept in clear."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest

from wudian.core.throttle import client_address


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def reader_key(request: HttpRequest) -> str:
    """The key of the reader of a page, for counting reads."""
    user = request.user
    if user.is_authenticated:
        return f"u{user.pk}"
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        return f"s{_digest(session.session_key)}"
    agent = request.headers.get("User-Agent", "")[:200]
    return f"a{_digest(client_address(request) + '|' + agent)}"


def voter_key(request: HttpRequest) -> str:
    """The key of a voter: a user, else their browser session (started here if need be)."""
    user = request.user
    if user.is_authenticated:
        return f"u{user.pk}"
    session = request.session
    if not session.session_key:
        session.save()
    return f"s{_digest(session.session_key or '')}"
