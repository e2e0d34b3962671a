"""Shared fixtures: quiet TensorFlow, and a build directory per test session."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory):
    """A run-directory root shared by the tests of one session (teachers train once)."""
    return tmp_path_factory.mktemp("build")
