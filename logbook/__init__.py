"""CPD Logbook: an offline-first logbook of continuing professional development.

The application factory is `logbook.app.create_app`; docs/architecture.md maps the packages."""
