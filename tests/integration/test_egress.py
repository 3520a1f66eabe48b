"""egress: the HTTP proxy mode of OpenShift's egress router, end to end.

The seed article's ACL with its 10.42.253.0/24 line rewritten to a loopback
CIDR, a private hosts file mapping the test names to loopback, real curl as
the client (-x, and -p for CONNECT) and an HTTP/1.1 backend started here.
"""
import http.server
import os
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import threading
import time

import pytest

from vigie_harness import Served, run_vigie, trickle_until_closed, wait_for

# The seed article's policy, with 127.0.0.64/26 standing in for its
# 10.42.253.0/24 (the tests' "internal" network is on loopback)...
ARTICLE = "!perdu.com\n!*.perdu.com\n!127.0.0.64/26\n*\n"
# ...plus the rule that lets the proxy reach the test origins on loopback:
# vigie never reaches loopback or link-local unless an address rule names
# them (test_egress_internal.py shows that without it, in a namespace).
SEED = "!perdu.com\n!*.perdu.com\n!127.0.0.64/26\n127.0.0.0/8\n::1\n*\n"
DENIED_ADDR = "127.0.0.70"  # inside 127.0.0.64/26


class Backend:
    """An HTTP/1.1 keep-alive backend recording what it received."""

    def __init__(self, host="127.0.0.1"):
        seen = self.seen = []
        peers = self.peers = set()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                seen.append((self.command, self.path, dict(self.headers)))
                peers.add(self.client_address)
                body = f"backend {self.path}".encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                data = self.rfile.read(n) if n else b""
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().strip(), 16)
                        if size == 0:
                            self.rfile.readline()
                            break
                        data += self.rfile.read(size)
                        self.rfile.readline()
                seen.append((self.command, self.path, dict(self.headers)))
                body = b"got " + str(len(data)).encode()
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))

            def log_message(self, *args):
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

        self.server = Server((host, 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class EchoServer:
    """A TCP echo server (tunnel peer)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._echo, args=(c,), daemon=True).start()

    @staticmethod
    def _echo(c):
        with c:
            while True:
                try:
                    data = c.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                c.sendall(data)

    def close(self):
        self.sock.close()


@pytest.fixture
def backend():
    b = Backend()
    yield b
    b.close()


@pytest.fixture
def hosts(tmp_path):
    path = tmp_path / "hosts"
    path.write_text("127.0.0.1 allowed.test perdu.com www.perdu.com\n"
                    f"{DENIED_ADDR} intranet.test\n")
    return path


def proxy_config(tmp_path, hosts, destination=SEED, extra=""):
    dest = tmp_path / "destination"
    dest.write_text(destination)
    return f"""admin:
  listen: 127.0.0.1:0
runtime:
  workers: 2
  grace: 2s
egress:
  http_proxy:
    listen: 127.0.0.1:0
    destination_file: {dest}
    hosts_file: {hosts}
    access_log: {tmp_path / "access.log"}
    request_timeout: 1s
    idle_timeout: 5s
    response_timeout: 1s
    connect_timeout: 1s
{extra}"""


def curl(proxy, url, *args):
    """curl through the proxy; returns (http_code, connect_code, body, stderr)."""
    r = subprocess.run(["curl", "-s", "-S", "-m", "10", "-x", f"http://{proxy}", "-w",
                        "\n%{http_code} %{http_connect}", *args, url],
                       capture_output=True, text=True, timeout=20)
    body, _, codes = r.stdout.rpartition("\n")
    code, connect = codes.split()
    return int(code), int(connect), body, r.stderr


def raw(proxy, data, timeout=5.0):
    """Sends raw bytes to the proxy; returns what it answers until close or timeout."""
    host, port = proxy.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


# --- drop-in environment --------------------------------------------------

@pytest.mark.parametrize("value,message", [
    (None, "No EGRESS_HTTP_PROXY_DESTINATION specified"),
    ("", "No EGRESS_HTTP_PROXY_DESTINATION specified"),
    ("*\nfoo.com\n", "Wildcard must be last rule, if present"),
    ("foo bar\n", "Bad destination 'foo bar'"),
    ("!10.0.0.0/33\n", "Bad destination '10.0.0.0/33'"),
])
def test_environment_errors_are_upstreams(value, message):
    env = {k: v for k, v in os.environ.items() if not k.startswith("EGRESS_")}
    env["EGRESS_ROUTER_MODE"] = "http-proxy"
    if value is not None:
        env["EGRESS_HTTP_PROXY_DESTINATION"] = value
    r = run_vigie("egress", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", env=env)
    assert r.returncode == 1
    assert r.stderr.strip() == message


def test_router_environment_errors_are_upstreams():
    env = {k: v for k, v in os.environ.items() if not k.startswith("EGRESS_")}
    r = run_vigie("egress", env=env)
    assert (r.returncode, r.stderr.strip()) == (1, "EGRESS_SOURCE unspecified or invalid")
    env.update(EGRESS_SOURCE="10.42.253.46", EGRESS_GATEWAY="10.42.253.1",
               EGRESS_ROUTER_MODE="bogus")
    r = run_vigie("egress", env=env)
    assert (r.returncode, r.stderr.strip()) == (1, "Unrecognized EGRESS_ROUTER_MODE 'bogus'")
    env.update(EGRESS_ROUTER_MODE="unit-test", EGRESS_DESTINATION="80 tcp 10.4.60.8\n")
    r = run_vigie("egress", env=env)
    assert r.returncode == 0
    assert "tcp dport 80 dnat to 10.4.60.8" in r.stdout
    assert "snat to 10.42.253.46" in r.stdout


def test_environment_proxy_with_seed_acl(backend, hosts):
    env = {k: v for k, v in os.environ.items() if not k.startswith("EGRESS_")}
    env["EGRESS_HTTP_PROXY_DESTINATION"] = SEED
    s = Served(["egress", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                "--hosts-file", str(hosts), "--workers", "2"], env=env).wait_ready()
    try:
        proxy = s.listeners["egress-http"]
        p = backend.port
        assert curl(proxy, f"http://allowed.test:{p}/x")[:3] == (200, 0, "backend /x")
        for url in [f"http://perdu.com:{p}/", f"http://www.perdu.com:{p}/",
                    f"http://{DENIED_ADDR}:{p}/", f"http://intranet.test:{p}/"]:
            code, _, body, _ = curl(proxy, url)
            assert code == 403, url
            assert "Rule: line" in body
    finally:
        assert s.stop() == 0


# --- the proxy under vigie serve -------------------------------------------

def test_seed_acl_http_and_connect(serve, tmp_path, backend, hosts):
    s = serve(proxy_config(tmp_path, hosts))
    proxy = s.listeners["egress-http"]
    p = backend.port
    code, _, body, _ = curl(proxy, f"http://allowed.test:{p}/hello")
    assert (code, body) == (200, "backend /hello")
    r = subprocess.run(["curl", "-s", "-i", "-x", f"http://{proxy}", f"http://perdu.com:{p}/"],
                       capture_output=True, text=True, timeout=20)
    assert r.stdout.startswith("HTTP/1.1 403 Forbidden")
    assert "X-Squid-Error: ERR_ACCESS_DENIED 0" in r.stdout
    assert "Rule: line 1: !perdu.com" in r.stdout
    assert "Rule: line 2: !*.perdu.com" in curl(proxy, f"http://www.perdu.com:{p}/")[2]
    assert ("Rule: line 3: !127.0.0.64/26, address 127.0.0.70"
            in curl(proxy, f"http://intranet.test:{p}/")[2])
    assert curl(proxy, f"http://{DENIED_ADDR}:{p}/")[0] == 403
    # CONNECT: curl -p tunnels a plain HTTP request through it.
    assert curl(proxy, f"http://allowed.test:{p}/t", "-p")[:3] == (200, 200, "backend /t")
    for host in ["perdu.com", "www.perdu.com", DENIED_ADDR, "intranet.test"]:
        code, connect, _, _ = curl(proxy, f"http://{host}:{p}/", "-p")
        assert connect == 403, host
    # Default on, as upstream's squid: Via and X-Forwarded-For reach the origin.
    headers = backend.seen[0][2]
    assert headers["Via"] == "1.1 vigie"
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["Host"] == f"allowed.test:{p}"
    assert not any(h.lower() == "proxy-connection" for h in headers)
    # Squid-format access log, one line per transaction.
    log = (tmp_path / "access.log").read_text().splitlines()
    assert re.match(r"^\d+\.\d{3} +\d+ 127\.0\.0\.1 TCP_MISS/200 \d+ GET "
                    rf"http://allowed\.test:{p}/hello - HIER_DIRECT/127\.0\.0\.1 text/plain$",
                    log[0]), log[0]
    assert any(f"TCP_DENIED/403" in l and f"CONNECT perdu.com:{p}" in l for l in log)
    assert any("TCP_TUNNEL/200" in l for l in log)
    metrics = s.http("GET", "/metrics")[1]
    assert 'vigie_egress_http_rule_hits_total{line="1",rule="!perdu.com",action="deny"} 2' in metrics
    assert 'vigie_egress_http_rule_hits_total{line="3",rule="!127.0.0.64/26",action="deny"} 4' in metrics
    assert "vigie_egress_http_tunnels_total 1" in metrics
    assert "vigie_egress_http_denied_total 8" in metrics
    assert "vigie_egress_http_upstream_connect_seconds_count" in metrics


def test_keep_alive_both_sides_and_bodies(serve, tmp_path, backend, hosts):
    s = serve(proxy_config(tmp_path, hosts))
    proxy = s.listeners["egress-http"]
    p = backend.port
    r = subprocess.run(["curl", "-s", "-x", f"http://{proxy}", "-w", "%{num_connects}\n",
                        f"http://allowed.test:{p}/a", f"http://allowed.test:{p}/b",
                        f"http://allowed.test:{p}/c"],
                       capture_output=True, text=True, timeout=20)
    assert r.stdout.splitlines() == ["backend /a1", "backend /b0", "backend /c0"]
    assert len(backend.peers) == 1  # one origin connection for the three
    # Separate client connections reuse the idle origin connections (one
    # pool per worker, 2 workers): 6 clients, at most 2 origin connections.
    for i in range(6):
        assert curl(proxy, f"http://allowed.test:{p}/n{i}")[2] == f"backend /n{i}"
    assert len(backend.peers) <= 2
    # Bodies both ways: Content-Length up, chunked down; then chunked up.
    assert curl(proxy, f"http://allowed.test:{p}/post", "-d", "x" * 100000)[2] == "got 100000"
    assert curl(proxy, f"http://allowed.test:{p}/post", "-H", "Transfer-Encoding: chunked",
                "-d", "y" * 5000)[2] == "got 5000"


def test_check_command(tmp_path, hosts):
    dest = tmp_path / "dest"
    dest.write_text(SEED)
    cases = [
        ("http://perdu.com/", 1, "deny http://perdu.com/ (line 1: !perdu.com)"),
        ("www.perdu.com:443", 1, "deny www.perdu.com:443 (line 2: !*.perdu.com)"),
        ("intranet.test:80", 1,
         "deny intranet.test:80 (line 3: !127.0.0.64/26, address 127.0.0.70)"),
        ("127.0.0.70:443", 1, "deny 127.0.0.70:443 (line 3: !127.0.0.64/26, address 127.0.0.70)"),
        ("https://allowed.test/", 0,
         "allow https://allowed.test/ (line 4: 127.0.0.0/8, address 127.0.0.1)"),
    ]
    for target, code, line in cases:
        r = run_vigie("egress", "check", "--destination-file", str(dest), "--hosts-file",
                      str(hosts), target)
        assert (r.returncode, r.stdout.strip()) == (code, line), r.stderr
    # The article's policy as written: "*" does not reach loopback.
    dest.write_text(ARTICLE)
    r = run_vigie("egress", "check", "--destination-file", str(dest), "--hosts-file", str(hosts),
                  "https://allowed.test/")
    assert (r.returncode, r.stdout.strip()) == (
        1, "deny https://allowed.test/ (internal address (loopback, link-local or unspecified): "
           "only an address rule naming it allows it, address 127.0.0.1)"), r.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("EGRESS_")}
    env["EGRESS_HTTP_PROXY_DESTINATION"] = SEED
    r = run_vigie("egress", "check", "--no-resolve", "http://perdu.com/", env=env)
    assert (r.returncode, r.stdout.strip()) == (1, "deny http://perdu.com/ (line 1: !perdu.com)")
    r = run_vigie("egress", "check", "http://%70erdu.com/", env=env)
    assert r.returncode == 2
    env["EGRESS_HTTP_PROXY_DESTINATION"] = "foo bar"
    r = run_vigie("egress", "check", "http://perdu.com/", env=env)
    assert (r.returncode, r.stderr.strip()) == (2, "Bad destination 'foo bar'")
    # From vigie.yaml.
    cfg = tmp_path / "vigie.yaml"
    cfg.write_text(proxy_config(tmp_path, hosts))
    r = run_vigie("egress", "check", "-c", str(cfg), "intranet.test:8080")
    assert r.returncode == 1 and "line 3" in r.stdout


# --- bad input -------------------------------------------------------------

@pytest.mark.parametrize("request_bytes,status", [
    (b"GARBAGE\r\n\r\n", b"400"),
    (b"GET http://allowed.test/ HTTP/1.1 extra\r\n\r\n", b"400"),
    (b"GET /relative HTTP/1.1\r\nHost: x\r\n\r\n", b"400"),
    (b"GET ftp://allowed.test/ HTTP/1.1\r\n\r\n", b"501"),
    (b"GET http://allowed.test/ HTTP/2.0\r\n\r\n", b"505"),
    (b"CONNECT allowed.test HTTP/1.1\r\nHost: allowed.test\r\n\r\n", b"400"),
    (b"GET http://%70erdu.com/ HTTP/1.1\r\n\r\n", b"400"),
    (b"GET http://2130706496/ HTTP/1.1\r\n\r\n", b"400"),
    (b"GET http://allowed.test/ HTTP/1.1\r\nX: " + b"a" * 70000 + b"\r\n\r\n", b"431"),
    (b"GET http://allowed.test/ HTTP/1.1\r\n" + b"X-A: b\r\n" * 200 + b"\r\n", b"431"),
    (b"POST http://allowed.test/ HTTP/1.1\r\nContent-Length: 1\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n", b"400"),
])
def test_bad_requests(serve, tmp_path, hosts, request_bytes, status):
    s = serve(proxy_config(tmp_path, hosts))
    out = raw(s.listeners["egress-http"], request_bytes)
    assert out.startswith(b"HTTP/1.1 " + status), out[:200]


def test_ipv6_literal(serve, tmp_path, hosts):
    b6 = Backend("::1")
    try:
        s = serve(proxy_config(tmp_path, hosts))
        proxy = s.listeners["egress-http"]
        assert curl(proxy, f"http://[::1]:{b6.port}/v6")[:3] == (200, 0, "backend /v6")
        assert curl(proxy, f"http://[::1]:{b6.port}/v6t", "-p")[:3] == (200, 200, "backend /v6t")
        # ::ffff:127.0.0.70 is 127.0.0.70 to the ACL.
        out = raw(proxy, b"GET http://[::ffff:127.0.0.70]:80/ HTTP/1.1\r\n\r\n")
        assert out.startswith(b"HTTP/1.1 403"), out[:100]
    finally:
        b6.close()


def test_slowloris_times_out(serve, tmp_path, hosts):
    s = serve(proxy_config(tmp_path, hosts))
    host, port = s.listeners["egress-http"].rsplit(":", 1)
    c = socket.create_connection((host, int(port)), timeout=10)
    start = time.monotonic()
    c.sendall(b"GET http://allowed.test/ HTTP/1.1\r\n")
    # One byte every 0.2 s: never completes the head.
    closed = trickle_until_closed(c, b"X" * 20, 0.2)
    c.close()
    assert closed and time.monotonic() - start < 3.5
    wait_for(lambda: "vigie_egress_http_client_timeouts_total 1" in s.http("GET", "/metrics")[1],
             what="timeout counted")


def test_destination_never_answers(serve, tmp_path, hosts):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # the kernel accepts; nobody ever answers
    try:
        s = serve(proxy_config(tmp_path, hosts))
        start = time.monotonic()
        code, _, body, _ = curl(s.listeners["egress-http"],
                                f"http://allowed.test:{silent.getsockname()[1]}/")
        assert code == 504
        assert time.monotonic() - start < 5
        assert "upstream_errors_total 1" in s.http("GET", "/metrics")[1]
    finally:
        silent.close()


def test_client_closing_mid_tunnel(serve, tmp_path, hosts):
    echo = EchoServer()
    try:
        s = serve(proxy_config(tmp_path, hosts))
        host, port = s.listeners["egress-http"].rsplit(":", 1)
        for _ in range(3):
            c = socket.create_connection((host, int(port)), timeout=5)
            c.sendall(f"CONNECT allowed.test:{echo.port} HTTP/1.1\r\n\r\n".encode())
            assert c.recv(100).startswith(b"HTTP/1.1 200")
            c.sendall(b"ping")
            assert c.recv(100) == b"ping"
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            c.close()  # RST mid-tunnel
        wait_for(lambda: "vigie_egress_http_connections_active 0"
                 in s.http("GET", "/metrics")[1], what="tunnels closed")
        assert curl(s.listeners["egress-http"], f"http://allowed.test:{echo.port}/", "-p",
                    "--max-time", "1")[1] == 200
    finally:
        echo.close()


def test_client_acl_and_max_connections(serve, tmp_path, hosts, backend):
    s = serve(proxy_config(tmp_path, hosts, extra="    allow_clients: [10.0.0.0/8]\n"))
    code, _, body, _ = curl(s.listeners["egress-http"], f"http://allowed.test:{backend.port}/")
    assert code == 403 and "not in allow_clients" in body
    s2 = serve(proxy_config(tmp_path, hosts, extra="    max_connections: 2\n"), name="b.yaml")
    host, port = s2.listeners["egress-http"].rsplit(":", 1)
    held = [socket.create_connection((host, int(port))) for _ in range(2)]
    wait_for(lambda: "vigie_egress_http_connections_active 2" in s2.http("GET", "/metrics")[1],
             what="two connections")
    third = socket.create_connection((host, int(port)), timeout=5)
    assert third.recv(10) == b""  # closed at once
    third.close()
    for h in held:
        h.close()
    assert "connections_refused_total 1" in s2.http("GET", "/metrics")[1]


# --- reload ----------------------------------------------------------------

def test_reload_keeps_tunnels_and_refuses_bad_lists(serve, tmp_path, hosts, backend):
    echo = EchoServer()
    try:
        s = serve(proxy_config(tmp_path, hosts))
        proxy = s.listeners["egress-http"]
        host, port = proxy.rsplit(":", 1)
        tunnel = socket.create_connection((host, int(port)), timeout=5)
        tunnel.sendall(f"CONNECT allowed.test:{echo.port} HTTP/1.1\r\n\r\n".encode())
        assert tunnel.recv(100).startswith(b"HTTP/1.1 200")
        # New list: allowed.test is now denied.
        (tmp_path / "destination").write_text("!allowed.test\n127.0.0.0/8\n*\n")
        status, body, _ = s.http("POST", "/reload")
        assert status == 200, body
        assert curl(proxy, f"http://allowed.test:{backend.port}/")[0] == 403
        tunnel.sendall(b"still here")
        assert tunnel.recv(100) == b"still here"
        # An invalid list is refused with upstream's message; the old one stays.
        (tmp_path / "destination").write_text("*\nallowed.test\n")
        status, body, _ = s.http("POST", "/reload")
        assert status == 400
        assert "Wildcard must be last rule, if present" in body
        assert curl(proxy, f"http://allowed.test:{backend.port}/")[0] == 403
        assert curl(proxy, f"http://127.0.0.1:{backend.port}/")[0] == 200
        # SIGHUP too.
        # Loopback is named, but only allowed.test is allowed (first match).
        (tmp_path / "destination").write_text("allowed.test\n!0.0.0.0/0\n127.0.0.0/8\n")
        s.signal(signal.SIGHUP)
        wait_for(lambda: curl(proxy, f"http://allowed.test:{backend.port}/")[0] == 200,
                 what="SIGHUP reload")
        assert curl(proxy, f"http://127.0.0.1:{backend.port}/")[0] == 403  # line 2: !0.0.0.0/0
        tunnel.sendall(b"and now")
        assert tunnel.recv(100) == b"and now"
        tunnel.close()
    finally:
        echo.close()


# --- resolver: a DNS server instead of the hosts file ------------------------

@pytest.mark.skipif(shutil.which("dnsmasq") is None, reason="needs dnsmasq (dnsmasq-base)")
def test_nameserver_resolution_with_dnsmasq(tmp_path, backend):
    """dnsmasq (Debian) on a loopback port is the only DNS the proxy asks."""
    # dnsmasq binds the port for UDP and TCP: pick one free for both, or it
    # exits at once and every lookup times out.
    dns_port = None
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            candidate = u.getsockname()[1]
        try:
            with socket.socket() as t:
                t.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        dns_port = candidate
        break
    assert dns_port, "no port free for both UDP and TCP"
    dnsmasq = subprocess.Popen(
        ["dnsmasq", "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll",
         f"--port={dns_port}", "--listen-address=127.0.0.1", "--bind-interfaces",
         f"--pid-file={tmp_path / 'dnsmasq.pid'}", "--address=/dns-allowed.test/127.0.0.1",
         f"--address=/dns-intranet.test/{DENIED_ADDR}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    s = None
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("EGRESS_")}
        env["EGRESS_HTTP_PROXY_DESTINATION"] = SEED
        s = Served(["egress", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                    "--nameserver", f"127.0.0.1:{dns_port}"], env=env).wait_ready()
        proxy = s.listeners["egress-http"]
        wait_for(lambda: curl(proxy, f"http://dns-allowed.test:{backend.port}/d")[0] == 200,
                 what="dnsmasq answering")
        assert curl(proxy, f"http://dns-allowed.test:{backend.port}/d")[2] == "backend /d"
        code, _, body, _ = curl(proxy, f"http://dns-intranet.test:{backend.port}/")
        assert code == 403 and "address 127.0.0.70" in body
        # Unknown to dnsmasq (REFUSED, no upstream): does not resolve -> 503.
        assert curl(proxy, f"http://nowhere.test:{backend.port}/")[0] == 503
        r = run_vigie("egress", "check", "--nameserver", f"127.0.0.1:{dns_port}",
                      "dns-intranet.test:80", env=env)
        assert (r.returncode, r.stdout.strip()) == (
            1, "deny dns-intranet.test:80 (line 3: !127.0.0.64/26, address 127.0.0.70)")
    finally:
        if s:
            s.stop()
        dnsmasq.terminate()
        dnsmasq.wait(10)
