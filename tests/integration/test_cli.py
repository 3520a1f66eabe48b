"""The flags every long-running subcommand shares (-c, --admin, -j/--workers,
--log-level, --log-format), declared once in src/cli/flags.h: each subcommand
takes them, they override a -c file, and a bad value is reported naming the
flag, as the vigie.yaml key it stands for is validated."""
import json

import pytest

from vigie_harness import Served, run_vigie, wait_for

# Each long-running subcommand with the least it needs to start on loopback.
# (`serve` runs its built-in config, whose ports are fixed: it is tested
# with -c below.)
SUBCOMMANDS = {
    "events": ["--tcp", "127.0.0.1:0", "--udp", "off", "--http", "off"],
    "dns": ["--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9"],
}


@pytest.mark.parametrize("name", ["serve", "lb", "egress"] + sorted(SUBCOMMANDS))
def test_every_long_running_subcommand_takes_the_shared_flags(name):
    h = run_vigie(name, "--help")
    assert h.returncode == 0, h.stderr
    for flag in ["--admin", "--workers", "--log-level", "--log-format"]:
        assert flag in h.stdout, f"vigie {name} --help lacks {flag}"


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_shared_flags_set_admin_workers_and_log_format(name):
    s = Served([name, *SUBCOMMANDS[name], "--admin", "127.0.0.1:0", "-j", "1",
                "--log-level", "debug", "--log-format", "json"]).wait_ready()
    try:
        status, body, _ = s.http("GET", "/status")
        assert status == 200
        assert json.loads(body)["workers"] == 1
        wait_for(lambda: s.log_contains("serving"), what="the start-up log line")
        line = next(l for l in s.stderr_lines if "serving" in l)
        assert json.loads(line)["component"] == "serve"
    finally:
        assert s.stop() == 0


def test_flags_override_the_config_file(tmp_path):
    path = tmp_path / "v.yaml"
    # The file's admin port is taken: only the --admin override lets it start.
    path.write_text("admin:\n  listen: 127.0.0.1:1\nruntime:\n  workers: 2\n")
    s = Served(["serve", "-c", str(path), "--admin", "127.0.0.1:0", "--workers", "1"])
    s.wait_ready()
    try:
        _, body, _ = s.http("GET", "/status")
        assert json.loads(body)["workers"] == 1
    finally:
        assert s.stop() == 0


@pytest.mark.parametrize("args, expected", [
    (["serve", "--log-level", "loud"],
     "<embedded>: --log-level (log.level): unknown value \"loud\""),
    (["serve", "--admin", "0.0.0.0:9901"],
     "<embedded>: --admin (admin.listen): the admin endpoint listens on loopback"),
    (["events", "--ttl", "forever"], "<flags>: --ttl (events.ttl): "),
    (["events", "--tcp", "127.0.0.1"], "<flags>: --tcp (events.tcp): missing port"),
    (["dns", "--upstream", "127.0.0.1:9", "--block-mode", "sometimes"],
     "<flags>: --block-mode (dns.block_mode): "),
    (["dns", "--upstream", "nowhere:x"], "<flags>: --upstream (dns.upstreams[0]): "),
])
def test_a_bad_flag_is_named_in_the_error(args, expected):
    r = run_vigie(*args, timeout=20)
    assert r.returncode == 1, r.stderr
    assert expected in r.stderr, r.stderr


def test_component_flags_and_a_config_file_exclude_each_other(tmp_path):
    path = tmp_path / "v.yaml"
    path.write_text("events:\n")
    r = run_vigie("events", "-c", str(path), "--ttl", "5s")
    assert r.returncode != 0
    assert "excludes" in r.stderr, r.stderr
