"""The environment the tests run in: which ``HEALTHQA_*`` variables belong to the test run."""

from __future__ import annotations

import os

import pytest

# Set by tests/conftest.py for the whole run: one copy of the word lists and vocabularies,
# built once (tens of seconds on a busy machine). Not a user's setting, so a test that runs
# "with no settings from outside" keeps it.
VOCABULARY_DIR = "HEALTHQA_VOCABULARY_DIR"


def clear_settings(monkeypatch: pytest.MonkeyPatch, *also: str) -> None:
    """Remove every ``HEALTHQA_*`` setting (and the variables named in ``also``) for one test,
    keeping the run's shared vocabulary."""
    for name in [n for n in os.environ if (n.startswith("HEALTHQA_") and n != VOCABULARY_DIR) or n in also]:
        monkeypatch.delenv(name)
