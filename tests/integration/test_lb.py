# ctest-labels: peer
"""vigie lb end to end: the seed's haproxy.cfg on loopback, the stats socket
read with Python's csv module, runtime state changes, health checks (TCP,
TLS) and the failure cases an operator of haproxy knows."""
import csv
import fcntl
import importlib.machinery
import importlib.util
import io
import os
import pathlib
import pty
import resource
import shutil
import re
import signal
import socket
import ssl
import stat
import select
import struct
import subprocess
import tempfile
import termios
import urllib.request
import threading
import time
import warnings

import pytest

from vigie_harness import Served, free_port, run_vigie, trickle_until_closed, wait_for

HERE = os.path.dirname(__file__)
SEED = os.path.join(HERE, "..", "..", "src", "lb", "haproxy_cfg", "testdata",
                    "seed_kubespray_article.cfg")
BACKEND = "kubernetes-apiserver-https"


def listen_cfg(tmp_path, port, server_line):
    """A minimal TCP `listen api` on 127.0.0.1:port with one server line."""
    path = tmp_path / "haproxy.cfg"
    path.write_text(f"""defaults
  mode tcp
  timeout connect 2s
  timeout client 10s
  timeout server 10s
listen api
  bind 127.0.0.1:{port}
  {server_line}
""")
    return path


def plain_cfg(tmp_path, port, servers, extra="", name="api", bind_options="", global_extra=""):
    """A TCP `listen NAME` on 127.0.0.1:port (with `bind_options`), `extra`
    lines, then `servers`, and an admin stats socket at tmp_path/admin.sock
    (plus `global_extra` lines in `global`)."""
    path = tmp_path / "haproxy.cfg"
    path.write_text(f"""global
  stats socket {tmp_path}/admin.sock mode 600 level admin
{global_extra}defaults
  mode tcp
  timeout connect 2s
  timeout client 10s
  timeout server 10s
listen {name}
  bind 127.0.0.1:{port}{bind_options}
{extra}{servers}
""")
    return path


@pytest.fixture(scope="module")
def cert(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    key, crt = d / "key.pem", d / "crt.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=apiserver", "-keyout", str(key), "-out", str(crt)],
                   check=True, capture_output=True)
    return str(crt), str(key)


class Backend:
    """A loopback server standing in for a kube-apiserver.

    mode "serve": (TLS if a cert is given) sends its name and a newline, then
    echoes until the client closes. "close": accepts TCP and closes at once
    (a port that is open but speaks no TLS). "hang": never accepts, with a
    full backlog, so connects time out.
    """

    def __init__(self, name, cert=None, mode="serve"):
        self.name = name
        self.mode = mode
        self.accepted = 0
        self.first_bytes = []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.ctx = None
        if cert:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(*cert)
        self.stopped = False
        self.fillers = []
        if mode == "hang":
            self.sock.listen(0)
            # Fill the accept queue so further SYNs are dropped.
            for _ in range(3):
                c = socket.socket()
                c.setblocking(False)
                try:
                    c.connect(("127.0.0.1", self.port))
                except BlockingIOError:
                    pass
                self.fillers.append(c)
        else:
            self.sock.listen(128)
            threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            conn.settimeout(10)
            if self.mode == "close":
                conn.close()
                return
            if self.ctx:
                try:
                    conn = self.ctx.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    conn.close()
                    return
            conn.sendall(self.name.encode() + b"\n")
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                with self.lock:
                    if len(self.first_bytes) < 100:
                        self.first_bytes.append(data)
                conn.sendall(data)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self):
        self.stopped = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        for c in self.fillers:
            c.close()


def seed_cfg(tmp_path, backends, port, extra_global="", server_opts=None, listen_extra=""):
    """The seed's haproxy.cfg with addresses rewritten to loopback, nothing else."""
    text = open(SEED, encoding="utf-8").read()
    text = text.replace("0.0.0.0:6443", f"127.0.0.1:{port}")
    for i, b in enumerate(backends):
        text = text.replace(f"10.42.253.1{i}:6443", f"127.0.0.1:{b.port}")
    text = text.replace("/run/haproxy/admin.sock", str(tmp_path / "admin.sock"))
    if server_opts:
        text = text.replace("inter 10s", server_opts)
    if listen_extra:
        # The seed is indented with U+00A0: match the keyword, not the blanks.
        text = text.replace("balance roundrobin", "balance roundrobin\n" + listen_extra)
    text = text.replace("global\n", "global\n" + extra_global, 1)
    # The seed runs as `user haproxy` once bound (as haproxy does), so a
    # reload reads the file as that user: it lives where that user can read
    # it, as /etc/haproxy/haproxy.cfg does (pytest's tmp_path is root-only).
    readable = tempfile.mkdtemp(prefix="vigie-seed-")
    SEED_DIRS.append(readable)
    os.chmod(readable, 0o755)
    path = pathlib.Path(readable) / "haproxy.cfg"
    path.write_text(text)
    os.chmod(path, 0o644)
    return path


SEED_DIRS = []


@pytest.fixture(autouse=True)
def remove_seed_dirs():
    yield
    while SEED_DIRS:
        shutil.rmtree(SEED_DIRS.pop(), ignore_errors=True)


def start_lb(path, workers=2):
    s = Served(["lb", "-f", str(path), "--admin", "127.0.0.1:0", "-j", str(workers)])
    return s.wait_ready()


def cli(sock_path, command, timeout=5):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(str(sock_path))
    s.sendall(command.encode() + b"\n")
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out.decode()


def show_stat(sock_path):
    text = cli(sock_path, "show stat")
    assert text.startswith("# pxname,svname,")
    rows = list(csv.DictReader(io.StringIO(text[2:].strip("\n"))))
    return {(r["pxname"], r["svname"]): r for r in rows}


