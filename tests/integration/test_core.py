"""The foundation, end to end: config errors, reload, drain, admin endpoint."""
import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from vigie_harness import Served, connect, free_port, port_refuses, run_vigie, wait_for

BASE = """admin:
  listen: 127.0.0.1:0
log:
  level: info
runtime:
  workers: 2
  grace: 5s
"""

# (config text, exact output of `vigie check`, one line per error).
BROKEN = [
    ("admin:\n  listen: 127.0.0.1\n",
     ["F:2:11: admin.listen: missing port in \"127.0.0.1\" (write host:port)"]),
    ("admin:\n  listen: 0.0.0.0:9901\n",
     ["F:2:11: admin.listen: the admin endpoint listens on loopback unless allow_remote: true is set"]),
    ("admin:\n  lisen: 127.0.0.1:1\n",
     ["F:2:3: admin.lisen: unknown setting \"lisen\" (did you mean \"listen\"?)"]),
    ("admin:\n  listen: \"[::1:9901\"\n",
     ["F:2:11: admin.listen: missing ']' in \"[::1:9901\""]),
    ("admin:\n  listen: 127.0.0.1:99999\n",
     ["F:2:11: admin.listen: port 99999 is out of range (0-65535)"]),
    ("log:\n  level: loud\n",
     ["F:2:10: log.level: unknown value \"loud\" (expected one of: trace, debug, info, warn, error, off)"]),
    ("log:\n  format: xml\n",
     ["F:2:11: log.format: unknown value \"xml\" (expected one of: text, json)"]),
    ("runtime:\n  grace: 10 parsecs\n",
     ["F:2:10: runtime.grace: unknown duration unit \"parsecs\" in \"10 parsecs\" (accepted: ns, us, ms, s, m, h, d)"]),
    ("runtime:\n  user: vigie-no-such-user\n  group: vigie-no-such-group\n",
     ["F:2:9: runtime.user: no such user \"vigie-no-such-user\"",
      "F:3:10: runtime.group: no such group \"vigie-no-such-group\""]),
    ("runtime:\n  workers: -1\n",
     ["F:2:12: runtime.workers: -1 is out of range (0..256)"]),
    ("runtime:\n  workers: many\n",
     ["F:2:12: runtime.workers: not an integer: \"many\""]),
    ("admin:\n  allow_remote: yes\n",
     ["F:2:17: admin.allow_remote: expected true or false, found \"yes\""]),
    ("admin: [1, 2]\n",
     ["F:1:8: admin: expected a map of settings, found a list"]),
    ("admin:\n  listen: 127.0.0.1:1\n  listen: 127.0.0.1:2\n",
     ["F:3:3: admin.listen: duplicate key \"listen\""]),
    ("admin:\n  listen: [127.0.0.1:1\n",
     ["F:3:1: end of sequence flow not found"]),
    ("adminn:\n  listen: 127.0.0.1:1\n",
     ["F:1:1: adminn: unknown setting \"adminn\" (did you mean \"admin\"?)"]),
    # Several errors in one file are all reported, in file order.
    ("admin:\n  listen: nowhere\nlog:\n  level: loud\nruntime:\n  grace: -3s\n",
     ["F:2:11: admin.listen: missing port in \"nowhere\" (write host:port)",
      "F:4:10: log.level: unknown value \"loud\" (expected one of: trace, debug, info, warn, error, off)",
      "F:6:10: runtime.grace: negative duration \"-3s\""]),
]


