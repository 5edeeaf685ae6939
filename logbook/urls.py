"""Links that leave the request (emails, PDFs, QR codes, calendar feeds) and the one place they are built.

A link that is emailed, printed or scanned must point at this service, never at whatever host a
caller named: `Host` and `X-Forwarded-Host` are attacker-controlled, so a password-reset request
sent with `Host: attacker.example` would otherwise mail the real user a real token on the
attacker's site. Every such link is therefore built from LOGBOOK_PUBLIC_URL (required in
production, validated in logbook/config.py) and nothing here reads `flask.request`.
"""

from __future__ import annotations

from flask import current_app


def public_url(path: str = "") -> str:
    """The configured public base URL (no trailing slash) followed by `path` (which starts with /)."""
    if path and not path.startswith("/"):
        raise ValueError("path must start with '/'")
    return str(current_app.config["PUBLIC_URL"]).rstrip("/") + path