def fetch(port, tls=True, timeout=5):
    """One client connection; returns the backend's name."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            conn = ctx.wrap_socket(raw)
        else:
            conn = raw
        data = b""
        while not data.endswith(b"\n"):
            d = conn.recv(100)
            if not d:
                break
            data += d
        conn.close()
        return data.decode().strip()
    finally:
        raw.close()


def lb_port(served):
    return int(served.listeners[f"lb.{BACKEND}.0"].rsplit(":", 1)[1])


def metric(served, name, **labels):
    _, body, _ = served.http("GET", "/metrics")
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in body.splitlines():
        if line.startswith(name + "{" + want + "}") or (not labels and line.startswith(name + " ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.fixture
def backends(cert):
    started = []

    def make(n=3, mode="serve", tls=True):
        out = [Backend(f"master{i + 1}", cert if tls else None, mode) for i in range(n)]
        started.extend(out)
        return out

    yield make
    for b in started:
        b.stop()


@pytest.fixture
def lb():
    started = []

    def start(path, workers=2):
        s = start_lb(path, workers)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def test_seed_cfg_runs_unchanged_and_spreads(tmp_path, backends, lb):
    bs = backends()
    port = free_port()
    path = seed_cfg(tmp_path, bs, port)
    served = lb(path)
    # The reader's diagnostics name file:line (ignored directives, ...). They
    # go to stderr, read by another thread than the one that saw `ready:`.
    wait_for(lambda: served.log_contains(f"{path}:4: ignored") or any(
        re.search(r"haproxy\.cfg:\d+: ignored: ", l) for l in served.stderr_lines),
        what="file:line diagnostics on stderr")
    assert lb_port(served) == port
    names = [fetch(port) for _ in range(30)]
    assert sorted(set(names)) == ["master1", "master2", "master3"]
    for n in ("master1", "master2", "master3"):
        assert names.count(n) == 10, names
    sock = tmp_path / "admin.sock"
    assert stat.S_IMODE(os.stat(sock).st_mode) == 0o660
    rows = show_stat(sock)
    assert rows[(BACKEND, "FRONTEND")]["status"] == "OPEN"
    assert int(rows[(BACKEND, "FRONTEND")]["stot"]) == 30
    for n in ("master1", "master2", "master3"):
        assert int(rows[(BACKEND, n)]["stot"]) == 10
        assert rows[(BACKEND, n)]["addr"].startswith("127.0.0.1:")
    # check-ssl (TLS handshake) against TLS backends passes: L6OK.
    wait_for(lambda: all(show_stat(sock)[(BACKEND, n)]["check_status"] == "L6OK"
                         for n in ("master1",)), timeout=15, what="first TLS check")
    assert int(rows[(BACKEND, "BACKEND")]["stot"]) == 30
    info = cli(sock, "show info")
    assert "Nbthread: 2" in info
    # /metrics carries the same counters.
    assert metric(served, "vigie_lb_server_connections_total", backend=BACKEND,
                  server="master2") == 10


def test_disable_drain_maint_take_effect(tmp_path, backends, lb):
    bs = backends()
    port = free_port()
    path = seed_cfg(tmp_path, bs, port)
    served = lb(path)
    sock = tmp_path / "admin.sock"
    assert cli(sock, f"disable server {BACKEND}/master1") == "\n"
    assert cli(sock, f"set server {BACKEND}/master2 state drain") == "\n"
    names = [fetch(port) for _ in range(12)]
    assert set(names) == {"master3"}, names
    rows = show_stat(sock)
    assert rows[(BACKEND, "master1")]["status"] == "MAINT"
    assert rows[(BACKEND, "master2")]["status"].startswith("DRAIN")
    assert cli(sock, f"enable server {BACKEND}/master1") == "\n"
    assert cli(sock, f"set server {BACKEND}/master2 state ready") == "\n"
    assert cli(sock, f"set server {BACKEND}/master3 state maint") == "\n"
    names = [fetch(port) for _ in range(12)]
    assert set(names) == {"master1", "master2"}, names
    # set weight: master1 at 3, master2 at 1 -> 3:1.
    cli(sock, f"set server {BACKEND}/master3 state ready")
    assert cli(sock, f"set weight {BACKEND}/master1 3") == "\n"
    assert cli(sock, f"get weight {BACKEND}/master1").startswith("3 (initial 1)")
    names = [fetch(port) for _ in range(25)]
    assert names.count("master1") == 15, names
    # Errors in haproxy's words.
    assert cli(sock, f"disable server {BACKEND}/nope") == "No such server.\n\n"
    # `vigie lb status` explains states.
    host, aport = served.admin
    r = run_vigie("lb", "status", "--admin", f"{host}:{aport}")
    assert r.returncode == 0, r.stderr
    assert f"backend {BACKEND}" in r.stdout and "master1" in r.stdout


def test_prompt_mode_and_garbage_on_stats_socket(tmp_path, backends, lb):
    bs = backends()
    port = free_port()
    served = lb(seed_cfg(tmp_path, bs, port))
    sock = tmp_path / "admin.sock"
    # Interactive session: prompt, two commands, quit.
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(str(sock))
    s.sendall(b"prompt\n")
    assert s.recv(100) == b"\n> "
    s.sendall(b"show stat -1 4 -1\n")
    buf = b""
    while not buf.endswith(b"\n> "):
        buf += s.recv(65536)
    assert buf.count(b"\n" + BACKEND.encode() + b",master") == 3
    s.sendall(b"quit\n")
    assert s.recv(100) == b""
    s.close()
    # Garbage: binary junk gets an error reply and a close.
    reply = cli(sock, "\x00\xff\x01garbage;;;\x7f")
    assert "Unknown command" in reply
    # An endless line without newline is cut off, not buffered forever.
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(str(sock))
    try:
        s.sendall(b"x" * 100000)
        # Closed with unread input: a FIN or a reset, never an answer.
        assert s.recv(100) == b""
    except ConnectionResetError:
        pass
    s.close()
    # Still serving.
    assert fetch(port) in {"master1", "master2", "master3"}
    assert "pxname" in cli(sock, "show stat")


def test_check_ssl_marks_down_a_port_that_is_not_tls(tmp_path, backends, lb, cert):
    # master3 accepts TCP and closes: a TCP check passes, check-ssl fails
    # (kubespray#5663).
    good = backends(2)
    bad = backends(1, mode="close", tls=False)[0]
    port = free_port()
    path = seed_cfg(tmp_path, good + [bad], port, server_opts="inter 200ms")
    served = lb(path)
    sock = tmp_path / "admin.sock"
    wait_for(lambda: show_stat(sock)[(BACKEND, "master3")]["status"] == "DOWN", timeout=10,
             what="master3 DOWN")
    row = show_stat(sock)[(BACKEND, "master3")]
    assert row["check_status"] in ("L6RSP", "L6TOUT"), row
    assert served.log_contains(
        f"Health check for server {BACKEND}/master3 failed, reason: Layer6")
    assert served.log_contains(f"Server {BACKEND}/master3 is DOWN.")
    names = [fetch(port) for _ in range(10)]
    assert set(names) == {"master1", "master2"}
    served.stop()
    # The same port under a plain TCP check stays UP.
    path2 = tmp_path / "tcp.cfg"
    path2.write_text(path.read_text().replace(" check-ssl verify none", ""))
    served2 = lb(path2)
    wait_for(lambda: show_stat(sock)[(BACKEND, "master3")]["check_status"] == "L4OK",
             timeout=10, what="TCP check of master3")
    assert show_stat(sock)[(BACKEND, "master3")]["status"] == "UP"
    assert served2.proc.poll() is None


def test_check_sni_and_verifyhost_check_the_certificates_name(tmp_path, backends, lb):
    """`check-ssl verify required` with `check-sni` sends that SNI and wants
    the certificate to name it; without SNI, `verifyhost` names it; with
    neither, only the chain is checked. haproxy 2.6 on the same config
    decides the same UP/DOWN for each server. (vigie ignored both until
    2026-12: a certificate for another name passed.)"""
    from vigie_harness import make_pki
    pki = make_pki(tmp_path / "pki", [("api", "subjectAltName=DNS:api.test")])
    cert = (str(pki / "api.pem"), str(pki / "api.key"))
    bs = backends(5, tls=True)
    sni_seen = {}
    for b in bs:
        b.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        b.ctx.load_cert_chain(*cert)
        b.ctx.sni_callback = lambda sock, name, ctx, b=b: sni_seen.setdefault(b.name, set()).add(name)
    ca = pki / "ca.pem"
    opts = f"check check-ssl verify required ca-file {ca} inter 200ms rise 1 fall 1"
    servers = (f"  server s1 127.0.0.1:{bs[0].port} {opts} check-sni api.test\n"
               f"  server s2 127.0.0.1:{bs[1].port} {opts} check-sni other.test\n"
               f"  server s3 127.0.0.1:{bs[2].port} {opts} verifyhost api.test\n"
               f"  server s4 127.0.0.1:{bs[3].port} {opts} verifyhost wrong.test\n"
               f"  server s5 127.0.0.1:{bs[4].port} {opts}\n")
    expected = {"s1": "UP", "s2": "DOWN", "s3": "UP", "s4": "DOWN", "s5": "UP"}
    port = free_port()
    path = plain_cfg(tmp_path, port, servers)
    lb(path)
    sock = tmp_path / "admin.sock"

    def statuses(sock_path):
        rows = show_stat(sock_path)
        return {sv: rows[("api", sv)]["status"] for sv in expected}
    wait_for(lambda: statuses(sock) == expected, timeout=10,
             what=f"vigie's check results to be {expected}")
    assert sni_seen.get("master1") == {"api.test"}
    assert sni_seen.get("master2") == {"other.test"}
    # No SNI by default (Python calls back with None).
    assert sni_seen.get("master3", {None}) == {None}
    assert sni_seen.get("master5", {None}) == {None}
    # haproxy on the same servers and checks.
    hdir = tmp_path / "haproxy"
    hdir.mkdir()
    hcfg = hdir / "haproxy.cfg"
    hcfg.write_text(path.read_text().replace(str(sock), str(hdir / "stats.sock"))
                    .replace(f"127.0.0.1:{port}", f"127.0.0.1:{free_port()}"))
    peer = subprocess.Popen(["haproxy", "-db", "-f", str(hcfg)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        wait_for(lambda: (hdir / "stats.sock").exists(), what="haproxy's stats socket")
        wait_for(lambda: statuses(hdir / "stats.sock") == expected, timeout=10,
                 what=f"haproxy's check results to be {expected}")
    finally:
        peer.terminate()
        peer.wait(10)


class HealthzServer:
    """An HTTPS server answering GET /healthz with a given status, as a
    kube-apiserver does (200 "ok", or 500 while it is not ready)."""

    def __init__(self, cert, status):
        import http.server
        outer = self
        self.status = status
        self.paths = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.paths.append((self.command, self.path))
                body = b"ok" if outer.status == 200 else b"not ready"
                self.send_response(outer.status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*cert)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_httpchk_over_tls_follows_healthz(tmp_path, lb, cert):
    """option httpchk GET /healthz + http-check expect status 200 over
    check-ssl, against HTTPS servers: 200 is UP (L7OK), 500 is DOWN (L7STS),
    and a server that recovers comes back after `rise` checks."""
    good, sick = HealthzServer(cert, 200), HealthzServer(cert, 500)
    try:
        port = free_port()
        path = plain_cfg(tmp_path, port,
                         f"  server good 127.0.0.1:{good.port}\n"
                         f"  server sick 127.0.0.1:{sick.port}\n",
                         extra="  option httpchk GET /healthz\n"
                               "  http-check expect status 200\n"
                               "  default-server inter 200ms rise 2 fall 2 check check-ssl"
                               " verify none\n",
                         name="kube-apiserver")
        lb(path)
        sock = tmp_path / "admin.sock"
        wait_for(lambda: show_stat(sock)[("kube-apiserver", "sick")]["status"] == "DOWN",
                 timeout=10, what="sick DOWN")
        rows = show_stat(sock)
        assert rows[("kube-apiserver", "sick")]["check_status"] == "L7STS", rows
        assert rows[("kube-apiserver", "sick")]["check_code"] == "500"
        assert rows[("kube-apiserver", "good")]["status"] == "UP"
        assert rows[("kube-apiserver", "good")]["check_status"] == "L7OK"
        assert ("GET", "/healthz") in good.paths
        sick.status = 200
        wait_for(lambda: show_stat(sock)[("kube-apiserver", "sick")]["status"] == "UP",
                 timeout=10, what="sick UP again")
    finally:
        good.stop()
        sick.stop()


def test_backend_killed_under_load(tmp_path, backends, lb):
    bs = backends()
    port = free_port()
    served = lb(seed_cfg(tmp_path, bs, port, server_opts="inter 100ms fall 1 rise 1",
                         listen_extra="  option redispatch\n"))
    sock = tmp_path / "admin.sock"
    wait_for(lambda: show_stat(sock)[(BACKEND, "master1")]["check_status"] == "L6OK",
             what="checks")
    results = []
    stop = threading.Event()

    def load():
        while not stop.is_set():
            try:
                results.append(fetch(port, timeout=3))
            except OSError as e:
                results.append("error: " + str(e))

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    wait_for(lambda: len(results) > 40, what="load")
    bs[0].stop()
    wait_for(lambda: show_stat(sock)[(BACKEND, "master1")]["status"] == "DOWN", timeout=10,
             what="master1 DOWN")
    mark = len(results)
    before = show_stat(sock)[(BACKEND, "master1")]["stot"]
    wait_for(lambda: len(results) > mark + 60, what="more load")
    stop.set()
    for t in threads:
        t.join()
    # Fetches in flight at `mark` may have connected before detection.
    after = results[mark + len(threads):]
    assert "master1" not in after
    assert all(r in ("master2", "master3") for r in after), [r for r in after if "error" in r][:3]
    assert show_stat(sock)[(BACKEND, "master1")]["stot"] == before
    # Client errors during detection are counted, not hidden.
    errors = [r for r in results if r.startswith("error") or r == ""]
    assert metric(served, "vigie_lb_server_connect_errors_total", backend=BACKEND,
                  server="master1") >= 0
    assert len(errors) <= 8, errors


def test_hung_backend_times_out_connect_and_redispatches(tmp_path, backends, lb):
    good = backends(2)
    hung = backends(1, mode="hang", tls=False)[0]
    port = free_port()
    path = seed_cfg(tmp_path, [hung] + good, port,
                    server_opts="inter 10s", listen_extra="  option redispatch\n  retries 1\n")
    path.write_text(path.read_text().replace("timeout connect 5000", "timeout connect 300"))
    served = lb(path)
    t0 = time.monotonic()
    names = [fetch(port, timeout=10) for _ in range(3)]
    elapsed = time.monotonic() - t0
    # The connection sent to the hung server was redispatched after 300ms
    # (the two good backends call themselves master1 and master2).
    assert set(names) <= {good[0].name, good[1].name} and len(names) == 3, names
    assert elapsed >= 0.3
    assert metric(served, "vigie_lb_server_connect_errors_total", backend=BACKEND,
                  server="master1") >= 1
    assert metric(served, "vigie_lb_server_redispatches_total", backend=BACKEND,
                  server="master1") >= 1


def test_all_backends_down_closes_cleanly(tmp_path, backends, lb):
    bs = backends()
    port = free_port()
    path = seed_cfg(tmp_path, bs, port, server_opts="inter 100ms")
    for b in bs:
        b.stop()
    served = lb(path)
    sock = tmp_path / "admin.sock"
    wait_for(lambda: show_stat(sock)[(BACKEND, "BACKEND")]["status"] == "DOWN", timeout=10,
             what="backend DOWN")
    wait_for(lambda: served.log_contains(f"proxy {BACKEND} has no server available!"),
             what="no server log line")
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    assert c.recv(10) == b""  # closed, not hung
    c.close()
    wait_for(lambda: metric(served, "vigie_lb_backend_no_server_total", backend=BACKEND) >= 1,
             what="no-server counter")


class ClientLoad:
    """Four client threads fetching through `port` in a loop; each result is
    a backend name or "error: ..."."""

    def __init__(self, port, threads=4):
        self.results = []
        self._stop = threading.Event()

        def run():
            while not self._stop.is_set():
                try:
                    self.results.append(fetch(port, timeout=5))
                except OSError as e:
                    self.results.append("error: " + str(e))

        self._threads = [threading.Thread(target=run) for _ in range(threads)]
        for t in self._threads:
            t.start()

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join()


def test_reload_under_load_drops_nothing(tmp_path, backends, lb):
    bs = backends(4)
    port = free_port()
    path = seed_cfg(tmp_path, bs[:3], port)
    served = lb(path)
    load = ClientLoad(port)
    results = load.results
    wait_for(lambda: len(results) > 30, what="load")
    # Add a fourth server, reload three times while the load runs.
    text = path.read_text()
    text = text.replace("balance roundrobin",
                        "balance roundrobin\n"
                        f"  server master4 127.0.0.1:{bs[3].port} check check-ssl verify none\n")
    path.write_text(text)
    for _ in range(3):
        mark = len(results)
        served.signal(signal.SIGHUP)
        wait_for(lambda: len(results) > mark + 20, what="load after reload")
    load.stop()
    errors = [r for r in results if not r.startswith("master")]
    assert errors == []
    assert "master4" in results
    assert lb_port(served) == port
    assert served.log_contains("reloaded")


def test_binary_upgrade_takes_listeners_over_without_dropping(tmp_path, backends, lb):
    """haproxy's `-x SOCKET -sf PID` with the seed's `expose-fd listeners`:
    the new process adopts the listening sockets (2 workers' worth, with 1
    worker of its own), the old one drains and exits, no client sees an
    error and the stats socket file survives the old process."""
    bs = backends(3)
    port = free_port()
    path = seed_cfg(tmp_path, bs, port)
    old = lb(path, workers=2)
    sock = tmp_path / "admin.sock"
    load = ClientLoad(port)
    results = load.results
    try:
        wait_for(lambda: len(results) > 30, what="load")
        new = Served(["lb", "-f", str(path), "--admin", "127.0.0.1:0", "-j", "1",
                      "-x", str(sock), "-sf", str(old.proc.pid)])
        try:
            new.wait_ready()
            assert old.wait_exit(30) == 0
            # The two workers share one lb socket (one accept queue), plus
            # the old admin endpoint.
            assert new.log_contains("took 2 listening sockets over")
            assert old.log_contains("handed 2 listening sockets over")
            assert new.log_contains("closed 1 inherited listening sockets")  # admin port 0
            mark = len(results)
            wait_for(lambda: len(results) > mark + 30, what="load served by the new process")
            load.stop()
            errors = [r for r in results if not r.startswith("master")]
            assert errors == [], errors[:5]
            assert lb_port(new) == port
            assert sock.exists()
            assert show_stat(sock)[(BACKEND, "master1")]["status"] == "UP"
        finally:
            new.stop()
    finally:
        load.stop()


def test_takeover_refused_without_expose_fd(tmp_path, backends, lb):
    bs = backends(1)
    port = free_port()
    path = seed_cfg(tmp_path, bs, port)
    path.write_text(path.read_text().replace(" expose-fd listeners", ""))
    old = lb(path)
    new = Served(["lb", "-f", str(path), "--admin", "127.0.0.1:0",
                  "-x", str(tmp_path / "admin.sock"), "-sf", str(old.proc.pid)])
    assert new.wait_exit(15) == 1
    assert "expose-fd listeners" in new.stderr()
    # The running process is untouched.
    assert old.proc.poll() is None
    assert fetch(port).startswith("master")


def test_accept_proxy_and_send_proxy(tmp_path, backends, lb):
    bs = backends(1, tls=False)
    port = free_port()
    path = plain_cfg(tmp_path, port, f"  server s1 127.0.0.1:{bs[0].port} send-proxy\n",
                     bind_options=" accept-proxy")
    served = Served(["lb", "-f", str(path), "--admin", "127.0.0.1:0", "-j", "1"]).wait_ready()
    try:
        # A valid v1 header: the server sees our send-proxy line with the
        # original client, then the payload.
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        c.sendall(b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 6443\r\nhello")
        assert c.recv(100).startswith(b"master1")
        wait_for(lambda: bs[0].first_bytes, what="backend bytes")
        got = b"".join(bs[0].first_bytes)
        assert got.startswith(b"PROXY TCP4 192.0.2.7 127.0.0.1 40000 6443\r\n"), got
        c.close()
        # A malformed header: closed at once, counted.
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        c.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert c.recv(100) == b""
        c.close()
        wait_for(lambda: metric(served, "vigie_lb_frontend_proxy_header_errors_total",
                                frontend="api") == 1, what="counter")
        rows = show_stat(tmp_path / "admin.sock")
        assert rows[("api", "FRONTEND")]["ereq"] == "1"
        assert bs[0].accepted == 1
    finally:
        served.stop()


def test_a_flood_of_bad_proxy_headers_writes_few_log_lines(tmp_path, backends, lb):
    """Two hundred connections with a malformed PROXY header: each is closed
    and counted, but the log gets at most a burst of lines per second, and a
    later line says how many were suppressed -- never one line per packet."""
    bs = backends(1, tls=False)
    port = free_port()
    path = plain_cfg(tmp_path, port, f"  server s1 127.0.0.1:{bs[0].port}\n",
                     bind_options=" accept-proxy")
    served = lb(path, workers=1)
    start = time.monotonic()
    for _ in range(200):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
            c.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert c.recv(100) == b""
    wait_for(lambda: metric(served, "vigie_lb_frontend_proxy_header_errors_total",
                            frontend="api") == 200, what="all 200 counted")
    elapsed = time.monotonic() - start
    lines = lambda: [ln for ln in served.stderr_lines if "malformed or missing PROXY" in ln]
    # At most 10 a second (one window more for the edges), and far fewer
    # than one per connection.
    assert len(lines()) <= 10 * (int(elapsed) + 2), (len(lines()), elapsed)
    assert len(lines()) < 200
    time.sleep(1.1)  # a new window: the next line reports what was dropped
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert c.recv(100) == b""
    wait_for(lambda: any("similar lines suppressed" in ln for ln in lines()),
             what="the suppressed count in the log")


def test_a_missing_proxy_header_is_cut_by_its_own_deadline(tmp_path, backends, lb):
    """An accept-proxy bind without `timeout client` (haproxy warns of it):
    a client that connects and sends nothing must not hold the connection
    forever; the PROXY header has its own 5 s deadline."""
    bs = backends(1, tls=False)
    port = free_port()
    path = tmp_path / "haproxy.cfg"
    path.write_text(f"""defaults
  mode tcp
  timeout connect 2s
  timeout server 10s
