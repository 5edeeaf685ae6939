"""Shell, service worker, manifest, health check, API docs and security headers."""

import json
import re
import threading
from pathlib import Path

import pytest
from flask_smorest import Blueprint
from sqlalchemy.exc import OperationalError

from logbook.extensions import db
from logbook.web import CSP


def test_shell_is_served_with_strict_csp_and_no_inline_script(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    csp = response.headers["Content-Security-Policy"]
    assert csp == CSP
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    # every <script> has a src: nothing inline for the CSP to block
    assert html.count("<script") == html.count('<script type="module" src=')
    assert 'rel="manifest"' in html


def test_deep_links_get_the_shell(client):
    assert client.get("/app/logbook").status_code == 200


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    assert "max-age" in client.get("/", base_url="https://localhost").headers["Strict-Transport-Security"]


def test_service_worker_from_root_and_asset_list(client):
    with client.get("/sw.js") as sw:
        assert sw.status_code == 200
        assert sw.headers["Service-Worker-Allowed"] == "/"
        assert "no-cache" in sw.headers["Cache-Control"]
    assets = client.get("/sw-assets.json").get_json()
    assert "/" in assets["assets"]
    assert "/static/app/main.js" in assets["assets"]
    assert len(assets["version"]) == 16
    for url in assets["assets"]:
        with client.get(url) as response:  # static files stream: close them
            assert response.status_code == 200, url


def test_asset_version_changes_when_an_asset_changes(monkeypatch, tmp_path):
    from logbook import web

    (tmp_path / "a.js").write_text("one")
    monkeypatch.setattr(web, "STATIC", tmp_path)
    web.asset_version.cache_clear()
    first = web.asset_version()
    (tmp_path / "a.js").write_text("two")
    web.asset_version.cache_clear()
    assert web.asset_version() != first
    web.asset_version.cache_clear()


def test_manifest_is_installable(client):
    with client.get("/manifest.webmanifest") as response:
        assert response.headers["Content-Type"] == "application/manifest+json"
        manifest = json.loads(response.get_data(as_text=True))
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    purposes = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
    assert ("512x512", "maskable") in purposes
    assert ("192x192", "any") in purposes
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as icon_response:
            assert icon_response.status_code == 200


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "reachable"}


def test_healthz_when_database_unreachable(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    with app.app_context():
        monkeypatch.setattr(db.session, "execute", broken)
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_openapi_document_and_docs_page(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/auth/login" in spec["paths"]
    assert "/api/v1/admin/job-roles/import" in spec["paths"]
    assert "Error" in spec["components"]["schemas"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    html = docs.get_data(as_text=True)
    assert "POST /api/v1/auth/login" in html
    assert "<script" not in html  # rendered on the server: no CDN, nothing for the CSP to block


def test_unknown_api_route_and_wrong_method_use_error_shape(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    response = client.api("PUT", "/api/v1/me")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_api_responses_are_not_cached(client):
    assert client.get("/api/v1/me").headers["Cache-Control"] == "no-store"


def test_unexpected_errors_are_500_in_error_shape_without_details(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internal detail")

    response = client.get("/boom")
    assert response.status_code == 500
    err = response.get_json()["error"]
    assert err["code"] == "internal_error"
    assert "secret" not in err["message"]


def test_openapi_document_is_built_on_first_read_complete_and_once(app):
    """create_app registers routes at once but documents them when the spec is first read; readers
    racing on a fresh app all get the whole document, the same one, built once."""
    api = app.extensions["logbook.api"]
    assert api.__dict__["_pending_docs"], "documented eagerly in create_app again"
    calls = []
    real = Blueprint.register_views_in_doc

    def counted(self, *args, **kwargs):
        calls.append(self.name)
        return real(self, *args, **kwargs)

    documents = []
    barrier = threading.Barrier(6)

    def read():
        barrier.wait()
        documents.append(api.spec.to_dict())

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Blueprint, "register_views_in_doc", counted)
        threads = [threading.Thread(target=read) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(documents) == 6
    assert all(d == documents[0] for d in documents)
    assert len(calls) == len(set(calls))  # each blueprint documented once
    smorest = set(app.extensions["flask-smorest"]["blp_name_to_api"])
    assert set(calls) == smorest
    routes = {
        re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in smorest
    }
    assert routes
    assert routes <= set(documents[0]["paths"])  # every route of every API blueprint
    assert [t["name"] for t in documents[0]["tags"]] == list(dict.fromkeys(calls))


def test_shell_preloads_every_page_module(client):
    """The browser fetches the whole module graph at once instead of one import level per round trip."""
    html = client.get("/").get_data(as_text=True)
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', html))
    static = Path(__file__).resolve().parents[1] / "logbook" / "static"
    modules = {"/static/" + str(p.relative_to(static)) for p in (static / "app").rglob("*.js")}
    assert preloaded == modules - {"/static/app/main.js", "/static/app/background-sync.js"}
    assert "/static/app/views/home.js" in preloaded
    for url in preloaded:
        assert client.get(url).status_code == 200
