"""Reflection templates (data in reflection_templates.yaml) and checking a reflection against one."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

MAX_ANSWER = 10_000


@lru_cache(maxsize=1)
def templates() -> dict[str, Any]:
    """The reflection templates and each kind's default template."""
    text = (
        resources.files("logbook.entries").joinpath("reflection_templates.yaml").read_text(encoding="utf-8")
    )
    return yaml.safe_load(text)


def default_template(kind: str) -> str:
    """The template a new entry of this kind starts with."""
    return templates()["default_for_kind"].get(kind, "free")


def reflection_problems(reflection: dict[str, Any]) -> dict[str, list[str]]:
    """Field errors for a reflection {"template": key, "answers": {prompt key: text}} (empty when fine)."""
    if not reflection:
        return {}
    known = templates()["templates"]
    template = reflection.get("template")
    if template not in known:
        return {"reflection.template": [f"must be one of {', '.join(known)}"]}
    prompts = {p["key"] for p in known[template]["prompts"]}
    problems: dict[str, list[str]] = {}
    answers = reflection.get("answers") or {}
    if not isinstance(answers, dict):
        return {"reflection.answers": ["must be an object of prompt → text"]}
    for key, value in answers.items():
        if key not in prompts:
            problems[f"reflection.answers.{key}"] = [f"not a prompt of the {template} template"]
        elif not isinstance(value, str):
            problems[f"reflection.answers.{key}"] = ["must be text"]
        elif len(value) > MAX_ANSWER:
            problems[f"reflection.answers.{key}"] = [f"longer than {MAX_ANSWER} characters"]
    extra = set(reflection) - {"template", "answers"}
    if extra:
        problems["reflection"] = [f"unknown key(s): {', '.join(sorted(extra))}"]
    return problems