listen api
  bind 127.0.0.1:{port} accept-proxy
  server s1 127.0.0.1:{bs[0].port}
""")
    lb(path)
    c = socket.create_connection(("127.0.0.1", port), timeout=30)
    start = time.monotonic()
    try:
        assert c.recv(100) == b""  # closed by vigie
    finally:
        c.close()
    waited = time.monotonic() - start
    assert 4 <= waited < 15, waited
    assert bs[0].accepted == 0


def test_send_proxy_v2_names_the_client_and_the_bind(tmp_path, backends, lb):
    """send-proxy-v2 without accept-proxy: the header carries the client's
    address and port and the address and port it connected to."""
    bs = backends(1, tls=False)
    port = free_port()
    path = listen_cfg(tmp_path, port, f"server s1 127.0.0.1:{bs[0].port} send-proxy-v2")
    served = lb(path, workers=1)
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    c.sendall(b"hello")
    assert c.recv(100).startswith(b"master1")
    # The 28-byte header, then the payload (possibly in a second read).
    wait_for(lambda: len(b"".join(bs[0].first_bytes)) >= 28 + len(b"hello"),
             what="backend bytes")
    got = b"".join(bs[0].first_bytes)
    assert got[:12] == b"\r\n\r\n\x00\r\nQUIT\n", got
    assert got[12] == 0x21 and got[13] == 0x11, got  # v2 PROXY, TCP over IPv4
    (length,) = struct.unpack(">H", got[14:16])
    assert length == 12
    src, dst = socket.inet_ntoa(got[16:20]), socket.inet_ntoa(got[20:24])
    sport, dport = struct.unpack(">HH", got[24:28])
    assert (src, sport) == c.getsockname()
    assert (dst, dport) == ("127.0.0.1", port)
    assert got[28:].startswith(b"hello")
    c.close()
    served.stop()


def test_server_names_resolve_through_the_system_resolver(tmp_path, backends, lb):
    """`server m1 localhost:PORT` (from /etc/hosts, nothing leaves the
    machine) as haproxy's default init-addr libc."""
    bs = backends(1, tls=False)
    port = free_port()
    path = listen_cfg(tmp_path, port, f"server m1 localhost:{bs[0].port}")
    served = lb(path, workers=1)
    assert fetch(port, tls=False) == "master1"
    row = show_stat_http(served)
    assert row in ("127.0.0.1:" + str(bs[0].port), "[::1]:" + str(bs[0].port)), row
    served.stop()


