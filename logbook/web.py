"""Non-API routes: the PWA shell, service worker, health check, API docs; headers and transactions."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import (
    Flask,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    send_from_directory,
)
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from logbook.errors import error_body
from logbook.extensions import db

STATIC = Path(__file__).parent / "static"

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


@lru_cache(maxsize=1)
def asset_version() -> str:
    """A hash of the shell and every static asset: changes whenever any of them changes (cache key)."""
    digest = hashlib.sha256((Path(__file__).parent / "templates" / "shell.html").read_bytes())
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(STATIC)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def shell_assets() -> list[str]:
    """URLs the service worker precaches: the shell and every static file the app uses."""
    files = [
        "/static/" + str(p.relative_to(STATIC))
        for p in sorted(STATIC.rglob("*"))
        if p.is_file() and p.name != "sw.js"
    ]
    return ["/", "/manifest.webmanifest", *files]


@lru_cache(maxsize=1)
def page_modules() -> tuple[str, ...]:
    """Every ES module the page loads (main.js imports them all, a few levels deep), so the shell can
    name them for the browser to fetch at once (modulepreload) instead of level by level, a round
    trip each; background-sync.js is the service worker's alone. Read once, like asset_version()."""
    skip = {"/static/app/main.js", "/static/app/background-sync.js"}
    return tuple(
        url
        for url in shell_assets()
        if url.startswith("/static/app/") and url.endswith(".js") and url not in skip
    )


def classic_service_worker() -> str:
    """sw.js without its module-only lines (the import of the no-page Background Sync push)."""
    lines = (STATIC / "sw.js").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.rstrip().endswith("// module-only")]
    return "const pushWithoutPage = null;\n" + "".join(kept)


def _service_worker(body: str) -> Response:
    """A service worker script: never cached by HTTP, allowed to control the whole site."""
    response = Response(body + f"\n// assets {asset_version()}\n", mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


def register_web(app: Flask) -> None:
    """Shell routes, security headers and the one transaction boundary per request."""

    @app.after_request
    def _finish_transaction(response: Response) -> Response:
        # The one place that commits: services only flush. Errors roll back everything.
        if response.status_code >= 400:
            db.session.rollback()
            return response
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return error_body(409, "conflict", "The change clashes with data saved meanwhile; try again.")
        except OperationalError:
            db.session.rollback()
            current_app.logger.warning("database unavailable at commit")
            resp = error_body(503, "unavailable", "The database is busy; nothing was saved. Try again.")
            resp.headers["Retry-After"] = str(current_app.config["DB_RETRY_AFTER_SECONDS"])
            return resp
        return response

    @app.after_request
    def _security_headers(response: Response) -> Response:
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h["X-Content-Type-Options"] = "nosniff"
        h.setdefault("Referrer-Policy", "same-origin")  # token pages send no-referrer: kept
        h["X-Frame-Options"] = "DENY"
        h["Permissions-Policy"] = "camera=(self), geolocation=(), microphone=()"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        if request.is_secure:
            h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.path.startswith("/api/"):
            h.setdefault("Cache-Control", "no-store")
        return response

    @app.get("/healthz")
    def healthz():
        """Whether the app can reach its database."""
        try:
            db.session.execute(text("SELECT 1"))
        except OperationalError:
            db.session.rollback()
            return jsonify(status="error", database="unreachable"), 503
        return jsonify(status="ok", database="reachable")

    @app.get("/")
    @app.get("/app/<path:_route>")
    def shell(_route: str | None = None):
        """The PWA's app shell; the client-side router shows the right screen."""
        return render_template("shell.html", version=asset_version(), modules=page_modules())

    @app.get("/sw.js")
    def service_worker():
        """The service worker (a module worker), from the site root so that it controls the whole app.
        It carries the assets' version, so the browser's byte-for-byte update check sees every asset
        change."""
        return _service_worker((STATIC / "sw.js").read_text(encoding="utf-8"))

    @app.get("/sw-classic.js")
    def service_worker_classic():
        """The same service worker for browsers without module service workers: without its import
        (Background Sync then only wakes open pages; such browsers have none anyway)."""
        return _service_worker(classic_service_worker())

    @app.get("/sw-assets.json")
    def service_worker_assets():
        """What the service worker precaches, and the version that names its cache."""
        response = jsonify(version=asset_version(), assets=shell_assets())
        response.headers["Cache-Control"] = "no-cache"
        return response

    @app.get("/manifest.webmanifest")
    def manifest():
        """The web app manifest (installable app)."""
        response = send_from_directory(STATIC, "manifest.webmanifest", max_age=0)
        response.headers["Content-Type"] = "application/manifest+json"
        return response

    @app.get("/api/docs")
    def api_docs():
        """Human-readable API documentation, rendered from the OpenAPI document (no CDN)."""
        spec = app.extensions["logbook.api"].spec.to_dict()
        return render_template("api_docs.html", spec=spec)
