"""The PWA's boundaries (docs/pwa.md): only api.js names the server's URLs, and only outbox.js builds a
mutation. A view that holds a literal `/api/v1/` path, or queues a change it shaped itself, fails here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "logbook" / "static" / "app"

# The modules allowed to do what this test forbids elsewhere: api.js names every URL; outbox.js builds
# every mutation; store.js keeps them (queueMutation, commitLocalChange); sync.js sends them as queued.
URL_OWNERS = {"api.js"}
MUTATION_OWNERS = {"outbox.js", "store.js", "sync.js"}

URL = re.compile(r"/api/v1/")
MUTATION = [
    (re.compile(r"\.(queueMutation|queueRecordChange|commitLocalChange)\s*\("), "queues a change itself"),
    (re.compile(r"\bbase_version\b"), "shapes a mutation (base_version)"),
    (re.compile(r"\bop\s*:\s*['\"`]"), "shapes a mutation (op)"),
    (re.compile(r"\bentity\s*:\s*['\"`]"), "shapes a mutation (entity)"),
]


def code_lines(text: str) -> list[tuple[int, str]]:
    """The lines of a module with their comments left out (comments may name a URL to explain it)."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if re.match(r"^\s*(//|/\*|\*)", line):
            continue
        out.append((number, re.sub(r"\s//\s.*$", "", line)))
    return out


def problems(name: str, text: str) -> list[str]:
    found = []
    for number, line in code_lines(text):
        if name not in URL_OWNERS and URL.search(line):
            found.append(f"{name}:{number}: a literal /api/v1/ URL (name it in api.js)")
        if name not in MUTATION_OWNERS:
            found += [
                f"{name}:{number}: {why} (use a function of outbox.js)"
                for rx, why in MUTATION
                if rx.search(line)
            ]
    return found


def modules() -> list[Path]:
    return sorted(APP.rglob("*.js"))


def test_the_app_has_views_and_the_owners():
    names = {p.relative_to(APP).as_posix() for p in modules()}
    assert {"api.js", "outbox.js", "store.js", "sync.js"} <= names
    assert len([n for n in names if n.startswith("views/")]) >= 10


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(APP).as_posix())
def test_no_module_but_api_names_a_url_and_none_but_outbox_builds_a_mutation(path):
    assert problems(path.relative_to(APP).as_posix(), path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "line",
    [
        "  const got = await request('GET', `/api/v1/entries/${id}/sign-offs`);",
        "  h('a', { href: '/api/v1/insights/x.csv' }, 'CSV')",
        "  await ctx.store.queueMutation(m, key, note);",
        "  await store.queueRecordChange(m, 'supervision_session', id, change, note);",
        "  const m = { entity: 'sign_off', id, base_version: null, fields };",
        "  return { op: 'create', fields };",
    ],
)
def test_the_check_catches_what_it_forbids(line):
    """The scanner itself: each forbidden shape in a view is reported (so a green run means something)."""
    assert problems("supervise.js", f"import {{ api }} from '../api.js';\n{line}\n")
    assert not problems("supervise.js", f"// e.g. {line}\n")  # a comment may explain one