def show_stat_http(served):
    """The server address vigie lb status reports for m1."""
    status, body, _ = served.http("GET", "/lb/status")
    assert status == 200, body
    m = re.search(r"m1\s.*?((?:\d+\.){3}\d+:\d+|\[[0-9a-f:]+\]:\d+)", body)
    assert m, body
    return m.group(1)


def test_serve_lb_section_and_import(tmp_path, backends, serve):
    bs = backends(2, tls=False)
    r = run_vigie("lb", "import", SEED)
    assert r.returncode == 0
    assert "lb:\n" in r.stdout and "# diagnostics" in r.stdout
    config = f"""admin:
  listen: 127.0.0.1:0
runtime:
  workers: 2
lb:
  frontends:
    - name: api
      binds: ["127.0.0.1:0", "[::1]:0"]
      backend: masters
      timeouts: {{client: 10s}}
  backends:
    - name: masters
      balance: leastconn
      timeouts: {{connect: 1s, server: 10s}}
      servers:
        - {{name: m1, address: "127.0.0.1:{bs[0].port}", check: {{enabled: true, inter: 200ms}}}}
        - {{name: m2, address: "127.0.0.1:{bs[1].port}", check: {{enabled: true, inter: 200ms}}}}
"""
    served = serve(config)
    v4 = served.listeners["lb.api.0"]
    v6 = served.listeners["lb.api.1"]
    p4 = int(v4.rsplit(":", 1)[1])
    p6 = int(v6.rsplit(":", 1)[1])
    assert fetch(p4, tls=False) in ("master1", "master2")
    c = socket.create_connection(("::1", p6), timeout=5)
    assert c.recv(100).strip() in (b"master1", b"master2")
    c.close()
    _, status, _ = served.http("GET", "/lb/status")
    assert "backend masters (leastconn): 2/2 servers usable" in status


def test_server_maxconn_queues_and_times_out(tmp_path, backends, lb):
    bs = backends(1, tls=False)
    port = free_port()
    served = lb(plain_cfg(tmp_path, port, f"  server s1 127.0.0.1:{bs[0].port} maxconn 1\n",
                          extra="  timeout queue 700ms\n"), workers=2)
    first = socket.create_connection(("127.0.0.1", port), timeout=5)
    assert first.recv(100) == b"master1\n"
    # The second waits in the queue while the first holds the only slot...
    second = socket.create_connection(("127.0.0.1", port), timeout=5)
    wait_for(lambda: show_stat(tmp_path / "admin.sock")[("api", "BACKEND")]["qcur"] == "1",
             what="queued")
    first.close()
    # ...and is served as soon as the slot frees.
    assert second.recv(100) == b"master1\n"
    # A third, while the second holds the slot, gives up after timeout queue.
    third = socket.create_connection(("127.0.0.1", port), timeout=5)
    t0 = time.monotonic()
    assert third.recv(100) == b""
    assert 0.5 < time.monotonic() - t0 < 5
    second.close()
    third.close()
    assert metric(served, "vigie_lb_backend_queue_timeouts_total", backend="api") == 1
    assert int(show_stat(tmp_path / "admin.sock")[("api", "BACKEND")]["qmax"]) == 1


@pytest.mark.parametrize("where", ["global", "listen"])
def test_maxconn_holds_the_next_connection_until_one_ends(tmp_path, backends, lb, where):
    # haproxy stops accepting at maxconn (global, or the frontend's): the
    # next client waits in the kernel's backlog, and is accepted as soon as
    # a connection ends. The accept loop is woken by that end; its
    # fallback re-check is a second later, so a prompt answer shows the wake.
    bs = backends(1, tls=False)
    port = free_port()
    limit = "  maxconn 2\n"
    served = lb(plain_cfg(tmp_path, port, f"  server s1 127.0.0.1:{bs[0].port}\n",
                          extra=limit if where == "listen" else "",
                          global_extra=limit if where == "global" else ""), workers=2)
    held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(2)]
    for c in held:
        assert c.recv(100) == b"master1\n"
    third = socket.create_connection(("127.0.0.1", port), timeout=5)  # the backlog's
    third.settimeout(1.5)
    with pytest.raises(socket.timeout):
        third.recv(100)
    assert metric(served, "vigie_lb_frontend_connections_total", frontend="api") == 2
    held[0].close()
    third.settimeout(5)
    t0 = time.monotonic()
    assert third.recv(100) == b"master1\n"
    assert time.monotonic() - t0 < 0.8
    assert metric(served, "vigie_lb_frontend_connections_total", frontend="api") == 3
    held[1].close()
    third.close()


