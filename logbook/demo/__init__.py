"""Demo data, all in one package: `logbook demo` and `logbook demo --scale N`.

- `people.py`: the demo organisation (a children's integrated service: teams, job roles, people,
  registrations, the published login) and `build_demo`, the entry point of `logbook demo`;
- `entries.py`: a year of realistic CPD entries for each demo practitioner, and their supervisors;
- `events.py`: the learning offer, a year of events with attendance and feedback;
- `scale.py`: `build_scale_demo`, a large generated organisation for insights and benchmarks
  (`logbook demo --scale N`).

Everything is deterministic (seeded) and `build_demo` is idempotent.
"""

from __future__ import annotations

from logbook.demo.people import DEMO_PASSWORD, PEOPLE, build_demo, email_for

__all__ = ["DEMO_PASSWORD", "PEOPLE", "build_demo", "email_for"]
