"""Services know nothing of the web (issue #18; docs/architecture.md, "Settings reach services as
arguments"): outside the places listed here no module of logbook/ reads the request or the running
app (`flask.request`, `current_app`, `g`, `session`, …), at module level or inside a function, nor
imports the web-only helpers (the login session, the public-URL accessor). Settings reach services
as keyword arguments from the route or the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "logbook"

WEB_NAMES = {"request", "current_app", "g", "session", "has_request_context", "has_app_context"}
WEB_ONLY_MODULES = {"logbook.urls", "logbook.accounts.auth"}

# The web and its entry points: they read the request and the configuration and pass it on.
EDGE = {
    "logbook/__init__.py",
    "logbook/app.py",
    "logbook/web.py",
    "logbook/cli.py",
    "logbook/worker.py",
    "logbook/migrations/env.py",
}
EDGE_FOLDERS = ("logbook/api/",)
# Infrastructure made once per app from its settings (each the one accessor of its resource; none
# holds a business rule): the reasons are in docs/architecture.md.
INFRASTRUCTURE = {
    "logbook/extensions.py": "the Flask extensions; the rate limiter keys on the caller's address",
    "logbook/urls.py": "the public-URL accessor the routes and the CLI call",
    "logbook/accounts/auth.py": "the login session (cookie, CSRF) the routes use",
    "logbook/mail.py": "the mailer, made from MAIL_URL / MAIL_FROM",
    "logbook/storage.py": "the evidence store, made once per app from EVIDENCE_URL",
    "logbook/ratelimit.py": "flask-limiter's counter storage: keeps the request's own counts on flask.g",
}


def _allowed(rel: str) -> bool:
    return rel in EDGE or rel in INFRASTRUCTURE or rel.startswith(EDGE_FOLDERS)


def web_reads(source: str) -> list[str]:
    """What a module's source takes from the web: `from flask import request`, `flask.current_app`,
    `import logbook.urls`, … (anywhere in the module, functions included)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "flask":
                found += [f"flask.{a.name}" for a in node.names if a.name in WEB_NAMES]
            elif node.module in WEB_ONLY_MODULES:
                found.append(node.module)
            elif node.module in {m.rpartition(".")[0] for m in WEB_ONLY_MODULES}:
                found += [
                    f"{node.module}.{a.name}"
                    for a in node.names
                    if f"{node.module}.{a.name}" in WEB_ONLY_MODULES
                ]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name in WEB_ONLY_MODULES]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "flask"
            and node.attr in WEB_NAMES
        ):
            found.append(f"flask.{node.attr}")
    return found


def test_no_service_module_reads_the_request_or_the_app():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if _allowed(rel):
            continue
        found = web_reads(path.read_text(encoding="utf-8"))
        if found:
            offenders[rel] = found
    assert offenders == {}, "pass these settings in as keyword arguments from the route or the CLI"


def test_the_allowed_places_exist():
    """A listed place that was moved or deleted must leave the list too (no stale exemptions)."""
    for rel in EDGE | set(INFRASTRUCTURE):
        assert (ROOT / rel).is_file(), rel


@pytest.mark.parametrize("rel", sorted(INFRASTRUCTURE))
def test_every_infrastructure_exemption_is_still_needed(rel):
    """A module on the infrastructure list that no longer reads the app leaves the list, so the list
    says exactly what is left."""
    assert web_reads((ROOT / rel).read_text(encoding="utf-8")), f"{rel} reads nothing of the web now"


@pytest.mark.parametrize(
    "source",
    [
        "from flask import current_app\n",
        "from flask import request as r\n",
        "def f():\n    from flask import current_app\n    return current_app.config['X']\n",
        "import flask\nflask.request.host_url\n",
        "from logbook.urls import public_url\n",
        "from logbook import urls\n",
        "import logbook.accounts.auth\n",
        "from logbook.accounts import auth\n",
    ],
)
def test_the_scan_sees_every_form(source):
    assert web_reads(source)


def test_the_scan_leaves_plain_flask_names_alone():
    assert web_reads("from flask import render_template, Flask\nfrom logbook.extensions import db\n") == []