def test_maxqueue_refuses_past_the_hashed_servers_queue(tmp_path, backends, lb):
    # balance source binds a client to its server; when that server is full
    # the client waits in the server's queue, and past `maxqueue` waiters
    # haproxy refuses the connection (a failed connection, econ) at once.
    bs = backends(1, tls=False)
    port = free_port()
    sock = tmp_path / "admin.sock"
    served = lb(plain_cfg(tmp_path, port,
                          f"  server s1 127.0.0.1:{bs[0].port} maxconn 1 maxqueue 1\n",
                          extra="  balance source\n  timeout queue 10s\n"), workers=2)
    first = socket.create_connection(("127.0.0.1", port), timeout=5)
    assert first.recv(100) == b"master1\n"
    second = socket.create_connection(("127.0.0.1", port), timeout=5)
    wait_for(lambda: show_stat(sock)[("api", "s1")]["qcur"] == "1", what="queued on s1")
    third = socket.create_connection(("127.0.0.1", port), timeout=5)
    t0 = time.monotonic()
    assert third.recv(100) == b""
    assert time.monotonic() - t0 < 5  # refused, not left to `timeout queue`
    row = show_stat(sock)[("api", "s1")]
    assert (row["econ"], row["qlimit"]) == ("1", "1")
    assert metric(served, "vigie_lb_backend_connect_failures_total", backend="api") == 1
    # The queued one is served when the slot frees, and leaves the queue.
    first.close()
    assert second.recv(100) == b"master1\n"
    assert show_stat(sock)[("api", "s1")]["qcur"] == "0"
    second.close()
    third.close()


def test_shutdown_sessions_on_marked_down(tmp_path, backends, lb):
    bs = backends(2, tls=False)
    port = free_port()
    servers = (f"  server s1 127.0.0.1:{bs[0].port} check inter 100ms fall 1 "
               "on-marked-down shutdown-sessions\n"
               f"  server s2 127.0.0.1:{bs[1].port} check inter 100ms fall 1\n")
    lb(plain_cfg(tmp_path, port, servers))
    sock = tmp_path / "admin.sock"
    wait_for(lambda: show_stat(sock)[("api", "s2")]["check_status"] == "L4OK", what="checks")
    c1 = socket.create_connection(("127.0.0.1", port), timeout=5)
    c2 = socket.create_connection(("127.0.0.1", port), timeout=5)
    names = {c1.recv(100): c1, c2.recv(100): c2}
    assert set(names) == {b"master1\n", b"master2\n"}
    # Both backends stop listening; their established connections stay open.
    bs[0].stop()
    bs[1].stop()
    wait_for(lambda: show_stat(sock)[("api", "s1")]["status"] == "DOWN", what="s1 DOWN")
    wait_for(lambda: show_stat(sock)[("api", "s2")]["status"] == "DOWN", what="s2 DOWN")
    # s1's session was shut down; s2's (no shutdown-sessions) still relays.
    assert names[b"master1\n"].recv(100) == b""
    keep = names[b"master2\n"]
    keep.sendall(b"ping")
    assert keep.recv(100) == b"ping"
    c1.close()
    c2.close()


def test_long_connections_spread_evenly_over_workers(tmp_path, backends, lb):
    """A burst of long-lived connections ends up evenly on the workers
    (haproxy hands each new connection to its least-loaded thread), shown
    by vigie_lb_worker_connections, and every one is served."""
    bs = backends(1, tls=False)
    port = free_port()
    served = lb(plain_cfg(tmp_path, port, f"  server s1 127.0.0.1:{bs[0].port}\n"), workers=3)
    conns = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(30)]
    try:
        for c in conns:
            assert c.recv(100) == b"master1\n"

        def per_worker():
            return [metric(served, "vigie_lb_worker_connections", worker=str(i))
                    for i in range(3)]
        wait_for(lambda: sum(per_worker()) == 30, what="30 connections counted")
        counts = per_worker()
        assert max(counts) - min(counts) <= 2, counts
    finally:
        for c in conns:
            c.close()
    wait_for(lambda: sum(per_worker()) == 0, what="closed connections uncounted")


def test_multi_queue_off_keeps_each_connection_on_its_accepting_worker(tmp_path, backends, lb):
    """`tune.listener.multi-queue off` (haproxy's switch for very short
    connections): no connection is handed to another worker; every one is
    served. A reload back to on spreads a new burst again."""
    bs = backends(1, tls=False)
    port = free_port()
    path = plain_cfg(tmp_path, port, f"  server s1 127.0.0.1:{bs[0].port}\n")
    text = path.read_text()
    path.write_text(text.replace("global\n", "global\n  tune.listener.multi-queue off\n", 1))
    served = lb(path, workers=3)

    def per_worker():
        return [metric(served, "vigie_lb_worker_connections", worker=str(i)) for i in range(3)]

    def burst():
        conns = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(30)]
        for c in conns:
            assert c.recv(100) == b"master1\n"
        wait_for(lambda: sum(per_worker()) == 30, what="30 connections counted")
        return conns

    conns = burst()
    _, body, _ = served.http("GET", "/metrics")
    assert re.search(r"^vigie_lb_connections_handed_over_total 0$", body, re.M), body
    for c in conns:
        c.close()
    wait_for(lambda: sum(per_worker()) == 0, what="closed connections uncounted")

    path.write_text(text)
    served.signal(signal.SIGHUP)
    wait_for(lambda: served.log_contains("reloaded"), what="reload")
    conns = burst()
    try:
        counts = per_worker()
        assert max(counts) - min(counts) <= 2, counts
    finally:
        for c in conns:
            c.close()


def test_maxaccept_one_still_serves_a_whole_burst(tmp_path, backends, lb):
    """`tune.maxaccept 1`: a worker lets its other work run after every
    accept; a burst larger than that is still accepted and served in full,
    and the directive is carried over, not reported as ignored."""
    bs = backends(1, tls=False)
    port = free_port()
    path = plain_cfg(tmp_path, port, f"  server s1 127.0.0.1:{bs[0].port}\n",
                     global_extra="  tune.maxaccept 1\n")
    served = lb(path, workers=1)
    conns = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(40)]
    try:
        for c in conns:
            assert c.recv(100) == b"master1\n"
    finally:
        for c in conns:
            c.close()
    assert not served.log_contains("tune.maxaccept")


def test_tcplog_writes_haproxys_line_per_connection(tmp_path, backends, lb):
    """`option tcplog`: one line per connection in haproxy's TCP format
    (%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq),
    written when it ends; with `option dontlognull` a connection that moved
    no byte is not logged; no server gives <NOSRV> and SC."""
    served_by = backends(1, tls=False)[0]
    closing = backends(1, tls=False, mode="close")[0]
    port, probe_port, empty_port = free_port(), free_port(), free_port()
    path = plain_cfg(tmp_path, port, f"  server s1 127.0.0.1:{served_by.port}\n",
                     extra="  option tcplog\n")
    path.write_text(path.read_text() + f"""listen probe
  bind 127.0.0.1:{probe_port}
  option tcplog
  option dontlognull
  server c1 127.0.0.1:{closing.port}
listen empty
  bind 127.0.0.1:{empty_port}
  option tcplog
  server e1 127.0.0.1:{closing.port} disabled
""")
    served = lb(path)
    sock_path = tmp_path / "admin.sock"
    # A port probe: the server closes at once, nothing moves either way.
    c = socket.create_connection(("127.0.0.1", probe_port), timeout=5)
    assert c.recv(100) == b""
    c.close()
    wait_for(lambda: show_stat(sock_path)[("probe", "FRONTEND")]["scur"] == "0",
             what="the probe connection over")
    # A served connection: the server's name (8 bytes) reaches the client.
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    client_port = c.getsockname()[1]
    assert c.recv(100) == b"master1\n"
    c.close()
    line_re = re.compile(
        rf"127\.0\.0\.1:{client_port} \[\d\d/[A-Z][a-z]{{2}}/\d{{4}}:\d\d:\d\d:\d\d\.\d{{3}}\] "
        r"api api/s1 0/\d+/\d+ 8 -- 1/1/1/1/0 0/0$")
    wait_for(lambda: any(line_re.search(l) for l in served.stderr_lines),
             what="the tcplog line of the served connection")
    # No server: refused at once, logged as haproxy does.
    c = socket.create_connection(("127.0.0.1", empty_port), timeout=5)
    assert c.recv(100) == b""
    c.close()
    nosrv = re.compile(r"\] empty empty/<NOSRV> -1/-1/\d+ 0 SC 1/1/0/0/0 0/0$")
    wait_for(lambda: any(nosrv.search(l) for l in served.stderr_lines),
             what="the <NOSRV> line")
    assert not any("] probe probe/" in l for l in served.stderr_lines), served.stderr()


