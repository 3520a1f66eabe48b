import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from vigie_harness import Served  # noqa: E402


@pytest.fixture
def serve(tmp_path):
    """serve(config_text) starts `vigie serve -c <file>` and waits until ready."""
    started = []

    def start(config_text, name="vigie.yaml", extra_args=()):
        path = tmp_path / name
        path.write_text(config_text)
        s = Served(["serve", "-c", str(path), *extra_args]).wait_ready()
        s.config_path = path
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()
