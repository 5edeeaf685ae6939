"""Fixtures for export tests: the job runner drained after each test, PDFs read back."""

from __future__ import annotations

import io
import zipfile

from tests.jobs.conftest import finish_jobs
from tests.portfolio.conftest import boss, me, pdf_text  # noqa: F401
from tests.supervision.conftest import outbox, supervised, supervisor  # noqa: F401


def run_job(app, client, response) -> bytes:
    """Follow a 202 to its job, wait for it, and download the result."""
    assert response.status_code == 202, response.get_json()
    location = response.headers["Location"]
    finish_jobs(app)
    status = client.get(location).get_json()
    assert status["status"] == "done", status
    download = client.get(status["download_url"])
    assert download.status_code == 200
    return download.data


def unzip(data: bytes) -> dict[str, bytes]:
    """Every file of a ZIP by name."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