KUBESPRAY_NODE_LB = os.path.join(os.path.dirname(SEED), "kubespray_node_lb.cfg")


def test_kubespray_node_lb_cfg_runs_and_answers_its_healthz(tmp_path, backends, lb):
    """kubespray's node-local haproxy.cfg (rendered template) runs unchanged
    but for its addresses: its `frontend healthz` (mode http, monitor-uri,
    no backend) answers as haproxy 2.6 does, 200 for /healthz and 503
    otherwise, and the API frontend listens."""
    bs = backends(3)
    health_port, api_port = free_port(), free_port()
    text = open(KUBESPRAY_NODE_LB, encoding="utf-8").read()
    text = text.replace("*:8081", f"127.0.0.1:{health_port}")
    text = text.replace("127.0.0.1:6443", f"127.0.0.1:{api_port}")
    for i, b in enumerate(bs):
        text = text.replace(f"10.0.0.{i + 1}:6443", f"127.0.0.1:{b.port}")
    path = tmp_path / "haproxy.cfg"
    path.write_text(text)
    served = lb(path)
    wait_for(lambda: served.log_contains(
        "'mode http' in frontend 'healthz': vigie answers its monitor-uri"),
        what="the reader's warning for the healthz frontend")

    def get(target, version="HTTP/1.1"):
        c = socket.create_connection(("127.0.0.1", health_port), timeout=5)
        c.sendall(f"GET {target} {version}\r\nHost: node\r\n\r\n".encode())
        data = b""
        while b"</html>\n" not in data:
            chunk = c.recv(4096)
            if not chunk:
                break
            data += chunk
        c.close()
        return data

    assert get("/healthz") == (b"HTTP/1.1 200 OK\r\ncontent-length: 58\r\ncache-control: no-cache"
                               b"\r\ncontent-type: text/html\r\n\r\n<html><body><h1>200 OK</h1>"
                               b"\nService ready.\n</body></html>\n")
    assert get("/api").startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    assert b"connection: close" in get("/healthz", "HTTP/1.0")
    socket.create_connection(("127.0.0.1", api_port), timeout=5).close()


def monitor_lb(tmp_path, lb, timeouts):
    """vigie lb serving only `frontend healthz` (mode http, monitor-uri
    /healthz, no backend) with the given `timeout` lines; returns its port."""
    port = free_port()
    path = tmp_path / "haproxy.cfg"
    path.write_text(f"""defaults
  mode http
{timeouts}  timeout connect 1s
  timeout server 1s
frontend healthz
  bind 127.0.0.1:{port}
  monitor-uri /healthz
""")
    lb(path)
    return port


def test_monitor_uri_head_has_one_deadline_however_slowly_it_trickles(tmp_path, lb):
    """A client trickling a request head to a monitor-uri frontend is cut at
    `timeout client` from the accept, not kept alive by each byte."""
    port = monitor_lb(tmp_path, lb, "  timeout client 1s\n")
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    start = time.monotonic()
    closed = trickle_until_closed(c, b"GET /healthz HTTP/1.1\r\nHost: slow\r\n", 0.1)
    c.close()
    assert closed, "the trickled head was never cut"
    assert 0.9 < time.monotonic() - start < 3.0


def test_monitor_uri_keeps_an_idle_connection_for_http_keep_alive(tmp_path, lb):
    """After an answer the monitor frontend waits `timeout http-keep-alive`
    for the next request (not `timeout client`), as haproxy does."""
    port = monitor_lb(tmp_path, lb, "  timeout client 10s\n  timeout http-request 5s\n"
                                    "  timeout http-keep-alive 500ms\n")
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    while b"</html>\n" not in answer:
        answer += c.recv(4096)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    start = time.monotonic()
    assert c.recv(100) == b""  # closed by vigie once idle
    assert 0.3 < time.monotonic() - start < 3.0
    c.close()


HATOP = "/usr/bin/hatop"  # Debian's hatop 0.8.2


def load_hatop():
    """hatop's own code (it is one Python script), to use its parsers."""
    loader = importlib.machinery.SourceFileLoader("hatop", HATOP)
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader("hatop", loader))
    with warnings.catch_warnings():  # hatop 0.8.2's regexes use "\s" in plain strings
        warnings.simplefilter("ignore", DeprecationWarning)
        loader.exec_module(module)
    return module


def two_server_lb(tmp_path, backends, lb):
    """`listen api` over plain servers s1, s2 (no checks); returns its port."""
    bs = backends(2, tls=False)
    port = free_port()
    servers = "".join(f"  server s{i + 1} 127.0.0.1:{b.port}\n" for i, b in enumerate(bs))
    lb(plain_cfg(tmp_path, port, servers))
    return port


def test_hatop_parses_show_info_and_show_stat(tmp_path, backends, lb):
    """hatop's own parsers accept vigie's `show info` and `show stat`: every
    info field it requires is there and well formed (it refuses to start
    otherwise), and it sees the proxy and its four services."""
    two_server_lb(tmp_path, backends, lb)
    hatop = load_hatop()
    sock = hatop.Socket(str(tmp_path / "admin.sock"))
    sock.connect()  # prompt mode + set timeout cli, as hatop starts
    try:
        data = hatop.SocketData(sock)
        data.update_info()
        data.update_stat()
    finally:
        sock.close()
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}", data.info["software_release"]), data.info
    assert int(data.info["maxconn"]) > 0
    assert int(data.info["pid"]) > 0
    assert (data.pxcount, data.svcount) == (1, 4)
    names = {sv["svname"] for services in data.stat.values() for sv in services.values()}
    assert names == {"FRONTEND", "s1", "s2", "BACKEND"}