@pytest.mark.parametrize("text,expected", BROKEN, ids=[f"broken{i}" for i in range(len(BROKEN))])
def test_check_reports_each_error_with_its_place(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    r = run_vigie("check", "-c", str(path))
    assert r.returncode == 1, r.stdout + r.stderr
    lines = r.stdout.strip().split("\n")
    want = [e.replace("F:", f"{path}:", 1) for e in expected]
    assert lines[:-1] == want
    n = len(expected)
    assert lines[-1] == f"{n} error{'s' if n > 1 else ''}"


def test_check_accepts_good_and_embedded_configs(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(BASE)
    r = run_vigie("check", "-c", str(path))
    assert r.returncode == 0 and r.stdout == f"{path}: ok\n"
    r = run_vigie("check")
    assert r.returncode == 0 and r.stdout == "<embedded>: ok\n"
    r = run_vigie("check", "--print-default")
    assert "admin:" in r.stdout and "127.0.0.1:9901" in r.stdout


def test_missing_file_is_an_error(tmp_path):
    r = run_vigie("check", "-c", str(tmp_path / "nope.yaml"))
    assert r.returncode == 1
    assert f"{tmp_path}/nope.yaml: cannot open: No such file or directory" in r.stdout


def test_every_subcommand_has_help():
    r = run_vigie("--help")
    assert r.returncode == 0
    for cmd in ["serve", "check", "reload", "version"]:
        assert cmd in r.stdout
        h = run_vigie(cmd, "--help")
        assert h.returncode == 0 and "Usage:" in h.stdout and len(h.stdout) > 80, cmd
    assert run_vigie("frobnicate").returncode != 0
    v = run_vigie("version")
    assert v.returncode == 0 and v.stdout.startswith("vigie ")


def test_admin_endpoint_serves_health_status_metrics(serve):
    s = serve(BASE)
    status, body, _ = s.http("GET", "/healthz")
    assert (status, body) == (200, "ok\n")
    status, body, headers = s.http("GET", "/status")
    assert status == 200 and headers["Content-Type"] == "application/json"
    st = json.loads(body)
    assert st["version"] and st["uptime_seconds"] >= 0
    assert st["config"]["path"] == str(s.config_path)
    assert len(st["config"]["sha256"]) == 64
    assert st["workers"] == 2 and st["state"] == "running"
    assert st["components"] == {}
    status, body, _ = s.http("GET", "/nope")
    assert status == 404
    status, body, _ = s.http("GET", "/reload")
    assert status == 405


def test_admin_binds_loopback_by_default(serve):
    s = serve(BASE)
    host, _ = s.admin
    assert host == "127.0.0.1"


def test_metrics_pass_promtool(serve):
    s = serve(BASE)
    s.http("GET", "/healthz")
    status, body, headers = s.http("GET", "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "vigie_admin_requests_total" in body
    r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_oversized_headers_get_431(serve):
    s = serve(BASE)
    status, _, _ = s.http("GET", "/healthz", headers={"X-Big": "a" * 20000})
    assert status == 431
    # The endpoint still serves others.
    assert s.http("GET", "/healthz")[0] == 200


def test_garbage_request_does_not_hurt(serve):
    s = serve(BASE)
    c = connect(*s.admin)
    c.sendall(b"\x00\x01\x02 garbage garbage\r\n\r\n")
    data = c.recv(4096)
    assert data.startswith(b"HTTP/1.1 400")
    c.close()
    assert s.http("GET", "/healthz")[0] == 200


def test_a_web_page_cannot_reach_the_admin_endpoint(serve):
    """DNS rebinding and cross-site writes: a page from evil.example that
    re-points its name at 127.0.0.1 sends `Host: evil.example`; a page that
    POSTs /reload through the operator's browser sends its Origin and
    `Sec-Fetch-Site: cross-site`. All are refused with 403 and change
    nothing; curl and `vigie reload` (neither header) still work."""
    s = serve(BASE)
    host, port = s.admin
    status, body, _ = s.http("GET", "/status", headers={"Host": f"evil.example:{port}"})
    assert status == 403 and "Host" in body, (status, body)
    assert s.http("GET", "/healthz", headers={"Host": f"localhost:{port}"})[0] == 200
    assert s.http("GET", "/healthz", headers={"Host": f"127.0.0.1:{port}"})[0] == 200
    before = _hash(s)
    s.config_path.write_text(BASE + "# changed\n")
    status, body, _ = s.http("POST", "/reload", headers={"Origin": "http://evil.example"})
    assert status == 403 and "evil.example" in body, (status, body)
    status, _, _ = s.http("POST", "/reload", headers={"Sec-Fetch-Site": "cross-site"})
    assert status == 403
    assert _hash(s) == before
    assert "vigie_admin_rejected_total 3" in s.http("GET", "/metrics")[1]
    # A page on localhost (riemann-dash, a local dashboard) is trusted.
    status, _, _ = s.http("POST", "/reload", headers={"Origin": f"http://localhost:{port}"})
    assert status == 200
    assert _hash(s) != before
    r = run_vigie("reload", "--admin", f"{host}:{port}")
    assert r.returncode == 0, r.stderr


def test_admin_allowed_hosts_and_origins_are_configurable(serve):
    s = serve(BASE.replace("  listen: 127.0.0.1:0\n", "  listen: 127.0.0.1:0\n"
                           "  allowed_hosts: [mon.example]\n"
                           "  allowed_origins: [\"https://dash.example\"]\n"))
    _, port = s.admin
    assert s.http("GET", "/healthz", headers={"Host": f"mon.example:{port}"})[0] == 200
    assert s.http("GET", "/healthz", headers={"Host": f"other.example:{port}"})[0] == 403
    s.config_path.write_text(s.config_path.read_text() + "# changed\n")
    assert s.http("POST", "/reload", headers={"Origin": "https://dash.example"})[0] == 200
    assert s.http("POST", "/reload", headers={"Origin": "https://evil.example"})[0] == 403


def _hash(s):
    return json.loads(s.http("GET", "/status")[1])["config"]["sha256"]


def test_failed_reload_keeps_the_running_config(serve):
    s = serve(BASE)
    host, port = s.admin
    before = _hash(s)
    s.config_path.write_text(BASE + "log:\n  level: loud\n")
    r = run_vigie("reload", "--admin", f"{host}:{port}")
    assert r.returncode == 1
    # Both the duplicate key and nothing else: the whole file is validated.
    assert f"{s.config_path}:8:1: log: duplicate key \"log\"" in r.stderr
    assert s.http("GET", "/healthz")[0] == 200
    assert _hash(s) == before
    wait_for(lambda: s.log_contains("reload refused, still running the previous config"),
             what="the refusal in the log")
    metrics = s.http("GET", "/metrics")[1]
    assert "vigie_reload_failures_total 1" in metrics

    # A valid change is applied.
    s.config_path.write_text(BASE.replace("level: info", "level: debug"))
    r = run_vigie("reload", "--admin", f"{host}:{port}")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"reloaded {s.config_path}")
    assert _hash(s) != before
    assert "vigie_reloads_total 1" in s.http("GET", "/metrics")[1]


def test_sighup_with_broken_config_keeps_serving(serve):
    s = serve(BASE)
    before = _hash(s)
    s.config_path.write_text("admin: [\n")
    s.signal(signal.SIGHUP)
    wait_for(lambda: s.log_contains("reload refused"), what="reload refusal in the log")
    assert s.proc.poll() is None
    assert s.http("GET", "/healthz")[0] == 200
    assert _hash(s) == before
    # And a good file on the next SIGHUP is taken.
    s.config_path.write_text(BASE + "# changed\n")
    s.signal(signal.SIGHUP)
    wait_for(lambda: _hash(s) != before, what="config hash to change after SIGHUP")


def test_sighup_the_moment_ready_is_printed_reloads(serve):
    """A script that signals as soon as it reads "ready" (systemd's
    ExecReload, a test harness) gets a reload: the handlers are installed
    before "ready" is printed, so SIGHUP never meets its default action
    (terminate)."""
    s = serve(BASE + "# first\n")
    before = _hash(s)
    s.config_path.write_text(BASE + "# second\n")
    s.signal(signal.SIGHUP)  # right after the harness read "ready"
    wait_for(lambda: _hash(s) != before, what="config hash to change after SIGHUP")
    assert s.proc.poll() is None


def test_reload_finds_admin_from_config_file(serve, tmp_path):
    s = serve(BASE)
    host, port = s.admin
    other = tmp_path / "other.yaml"
    other.write_text(f"admin:\n  listen: {host}:{port}\n")
    r = run_vigie("reload", "-c", str(other))
    assert r.returncode == 0, r.stderr


def test_reload_reports_unreachable_admin():
    r = run_vigie("reload", "--admin", "127.0.0.1:1")
    assert r.returncode == 2
    assert "admin endpoint 127.0.0.1:1" in r.stderr


def test_sigterm_lets_an_in_flight_request_finish(serve):
    s = serve(BASE)
    host, port = s.admin
    c = connect(host, port)
    # Half a request: the server has started receiving it.
    c.sendall(b"GET /status HTTP/1.1\r\nHost: localhost\r\n")
    # Let the bytes reach the server before the signal. This orders two
    # events; it is not a readiness wait.
    time.sleep(0.2)
    s.signal(signal.SIGTERM)
    wait_for(lambda: port_refuses(host, port), what="listener to close after SIGTERM")
    assert s.proc.poll() is None, "vigie exited with a request in flight"
    c.sendall(b"\r\n")
    data = b""
    while b"\r\n\r\n" not in data or len(data) < 100:
        chunk = c.recv(65536)
        if not chunk:
            break
        data += chunk
    assert data.startswith(b"HTTP/1.1 200"), data[:200]
    assert b'"state": "stopping"' in data
    c.close()
    assert s.wait_exit(10) == 0
    assert s.log_contains("drained")


def test_sigterm_closes_idle_keepalive_connections_promptly(serve):
    s = serve(BASE)
    host, port = s.admin
    c = connect(host, port)
    c.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert c.recv(4096).startswith(b"HTTP/1.1 200")
    start = time.monotonic()
    s.signal(signal.SIGTERM)
    assert s.wait_exit(10) == 0
    assert time.monotonic() - start < 4, "an idle keep-alive connection held up the drain"
    c.close()


def test_json_logs_on_request(serve):
    s = serve(BASE.replace("level: info", "level: info\n  format: json"))
    wait_for(lambda: s.log_contains("serving"), what="the start-up log line")
    line = next(l for l in s.stderr_lines if "serving" in l)
    rec = json.loads(line)
    assert rec["level"] == "info" and rec["component"] == "serve" and "serving" in rec["msg"]


def test_port_in_use_fails_start_with_clear_error(tmp_path):
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    port = blocker.getsockname()[1]
    path = tmp_path / "v.yaml"
    path.write_text(f"admin:\n  listen: 127.0.0.1:{port}\n")
    r = run_vigie("serve", "-c", str(path), timeout=20)
    blocker.close()
    assert r.returncode == 1
    assert f"bind 127.0.0.1:{port}: Address already in use" in r.stderr


def test_a_reload_is_all_or_nothing_across_components(serve):
    """A reload that one component refuses changes nothing in the others:
    egress's new port, bound while it prepared, is closed again; /status
    keeps the running config's hash. (Before, egress committed its new line
    and kept serving it while lb refused: "reload partly failed".)"""
    kept, added = free_port(), free_port()
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    taken_port = taken.getsockname()[1]

    def config(egress_lines, lb_binds):
        lines = "\n".join(f"      {p} tcp 127.0.0.1 9" for p in egress_lines)
        binds = ", ".join(f'"127.0.0.1:{b}"' for b in lb_binds)
        return BASE + f"""egress:
  redirect:
    health_check: {{enabled: false}}
    destination: |
{lines}
lb:
  frontends:
    - name: api
      binds: [{binds}]
      backend: masters
      timeouts: {{client: 10s}}
  backends:
    - name: masters
      timeouts: {{connect: 1s, server: 10s}}
      servers:
        - {{name: m1, address: "127.0.0.1:9"}}
"""
    s = serve(config([kept], [0]))
    host, port = s.admin
    before = _hash(s)
    assert not port_refuses("127.0.0.1", kept)
    assert port_refuses("127.0.0.1", added)

    s.config_path.write_text(config([kept, added], [0, taken_port]))
    r = run_vigie("reload", "--admin", f"{host}:{port}")
    assert r.returncode == 1
    assert "lb: " in r.stderr and f"127.0.0.1:{taken_port}" in r.stderr, r.stderr
    assert port_refuses("127.0.0.1", added), "egress kept the port of a refused reload"
    assert not port_refuses("127.0.0.1", kept)
    assert _hash(s) == before
    status = json.loads(s.http("GET", "/status")[1])
    assert not any(str(added) in l for l in status["components"]["egress"]["listeners"]), status

    # The same change without the taken port is taken whole.
    taken.close()
    s.config_path.write_text(config([kept, added], [0]))
    r = run_vigie("reload", "--admin", f"{host}:{port}")
    assert r.returncode == 0, r.stderr
    assert not port_refuses("127.0.0.1", added)
    assert _hash(s) != before


def test_sighup_while_draining_is_logged_and_ignored(serve):
    s = serve(BASE)
    host, port = s.admin
    c = connect(host, port)
    c.sendall(b"GET /status HTTP/1.1\r\nHost: localhost\r\n")  # keeps the drain open
    time.sleep(0.2)  # orders the bytes before the signal; not a readiness wait
    s.signal(signal.SIGTERM)
    wait_for(lambda: s.log_contains("draining for up to"), what="the drain")
    s.config_path.write_text(BASE + "# changed during the drain\n")
    s.signal(signal.SIGHUP)
    wait_for(lambda: s.log_contains("SIGHUP while draining: ignored"), what="the SIGHUP logged")
    c.sendall(b"\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(65536)
        if not chunk:
            break
        data += chunk
    c.close()
    assert data.startswith(b"HTTP/1.1 200"), data[:200]
    assert s.wait_exit(10) == 0
    assert not s.log_contains("SIGHUP: reloading")


class FakeSystemd:
    """The service manager's end of sd_notify: a datagram socket whose path
    goes to vigie in $NOTIFY_SOCKET."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.05)
        self.messages = []

    def poll(self):
        try:
            while True:
                self.messages.append(self.sock.recv(4096).decode())
        except (socket.timeout, BlockingIOError):
            pass
        return self.messages

    def saw(self, prefix, after=0):
        return any(m.startswith(prefix) for m in self.poll()[after:])


def test_type_notify_ready_reloading_stopping_and_watchdog(tmp_path):
    """What a Type=notify unit with WatchdogSec= expects: READY=1 once the
    listeners are bound, RELOADING=1 then READY=1 around a reload, WATCHDOG=1
    within every interval, STOPPING=1 at the drain."""
    manager = FakeSystemd(tmp_path / "notify")
    config = tmp_path / "vigie.yaml"
    config.write_text(BASE)
    env = dict(os.environ, NOTIFY_SOCKET=str(tmp_path / "notify"), WATCHDOG_USEC="400000")
    s = Served(["serve", "-c", str(config)], env=env).wait_ready()
    try:
        wait_for(lambda: manager.saw("READY=1"), what="READY=1")
        ready = next(m for m in manager.messages if m.startswith("READY=1"))
        assert f"MAINPID={s.proc.pid}" in ready and f"STATUS=serving {config}" in ready, ready
        # Keep-alives at half the interval: several within a second.
        n = len(manager.messages)
        time.sleep(1.0)  # counts what arrives over a span; not a readiness wait
        beats = [m for m in manager.poll()[n:] if m == "WATCHDOG=1"]
        assert 3 <= len(beats) <= 8, manager.messages

        n = len(manager.poll())
        config.write_text(BASE + "# changed\n")
        s.signal(signal.SIGHUP)
        wait_for(lambda: manager.saw("READY=1", after=n), what="READY=1 after the reload")
        after = [m for m in manager.messages[n:] if m != "WATCHDOG=1"]
        assert after[0] == "RELOADING=1", after
        assert after[1].startswith("READY=1\nSTATUS=serving"), after

        n = len(manager.poll())
        config.write_text("admin: [\n")
        s.signal(signal.SIGHUP)
        wait_for(lambda: manager.saw("READY=1", after=n), what="READY=1 after a refused reload")
        refused = [m for m in manager.messages[n:] if m.startswith("READY=1")][0]
        assert "STATUS=reload refused, serving the previous config" in refused, refused

        n = len(manager.poll())
        s.signal(signal.SIGTERM)
        wait_for(lambda: manager.saw("STOPPING=1", after=n), what="STOPPING=1")
        assert s.wait_exit(10) == 0
    finally:
        s.stop()


def test_the_shipped_systemd_unit_is_hardened():
    """packaging/vigie.service as systemd itself scores it: exposure 'OK'
    (at most 2.0; docs/reliability.md records the figure)."""
    unit = Path(__file__).resolve().parents[2] / "packaging" / "vigie.service"
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", str(unit)],
                       capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for vigie.service: (\d+\.\d+) (\w+)", r.stdout)
    assert m, r.stdout + r.stderr
    assert float(m.group(1)) <= 2.0 and m.group(2) == "OK", m.group(0)
    verify = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                            capture_output=True, text=True, timeout=60)
    # verify checks every directive is known and well-formed; ExecStart's
    # binary need not exist on the test machine.
    problems = [l for l in verify.stderr.splitlines()
                if "vigie.service" in l and "/usr/bin/vigie" not in l]
    assert not problems, verify.stderr
