"""The physical baseline of the portfolio benchmark, written without the product's code: WeasyPrint
(nothing else) printing the same text as a portfolio from plain markup (no CSS, no fonts, no PDF/A,
no attachment). Run as a child process on a JSON file of a portfolio's context, it prints its wall
time, CPU time, page count and peak memory as JSON.

    .venv/bin/python bench/baseline_pdf.py context.json
"""

from __future__ import annotations

import json
import resource
import sys
import time
from html import escape

from weasyprint import HTML


def bare_html(context: dict) -> str:
    """The same text as the portfolio (cover lines, every activity's fields and sign-off lines) as
    bare HTML: what WeasyPrint costs with no styling at all."""
    out = [f"<h1>{escape(context['document']['title'])}</h1><p>{escape(context['person']['name'])}</p>"]
    for e in context["entries"]:
        out.append(
            f"<h3>{escape(e['title'])}</h3><p>{e['start_date']} {escape(e['kind'])} {e['hours']} h</p>"
            f"<p>{escape(e['description'])}</p><p>{escape(e['impact_on_practice'])}</p>"
            f"<p>{escape(e['impact_on_people'])}</p>"
        )
        for so in e["sign_offs"]:
            signed = f"{escape(so['signer_name'])} {so['signed_at']} {so['code']} {so['verify_url']}"
            out.append(f"<p>Signed off by {signed}</p>")
    return "<!doctype html><html><body>" + "".join(out) + "</body></html>"


def render(context: dict) -> tuple[bytes, float, float]:
    """(PDF, wall seconds, CPU seconds)."""
    wall, cpu = time.perf_counter(), time.process_time()
    pdf = HTML(string=bare_html(context)).write_pdf()
    return pdf, time.perf_counter() - wall, time.process_time() - cpu


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as file:
        context = json.load(file)
    pdf, wall, cpu = render(context)
    # VmHWM, not ru_maxrss: Linux carries the pre-exec high-water mark of the forked bench process
    # into ru_maxrss, so a child started by a large process reports at least that process's size.
    with open("/proc/self/status", encoding="ascii") as file:
        status = file.read()
    hwm = [line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")]
    peak = int(hwm[0]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"wall_s": wall, "cpu_s": cpu, "bytes": len(pdf), "peak_rss_mib": peak}))
