"""The test suite. Imported before tests/conftest.py, so settings here apply before logbook loads."""

import os

# Cheap argon2 parameters for the suite, which logs in thousands of times. The app refuses to start
# in production with this setting; tests/test_config.py checks that, and that "standard" is the default.
os.environ.setdefault("LOGBOOK_PASSWORD_HASHING", "fast-for-tests")
