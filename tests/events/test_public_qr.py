"""The check-in QR code encodes LOGBOOK_PUBLIC_URL's check-in link, never the host the facilitator's
browser named (issue #17: a QR pointing elsewhere would send a room of people to another site)."""

from __future__ import annotations

import io

import pytest
import segno
from werkzeug.middleware.proxy_fix import ProxyFix

from tests.events.test_events_api import code_for, publish
from tests.security.test_public_links import ATTACKER, HOSTILE, PUBLIC, _hostile


def _qr_svg(url: str) -> bytes:
    """The SVG the app draws for a URL (same call, same options as logbook/api/events.py)."""
    out = io.BytesIO()
    segno.make(url, error="m").save(
        out, kind="svg", scale=8, border=2, dark="#000", light="#fff", title="Check-in QR code"
    )
    return out.getvalue()


@pytest.mark.parametrize("hostile", HOSTILE)
def test_qr_encodes_the_configured_public_url_whatever_the_host(app, make_client, cast, hostile):
    app.config["PUBLIC_URL"] = PUBLIC
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # as PROXY_FIX=true does
    fac = _hostile(make_client, cast.facilitator, hostile)
    event = publish(fac)
    shown = code_for(fac, event["id"])
    svg = fac.api("GET", shown["qr_url"])
    assert svg.status_code == 200
    assert svg.data == _qr_svg(f"{PUBLIC}/app/checkin/{shown['code']}")
    assert svg.data != _qr_svg(f"http://{ATTACKER}/app/checkin/{shown['code']}")
