"""The flags every long-running subcommand shares (-c, --admin, -j/--workers,
--log-level, --log-format), declared once in src/cli/flags.h: each subcommand
takes them, they override a -c file, and a bad value is reported naming the
flag, as the vigie.yaml key it stands for is validated."""
import json
import os

import pytest

from vigie_harness import Served, free_port, run_vigie, wait_for

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


LB_CFG = """global
  maxconn 100
defaults
  mode tcp
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend api
  bind 127.0.0.1:{port}
  default_backend masters
backend masters
  server m1 127.0.0.1:9
"""


def test_standalone_subcommands_run_side_by_side_on_defaults(tmp_path):
    """Two `vigie dns` and a `vigie lb`, none given --admin: all start (each
    admin endpoint on a free loopback port, recorded under the runtime dir),
    and the commands that talk to a running instance find the one they mean
    without flags, or say which ones there are."""
    run_dir = tmp_path / "run"
    env = dict(os.environ, VIGIE_RUNTIME_DIR=str(run_dir))
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(LB_CFG.format(port=free_port()))
    started = []
    try:
        for args in (["dns", *SUBCOMMANDS["dns"]], ["dns", *SUBCOMMANDS["dns"]],
                     ["lb", "-f", str(cfg)]):
            started.append(Served(args, env=env).wait_ready())
        dns1, dns2, lb = started
        admins = {s.listeners["admin"] for s in started}
        assert len(admins) == 3, admins
        for s in started:
            assert s.http("GET", "/healthz")[0] == 200
        records = sorted(p.name for p in run_dir.iterdir())
        assert records == sorted([f"dns-{dns1.proc.pid}.admin", f"dns-{dns2.proc.pid}.admin",
                                  f"lb-{lb.proc.pid}.admin"]), records
        assert oct(run_dir.stat().st_mode & 0o777) == "0o700"

        # The one lb is found without --admin.
        r = run_vigie("lb", "status", env=env)
        assert r.returncode == 0, r.stderr
        assert "masters" in r.stdout
        # Two dns: it says which ones there are, each with its --admin.
        r = run_vigie("dns", "top", env=env)
        assert r.returncode == 2
        assert "2 vigie dns instances run here" in r.stderr, r.stderr
        for s in (dns1, dns2):
            host, port = s.admin
            assert f"--admin {host}:{port}   (vigie dns, pid {s.proc.pid})" in r.stderr
        host, port = dns1.admin
        assert run_vigie("dns", "top", "--admin", f"{host}:{port}", env=env).returncode == 0
        # `vigie reload` without flags: three candidates of any kind.
        r = run_vigie("reload", env=env)
        assert r.returncode == 2 and "3 vigie instances" in r.stderr, r.stderr

        # One dns stopped: its record goes, and the other is found.
        assert dns2.stop() == 0
        assert not (run_dir / f"dns-{dns2.proc.pid}.admin").exists()
        r = run_vigie("dns", "top", env=env)
        assert r.returncode == 0, r.stderr
        # A record whose process is gone (killed) is skipped and removed.
        lb.proc.kill()
        lb.proc.wait()
        r = run_vigie("lb", "status", env=env)
        assert r.returncode == 2 and "127.0.0.1:9901" in r.stderr, r.stderr
        assert not (run_dir / f"lb-{lb.proc.pid}.admin").exists()
    finally:
        for s in started:
            s.stop()
