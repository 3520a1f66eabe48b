"""Fixtures of the fault suite: `serve` (the integration harness's), `world`
(the peers of all four components), `case` (one row of the fault table)."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))

from faultlib import Case, World  # noqa: E402
from vigie_harness import Served  # noqa: E402


@pytest.fixture
def serve(tmp_path):
    """serve(config_text) starts `vigie serve -c <file>` and waits until ready."""
    started = []

    def start(config_text, name="vigie.yaml"):
        path = tmp_path / name
        path.write_text(config_text)
        s = Served(["serve", "-c", str(path)]).wait_ready()
        s.config_path = path
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    yield w
    w.close()


@pytest.fixture
def case(request):
    """case(component, fault) -> Case; a row left unfinished by a failing
    test is still written, marked incomplete."""
    made = []

    xfail = request.node.get_closest_marker("xfail")

    def make(component, fault):
        c = Case(component, fault, request.node.nodeid)
        if xfail:
            c.known_bug = xfail.kwargs.get("reason", "")
        made.append(c)
        return c

    yield make
    for c in made:
        c.write(incomplete=True)