def test_hatop_takes_a_server_out_and_back_from_its_screen(tmp_path, backends, lb):
    """The real hatop in a terminal: it draws vigie's servers, F10 on the
    first server line puts that server in maintenance, F9 brings it back,
    q quits cleanly."""
    two_server_lb(tmp_path, backends, lb)
    sock_path = tmp_path / "admin.sock"
    pid, fd = pty.fork()
    if pid == 0:  # the child: hatop on a 120x40 xterm
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
            os.execve(HATOP, ["hatop", "-s", str(sock_path), "-i", "1"],
                      {"TERM": "xterm", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
        finally:
            os._exit(127)
    screen = bytearray()

    def read_screen():
        while select.select([fd], [], [], 0)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # hatop exited: the pty is gone
                return
            if not chunk:
                return
            screen.extend(chunk)

    def status(server):
        return show_stat(sock_path)[("api", server)]["status"]

    exit_status = []

    def hatop_exited():
        read_screen()
        reaped, st = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            exit_status.append(st)
        return bool(exit_status)

    try:
        def drawn():
            read_screen()
            return b"s1" in screen and b"s2" in screen and b"BACKEND" in screen
        wait_for(drawn, what="hatop drawing vigie's servers")
        down, f9, f10 = b"\x1bOB", b"\x1b[20~", b"\x1b[21~"  # xterm keypad mode
        os.write(fd, down)  # from the proxy's first line (FRONTEND) ...
        time.sleep(0.3)
        os.write(fd, down)  # ... to s1
        time.sleep(0.3)
        os.write(fd, f10)
        wait_for(lambda: read_screen() or status("s1") == "MAINT", what="s1 in maintenance")
        assert status("s2") != "MAINT"
        os.write(fd, f9)
        wait_for(lambda: read_screen() or status("s1") != "MAINT", what="s1 back from maintenance")
        os.write(fd, b"q")
        wait_for(hatop_exited, what="hatop quitting on q")
        assert os.waitstatus_to_exitcode(exit_status[0]) == 0, bytes(screen[-2000:])
    finally:
        if not exit_status:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)


def test_socat_one_liners_work_as_with_haproxy(tmp_path, backends, lb):
    """The runtime API the way operators script it, `echo CMD | socat stdio
    SOCKET`: socat sends the line, half-closes, and prints the answer."""
    two_server_lb(tmp_path, backends, lb)
    sock_path = tmp_path / "admin.sock"

    def socat(text):
        r = subprocess.run(["socat", "stdio", f"UNIX-CONNECT:{sock_path}"], input=text,
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 0, r.stderr
        return r.stdout

    rows = list(csv.DictReader(io.StringIO(socat("show stat\n")[2:].strip("\n"))))
    assert [(r["pxname"], r["svname"]) for r in rows] == [
        ("api", "FRONTEND"), ("api", "s1"), ("api", "s2"), ("api", "BACKEND")]
    assert socat("disable server api/s1\n") == "\n"
    assert show_stat(sock_path)[("api", "s1")]["status"] == "MAINT"
    assert socat("set server api/s1 state ready\n") == "\n"
    assert show_stat(sock_path)[("api", "s1")]["status"] != "MAINT"
    assert socat("show info\n").startswith("Name: HAProxy\n")
    # Interactive: prompt, two commands, quit (the reply to `prompt` is an
    # empty line, then each answer is followed by the prompt).
    out = socat("prompt\nget weight api/s2\nquit\n")
    assert out == "\n> 1 (initial 1)\n\n> ", repr(out)


EXPORTER = "/usr/bin/prometheus-haproxy-exporter"  # Debian's 0.14


def test_prometheus_haproxy_exporter_reads_the_stats_socket(tmp_path, backends, lb):
    """Debian's prometheus-haproxy-exporter, pointed at vigie's stats socket
    as at haproxy's, parses every row (no CSV failures), reports the
    servers and the traffic, and shows a disabled server as down."""
    port = two_server_lb(tmp_path, backends, lb)
    sock_path = tmp_path / "admin.sock"
    web = free_port()
    exporter = subprocess.Popen([EXPORTER, f"--haproxy.scrape-uri=unix:{sock_path}",
                                 f"--web.listen-address=127.0.0.1:{web}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def scrape():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{web}/metrics", timeout=5) as r:
                text = r.read().decode()
        except OSError:
            return None
        return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
                for line in text.splitlines() if line and not line.startswith("#")}

    try:
        wait_for(lambda: scrape() is not None, what="the exporter listening")
        assert fetch(port, tls=False) in ("master1", "master2")
        m = scrape()
        assert m["haproxy_up"] == 1, m
        assert m["haproxy_exporter_csv_parse_failures_total"] == 0
        assert m['haproxy_server_up{backend="api",server="s1"}'] == 1
        assert m['haproxy_server_up{backend="api",server="s2"}'] == 1
        assert m['haproxy_frontend_connections_total{frontend="api"}'] == 1
        assert m['haproxy_backend_up{backend="api"}'] == 1
        assert cli(sock_path, "disable server api/s2") == "\n"
        wait_for(lambda: scrape()['haproxy_server_up{backend="api",server="s2"}'] == 0,
                 what="the exporter seeing s2 down")
        assert scrape()['haproxy_server_up{backend="api",server="s1"}'] == 1
    finally:
        exporter.terminate()
        exporter.wait(10)


def open_pipes(pid):
    """The pipe descriptors process `pid` holds, as (fd, "pipe:[inode]")
    pairs (a spliced direction owns two)."""
    pipes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue  # closed while listing
        if target.startswith("pipe:"):
            pipes.add((fd, target))
    return pipes


@pytest.mark.parametrize("global_extra,proxy_extra,pipes", [
    ("", "  option splice-response\n", 2),
    ("", "  option splice-auto\n", 4),
    ("  nosplice\n", "  option splice-auto\n", 0),
    ("", "", 0),
])
def test_splice_options_choose_zero_copy_per_direction(tmp_path, backends, lb, global_extra,
                                                       proxy_extra, pipes):
    """haproxy's `option splice-request|response|auto` make the relay splice
    those directions: a pipe pair each, seen in /proc/PID/fd while the
    connection is open. Global `nosplice` turns it off. Bytes pass intact
    either way."""
    bs = backends(1, tls=False)
    port = free_port()
    path = plain_cfg(tmp_path, port, f"  server s1 127.0.0.1:{bs[0].port}\n", extra=proxy_extra)
    path.write_text(path.read_text().replace("global\n", "global\n" + global_extra, 1))
    served = lb(path)
    pid = served.proc.pid
    before = open_pipes(pid)
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        assert c.recv(100) == b"master1\n"
        payload = os.urandom(256 * 1024)
        got = b""
        for i in range(0, len(payload), 16384):
            chunk = payload[i:i + 16384]
            c.sendall(chunk)
            want = len(got) + len(chunk)
            while len(got) < want:
                got += c.recv(65536)
        assert got == payload
        relay_pipes = open_pipes(pid) - before
        assert len(relay_pipes) == pipes, relay_pipes
    finally:
        c.close()
    wait_for(lambda: not relay_pipes & open_pipes(pid), what="the relay's pipes closed with it")


class Firehose:
    """A backend on 127.0.0.1 that sends bytes to every connection until the
    connection fails, and never reads."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._pour, args=(conn,), daemon=True).start()

    @staticmethod
    def _pour(conn):
        chunk = b"z" * 65536
        try:
            while True:
                conn.sendall(chunk)
        except OSError:
            pass
        finally:
            conn.close()

    def stop(self):
        self.sock.close()


@pytest.mark.parametrize("splice", ["  option splice-auto\n", ""])
def test_clients_resetting_mid_stream_do_not_kill_the_relay(tmp_path, lb, splice):
    """Clients that half-close, read a little and then reset (SO_LINGER 0)
    while the server still pours data in: the relay's next write into such a
    socket fails with EPIPE, which raises SIGPIPE unless vigie ignores it --
    splice(2) has no MSG_NOSIGNAL. After a hundred such tunnels vigie is
    alive and still relays."""
    firehose = Firehose()
    try:
        port = free_port()
        served = lb(plain_cfg(tmp_path, port, f"  server s1 127.0.0.1:{firehose.port}\n",
                              extra=splice))
        for _ in range(100):
            c = socket.create_connection(("127.0.0.1", port), timeout=5)
            c.shutdown(socket.SHUT_WR)  # vigie's side goes to CLOSE_WAIT
            got = 0
            while got < 200000:
                data = c.recv(65536)
                assert data, f"the relay closed before the reset (vigie: {served.proc.poll()})"
                got += len(data)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()  # RST while the relay is still writing
            assert served.proc.poll() is None, f"vigie exited with {served.proc.returncode}"
        time.sleep(0.5)
        assert served.proc.poll() is None, f"vigie exited with {served.proc.returncode}"
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        try:
            assert c.recv(65536).startswith(b"z")
        finally:
            c.close()
    finally:
        firehose.stop()


def cpu_seconds(pid):
    """User + system CPU time of process `pid` so far, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# Under a sanitized build only: UBSan's vptr check reads a vtable by writing
# it into a pipe(2) (compiler-rt's IsAccessibleMemoryRange), which fails at
# RLIMIT_NOFILE; the check then reports a valid std::error_category as
# "invalid vptr" and the sanitized process exits. Not vigie: the release
# build asserts as written.
def sanitizer_cannot_check(served):
    served.wait_exit(10)  # the whole report read, not what the reader had so far
    return ("object has invalid vptr" in served.stderr()
            and "which does not point to an object of type 'error_category'" in served.stderr())


def test_out_of_descriptors_the_listeners_wait_and_recover(tmp_path, backends, lb):
    """At RLIMIT_NOFILE the proxy's listener and the stats socket cannot
    accept: they back off instead of spinning a core on EMFILE, serve no
    one meanwhile, and both recover once descriptors are free again."""
    bs = backends(1, tls=False)
    port = free_port()
    served = lb(plain_cfg(tmp_path, port, f"  server s1 127.0.0.1:{bs[0].port}\n"), workers=1)
    pid = served.proc.pid
    sock_path = tmp_path / "admin.sock"
    assert "Name: " in cli(sock_path, "show info")
    in_use = len(os.listdir(f"/proc/{pid}/fd"))
    soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (in_use + 8, hard))
    clients = []
    try:
        # Each relayed connection takes two descriptors: the limit is hit
        # after about four, the rest wait in the listen queue.
        for _ in range(16):
            c = socket.create_connection(("127.0.0.1", port), timeout=5)
            clients.append(c)
        start = cpu_seconds(pid)
        time.sleep(2)
        if served.proc.poll() is not None and sanitizer_cannot_check(served):
            pytest.xfail("UBSan's vptr check needs a pipe(2), which fails out of descriptors")
        busy = cpu_seconds(pid) - start
        assert busy < 0.5, f"vigie spent {busy:.2f}s of CPU in 2s out of descriptors"
        assert served.proc.poll() is None
    finally:
        for c in clients:
            c.close()
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (soft, hard))
    # Recovered: a new connection is relayed and the stats socket answers.
    def still_running():
        if served.proc.poll() is None:
            return
        if sanitizer_cannot_check(served):
            pytest.xfail("UBSan's vptr check needs a pipe(2), which fails out of descriptors")
        raise AssertionError(f"vigie exited with {served.proc.returncode}:\n" +
                             "\n".join(served.stderr_lines[-30:]))

    def relayed():
        still_running()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
                return c.recv(100) == b"master1\n"
        except OSError:
            return False

    def stats_answers():
        still_running()
        try:
            return "Name: " in cli(sock_path, "show info")
        except OSError:
            return False
    wait_for(relayed, timeout=10, what="the listener accepting again")
    wait_for(stats_answers, timeout=10, what="the stats socket answering again")


