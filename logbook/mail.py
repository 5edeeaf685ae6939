"""Sending email behind one small interface, chosen by the MAIL_URL setting (a shared module below
accounts, which sends password resets, and notifications, which send the rest):

- ``console://``: print the message to the log (development);
- ``memory://``: keep messages in a list on the app (tests);
- ``outbox://`` or a folder path: write each message as an .eml file (the default, instance/outbox);
- ``smtp://user:password@host:port`` (``smtps://`` for TLS on connect; ``?starttls=1`` for STARTTLS).
"""

from __future__ import annotations

import smtplib
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app


@dataclass(frozen=True)
class Mail:
    """One plain-text message."""

    to: str
    subject: str
    body: str


class Mailer(Protocol):
    """Anything that can send a Mail."""

    def send(self, mail: Mail) -> None:
        """Deliver (or record) one message."""


def _message(mail: Mail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg.set_content(mail.body)
    return msg


class ConsoleMailer:
    """Logs messages instead of sending them."""

    def send(self, mail: Mail) -> None:
        """Write the message to the app log."""
        current_app.logger.info("email to %s: %s\n%s", mail.to, mail.subject, mail.body)


class MemoryMailer:
    """Keeps messages in a list on the app (for tests)."""

    def send(self, mail: Mail) -> None:
        """Append to app.extensions['logbook.outbox']."""
        current_app.extensions.setdefault("logbook.outbox", []).append(mail)


class FolderMailer:
    """Writes each message as an .eml file into a folder, for an operator or relay to pick up."""

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    def send(self, mail: Mail) -> None:
        """Write one .eml file (written then renamed, so a reader never sees half a message)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        name = uuid.uuid4().hex
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(bytes(_message(mail, self.sender)))
        tmp.rename(self.folder / f"{name}.eml")


class SmtpMailer:
    """Sends through an SMTP server."""

    def __init__(self, url: str, sender: str) -> None:
        self.parts = urlsplit(url)
        self.options = parse_qs(self.parts.query)
        self.sender = sender

    def send(self, mail: Mail) -> None:
        """Connect, optionally STARTTLS and log in, send, disconnect."""
        p = self.parts
        cls = smtplib.SMTP_SSL if p.scheme == "smtps" else smtplib.SMTP
        with cls(
            p.hostname or "localhost", p.port or (465 if p.scheme == "smtps" else 25), timeout=30
        ) as smtp:
            if self.options.get("starttls") == ["1"]:
                smtp.starttls()
            if p.username:
                smtp.login(unquote(p.username), unquote(p.password or ""))
            smtp.send_message(_message(mail, self.sender))


def mailer() -> Mailer:
    """The mailer the configuration asks for."""
    url = current_app.config.get("MAIL_URL") or "outbox://"
    sender = current_app.config.get("MAIL_FROM", "CPD Logbook <no-reply@localhost>")
    scheme = urlsplit(url).scheme
    if scheme == "console":
        return ConsoleMailer()
    if scheme == "memory":
        return MemoryMailer()
    if scheme in {"smtp", "smtps"}:
        return SmtpMailer(url, sender)
    folder = url.removeprefix("outbox://") if scheme == "outbox" else url
    return FolderMailer(Path(folder or Path(current_app.instance_path) / "outbox"), sender)


def send(mail: Mail) -> None:
    """Send one message with the configured mailer."""
    mailer().send(mail)