def proc_ids(pid):
    """(real, effective) uid and gid of process `pid` from /proc."""
    ids = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Uid", "Gid"):
                ids[key] = tuple(int(v) for v in value.split()[:2])
    return ids["Uid"], ids["Gid"]


@pytest.mark.skipif(os.geteuid() != 0, reason="dropping privileges needs root")
def test_global_user_and_group_drop_root_after_binding(tmp_path, backends, lb):
    """haproxy's `user`/`group`: bind (here a port below 1024 and the stats
    socket) as root, then run as them. vigie ignored them until 2026-12, so
    a drop-in kept root."""
    bs = backends(1, tls=False)
    low = 700 + os.getpid() % 200  # below 1024: only root may bind it
    path = plain_cfg(tmp_path, low, f"  server s1 127.0.0.1:{bs[0].port}\n",
                     global_extra="  user nobody\n  group nogroup\n")
    served = lb(path)
    assert proc_ids(served.proc.pid) == ((65534, 65534), (65534, 65534))
    # Of root's capabilities only CAP_NET_BIND_SERVICE (bit 10) is left.
    with open(f"/proc/{served.proc.pid}/status") as f:
        caps = dict(line.split(":", 1) for line in f if line.startswith("Cap"))
    assert int(caps["CapEff"], 16) == 1 << 10, caps
    assert int(caps["CapPrm"], 16) == 1 << 10, caps
    with socket.create_connection(("127.0.0.1", low), timeout=5) as c:
        assert c.recv(100) == b"master1\n"
    assert "Name: " in cli(tmp_path / "admin.sock", "show info")
    wait_for(lambda: served.log_contains("running as nobody:nogroup"), what="the drop logged")


def test_byte_counters_move_while_a_connection_runs(tmp_path, backends, lb):
    """bin/bout in `show stat` and /metrics count a connection's bytes while
    it is still open (a kubectl watch can last hours), not at its end."""
    bs = backends(1, tls=False)
    port = free_port()
    served = lb(plain_cfg(tmp_path, port, f"  server s1 127.0.0.1:{bs[0].port}\n"))
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        assert c.recv(100) == b"master1\n"
        c.sendall(b"x" * 5000)
        got = b""
        while len(got) < 5000:
            got += c.recv(65536)
        rows = show_stat(tmp_path / "admin.sock")
        for svname in ("FRONTEND", "s1"):
            assert int(rows[("api", svname)]["bin"]) == 5000, rows[("api", svname)]
            assert int(rows[("api", svname)]["bout"]) == 5008, rows[("api", svname)]
        assert metric(served, "vigie_lb_frontend_bytes_out_total", frontend="api") == 5008
    finally:
        c.close()


def series(served, name):
    """Every series of metric `name` on /metrics: {label text: value}."""
    _, body, _ = served.http("GET", "/metrics")
    out = {}
    for line in body.splitlines():
        m = re.match(re.escape(name) + r"(\{[^}]*\})? (\S+)$", line)
        if m:
            out[m.group(1) or ""] = float(m.group(2))
    return out


def test_reload_drops_the_series_of_what_it_removed(tmp_path, backends, lb):
    """A server or backend a reload removes leaves /metrics with it (its
    `_up` would otherwise report a server that no longer exists); a kept
    server keeps its counters; a refused reload exports nothing of what it
    would have added and leaves the running servers' gauges alone; a server
    that comes back continues its series."""
    bs = backends(2, tls=False)
    port, dead = free_port(), free_port()
    m1 = '{backend="api",server="m1"}'
    m2 = '{backend="api",server="m2"}'
    m3 = '{backend="api",server="m3"}'

    def write(servers, spare=True, extra_bind="", m2_check=True):
        # m2 is checked and down (nothing listens on its port).
        addr = {"m1": f"127.0.0.1:{bs[0].port}", "m3": f"127.0.0.1:{bs[1].port}",
                "m2": f"127.0.0.1:{dead}" + (" check inter 100ms fall 1" if m2_check else "")}
        path = plain_cfg(tmp_path, port, "".join(f"  server {s} {addr[s]}\n" for s in servers))
        text = path.read_text()
        if extra_bind:
            text = text.replace(f"bind 127.0.0.1:{port}\n",
                                f"bind 127.0.0.1:{port}\n  bind {extra_bind}\n")
        if spare:
            text += f"backend spare\n  server s1 127.0.0.1:{bs[0].port}\n"
        path.write_text(text)
        return path

    def reload_and_wait(marker):
        count = served.stderr().count(marker)
        served.signal(signal.SIGHUP)
        wait_for(lambda: served.stderr().count(marker) > count, what=marker)

    served = lb(write(["m1", "m2", "m3"]))
    wait_for(lambda: series(served, "vigie_lb_server_up")[m2] == 0, what="m2 DOWN")
    for _ in range(6):
        fetch(port, tls=False)
    up = series(served, "vigie_lb_server_up")
    assert up[m3] == 1 and up[m1] == 1, up
    assert '{backend="spare"}' in series(served, "vigie_lb_backend_up_servers")
    before = series(served, "vigie_lb_server_connections_total")[m1]
    assert before >= 1

    write(["m1", "m2"], spare=False)
    reload_and_wait("reloaded")
    for name in ("vigie_lb_server_up", "vigie_lb_server_connections_total",
                 "vigie_lb_server_connect_seconds_count"):
        assert m3 not in series(served, name), name
    assert '{backend="spare"}' not in series(served, "vigie_lb_backend_up_servers")
    assert series(served, "vigie_lb_server_connections_total")[m1] == before
    _, body, _ = served.http("GET", "/metrics")
    assert 'server="m3"' not in body and 'backend="spare"' not in body

    # A refused reload (its second bind is taken) adds no series, and the
    # m2 it would have run unchecked (so UP) is still the running m2: DOWN.
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    write(["m1", "m2", "m3"], extra_bind=f"127.0.0.1:{taken.getsockname()[1]}", m2_check=False)
    reload_and_wait("reload refused, still running the previous config")
    taken.close()
    up = series(served, "vigie_lb_server_up")
    assert m3 not in up and up[m1] == 1 and up[m2] == 0, up
    assert series(served, "vigie_lb_backend_up_servers")['{backend="api"}'] == 1

    write(["m1", "m2", "m3"])
    reload_and_wait("reloaded")
    assert series(served, "vigie_lb_server_up")[m3] == 1
    assert series(served, "vigie_lb_server_connections_total")[m1] == before


def test_clear_counters_resets_the_peaks_and_all_the_totals(tmp_path, backends, lb):
    """`clear counters` as haproxy: the peak values (smax) go back to 0 and
    the totals stay; `clear counters all` zeroes the totals too, on the
    stats socket and in /metrics alike."""
    bs = backends(2, tls=False)
    port = free_port()
    served = lb(plain_cfg(tmp_path, port, "".join(
        f"  server s{i + 1} 127.0.0.1:{b.port}\n" for i, b in enumerate(bs))))
    sock = tmp_path / "admin.sock"
    held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(4)]
    for c in held:
        assert c.recv(100).startswith(b"master")
    for c in held:
        c.close()
    wait_for(lambda: show_stat(sock)[("api", "FRONTEND")]["scur"] == "0", what="closed")
    before = show_stat(sock)
    assert before[("api", "FRONTEND")]["smax"] == "4"
    assert before[("api", "BACKEND")]["smax"] == "4"
    assert int(before[("api", "s1")]["smax"]) >= 1
    assert before[("api", "FRONTEND")]["stot"] == "4"

    assert cli(sock, "clear counters") == "\n"
    after = show_stat(sock)
    for row in ("FRONTEND", "s1", "s2", "BACKEND"):
        assert after[("api", row)]["smax"] == "0", row
        assert after[("api", row)]["stot"] == before[("api", row)]["stot"], row

    assert cli(sock, "clear counters all") == "\n"
    after = show_stat(sock)
    for row in ("FRONTEND", "s1", "s2", "BACKEND"):
        for field in ("stot", "bin", "bout"):
            assert after[("api", row)][field] == "0", (row, field)
    totals = series(served, "vigie_lb_server_connections_total")
    assert totals and set(totals.values()) == {0}, totals
    assert set(series(served, "vigie_lb_frontend_bytes_out_total").values()) == {0}
    # New connections count from 0.
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    assert c.recv(100).startswith(b"master")
    c.close()
    wait_for(lambda: show_stat(sock)[("api", "FRONTEND")]["stot"] == "1", what="one more")
