# ctest-labels: peer
"""The events component end to end with the real clients: riemann-client
(TCP, UDP, queries), a stdlib WebSocket client (RFC 6455), carbon-cache
receiving vigie's Graphite output (checked with whisper-fetch), carbon
plaintext and statsd input, malformed frames and overload."""
import base64
import json
import os
import signal
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from vigie_harness import free_port, make_pki, wait_for

BASE = """admin:
  listen: 127.0.0.1:0
runtime:
  workers: 2
  grace: 3s
events:
  tcp: 127.0.0.1:0
  udp: 127.0.0.1:0
  http: 127.0.0.1:0
"""


def hostport(served, key):
    host, port = served.listeners[key].rsplit(":", 1)
    return host, port


def rc(*args, timeout=10):
    return subprocess.run(["riemann-client", *args], capture_output=True, text=True,
                          timeout=timeout)


def query(served, q):
    host, port = hostport(served, "events-tcp")
    r = rc("query", "-j", q, host, port)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout or "[]")


def metric(served, name):
    status, body, _ = served.http("GET", "/metrics")
    assert status == 200
    for line in body.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.split()[-1])
    return 0.0


def frame(payload):
    return struct.pack(">I", len(payload)) + payload


def read_frame(sock):
    head = b""
    while len(head) < 4:
        chunk = sock.recv(4 - len(head))
        if not chunk:
            return None
        head += chunk
    (n,) = struct.unpack(">I", head)
    body = b""
    while len(body) < n:
        chunk = sock.recv(n - len(body))
        if not chunk:
            return None
        body += chunk
    return body


def test_send_and_query_over_tcp_and_udp(serve):
    s = serve(BASE)
    host, port = hostport(s, "events-tcp")
    assert s.listeners["events-udp"].endswith(":" + port)  # one port, as Riemann's 5555
    r = rc("send", "-h", "web1", "-S", "http", "-i", "3", host, port)
    assert r.returncode == 0, r.stderr
    events = query(s, 'host = "web1"')
    assert len(events) == 1
    assert events[0]["host"] == "web1" and events[0]["service"] == "http"
    assert events[0]["metric_sint64"] == 3
    # Human output, as operators read it.
    r = rc("query", 'host = "web1" and service = "http"', host, port)
    assert "host = web1" in r.stdout and "metric_sint64 = 3" in r.stdout
    # UDP: no reply; the event shows up in the index.
    r = rc("send", "-U", "-h", "web2", "-S", "disk", "-d", "0.5", "-s", "warning", host, port)
    assert r.returncode == 0, r.stderr
    got = wait_for(lambda: query(s, 'service = "disk"'), what="UDP event indexed")
    assert got[0]["host"] == "web2" and got[0]["state"] == "warning"
    # Query language errors come back as errors with the column.
    r = rc("query", "host = ", host, port)
    assert r.returncode == 1 and "parse error at column" in r.stderr


def test_expired_event_is_emitted_and_logged(serve):
    s = serve(BASE + "  ttl: 1s\n  expire_interval: 200ms\n")
    host, port = hostport(s, "events-tcp")
    assert rc("send", "-h", "db1", "-S", "pg", "-i", "1", host, port).returncode == 0
    assert query(s, 'host = "db1"')
    wait_for(lambda: s.log_contains('expired {"host":"db1","service":"pg","state":"expired"'),
             timeout=10, what="expired event logged")
    assert query(s, 'host = "db1"') == []
    assert metric(s, "vigie_events_expired_total") >= 1
    # A per-event ttl wins over the default.
    assert rc("send", "-h", "db2", "-S", "pg", "-L", "30", host, port).returncode == 0
    time.sleep(0)  # no wait needed: the check below polls
    wait_for(lambda: metric(s, "vigie_events_expired_total") >= 1, what="metric")
    assert query(s, 'host = "db2"')


class WebSocket:
    """A minimal RFC 6455 client: handshake, unmasked text frames in, masked out."""

    def __init__(self, host, port, path):
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            assert chunk, "connection closed during the handshake"
            head += chunk
        assert head.startswith(b"HTTP/1.1 101"), head
        self.buf = b""

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """(opcode, payload) of the next frame."""
        b0, b1 = self._need(2)
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack(">H", self._need(2))
        elif n == 127:
            (n,) = struct.unpack(">Q", self._need(8))
        assert not b1 & 0x80, "server frames are not masked"
        return b0 & 0x0F, self._need(n)

    def send_text(self, text):
        data = text.encode()
        mask = os.urandom(4)
        head = bytes([0x81])
        if len(data) < 126:
            head += bytes([0x80 | len(data)])
        else:
            head += bytes([0x80 | 126]) + struct.pack(">H", len(data))
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def close(self):
        self.sock.close()


def test_websocket_subscription_gets_snapshot_then_live_events(serve):
    s = serve(BASE)
    host, port = hostport(s, "events-tcp")
    assert rc("send", "-h", "web1", "-S", "cpu", "-d", "0.25", host, port).returncode == 0
    assert rc("send", "-h", "other", "-S", "cpu", "-d", "9", host, port).returncode == 0
    hhost, hport = hostport(s, "events-http")
    q = urllib.request.quote('host = "web1"')
    ws = WebSocket(hhost, hport, f"/index?subscribe=true&query={q}")
    op, payload = ws.recv()
    assert op == 1
    first = json.loads(payload)
    assert first["host"] == "web1" and first["metric"] == 0.25  # the snapshot
    assert first["x-client"] == "riemann-c-client"
    assert rc("send", "-h", "web1", "-S", "mem", "-i", "7", host, port).returncode == 0
    assert rc("send", "-h", "other", "-S", "mem", "-i", "8", host, port).returncode == 0
    op, payload = ws.recv()
    live = json.loads(payload)
    assert live["service"] == "mem" and live["metric"] == 7  # only matching events
    # Events sent over the WebSocket /events endpoint reach subscribers too.
    ing = WebSocket(hhost, hport, "/events")
    ing.send_text(json.dumps({"host": "web1", "service": "ws", "metric": 1.5}))
    assert ing.recv() == (1, b"{}")
    ing.send_text("{not json")
    op, payload = ing.recv()
    assert "error" in json.loads(payload)
    op, payload = ws.recv()
    assert json.loads(payload)["service"] == "ws"
    assert metric(s, "vigie_events_subscribers") == 1
    ws.close()
    ing.close()


def test_sse_and_http_post_ingest(serve):
    s = serve(BASE)
    hhost, hport = hostport(s, "events-http")
    body = (json.dumps({"host": "h1", "service": "post", "metric": 2, "tags": ["a"]}) + "\n" +
            "nonsense\n").encode()
    req = urllib.request.Request(f"http://{hhost}:{hport}/events", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        lines = resp.read().decode().splitlines()
    assert lines[0] == "{}" and "error" in lines[1]
    assert query(s, 'tagged "a"')[0]["service"] == "post"
    sock = socket.create_connection((hhost, int(hport)), timeout=10)
    q = urllib.request.quote('service = "post"')
    sock.sendall(f"GET /index?query={q} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
    data = b""
    while b"data: " not in data or not data.endswith(b"\n\n"):
        data += sock.recv(4096)
    assert b"text/event-stream" in data
    assert b'"service":"post"' in data
    sock.close()


def http_exchange(host, port, head, body=b""):
    """Sends one raw request; returns (status, headers dict lowercased, body)."""
    sock = socket.create_connection((host, int(port)), timeout=10)
    try:
        sock.sendall(head.encode() + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head_text, _, rest = data.partition(b"\r\n\r\n")
        lines = head_text.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip()
                   for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
        return int(lines[0].split()[1]), headers, rest
    finally:
        sock.close()


def test_a_web_page_cannot_subscribe_or_post_through_the_browser(serve):
    """The HTTP port against the operator's browser: a rebinding Host is
    refused; a page from another origin can neither open the index stream
    (SSE or WebSocket) nor POST events; riemann-dash on localhost can, and
    its origin is echoed instead of `Access-Control-Allow-Origin: *`. POST
    /events takes JSON only (a form post needs no CORS preflight)."""
    s = serve(BASE)
    h, p = hostport(s, "events-http")
    q = urllib.request.quote("true")
    status, _, _ = http_exchange(h, p, f"GET /index?query={q} HTTP/1.1\r\nHost: evil.example:{p}\r\n\r\n")
    assert status == 403
    status, _, _ = http_exchange(h, p, f"GET /index?query={q} HTTP/1.1\r\nHost: {h}:{p}\r\n"
                                       "Origin: http://evil.example\r\n\r\n")
    assert status == 403
    status, _, _ = http_exchange(h, p, f"GET /index?subscribe=true&query={q} HTTP/1.1\r\n"
                                       f"Host: {h}:{p}\r\nUpgrade: websocket\r\n"
                                       "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                       "Origin: http://evil.example\r\n\r\n")
    assert status == 403
    event = json.dumps({"host": "h1", "service": "csrf", "metric": 1}).encode()
    status, _, _ = http_exchange(h, p, f"POST /events HTTP/1.1\r\nHost: {h}:{p}\r\n"
                                       "Origin: http://evil.example\r\n"
                                       "Content-Type: application/json\r\n"
                                       f"Content-Length: {len(event)}\r\n\r\n", event)
    assert status == 403
    status, _, _ = http_exchange(h, p, f"POST /events HTTP/1.1\r\nHost: {h}:{p}\r\n"
                                       "Content-Type: text/plain\r\n"
                                       f"Content-Length: {len(event)}\r\n\r\n", event)
    assert status == 415
    assert query(s, 'service = "csrf"') == []
    # riemann-dash on localhost: allowed, its origin echoed, never "*".
    sock = socket.create_connection((h, int(p)), timeout=10)
    sock.sendall(f"GET /index?query={q} HTTP/1.1\r\nHost: localhost:{p}\r\n"
                 "Origin: http://localhost:4567\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(4096)
    sock.close()
    assert data.startswith(b"HTTP/1.1 200")
    assert b"Access-Control-Allow-Origin: http://localhost:4567\r\n" in data
    assert b"Access-Control-Allow-Origin: *" not in data


def test_events_http_allowed_origins_are_configurable(serve):
    s = serve(BASE.replace("  http: 127.0.0.1:0\n", "  http:\n    listen: 127.0.0.1:0\n"
                           "    allowed_origins: [\"https://dash.example\"]\n"
                           "    allowed_hosts: [mon.example]\n"))
    h, p = hostport(s, "events-http")
    event = json.dumps({"host": "h1", "service": "dash", "metric": 1}).encode()
    status, _, body = http_exchange(h, p, f"POST /events HTTP/1.1\r\nHost: mon.example:{p}\r\n"
                                          "Origin: https://dash.example\r\n"
                                          "Content-Type: application/json\r\n"
                                          f"Content-Length: {len(event)}\r\n\r\n", event)
    assert status == 200, body
    wait_for(lambda: query(s, 'service = "dash"') != [], what="the posted event indexed")


@pytest.fixture
def carbon(tmp_path):
    """A private carbon-cache on loopback; yields (port, whisper dir)."""
    d = tmp_path / "carbon"
    (d / "storage" / "whisper").mkdir(parents=True)
    (d / "log").mkdir()
    port, pickle_port, query_port = free_port(), free_port(), free_port()
    (d / "storage-schemas.conf").write_text("[default]\npattern = .*\nretentions = 1s:1h\n")
    (d / "storage-aggregation.conf").write_text(
        "[default]\npattern = .*\nxFilesFactor = 0\naggregationMethod = average\n")
    (d / "carbon.conf").write_text(f"""[cache]
STORAGE_DIR = {d}/storage/
LOCAL_DATA_DIR = {d}/storage/whisper/
WHITELISTS_DIR = {d}/storage/lists/
CONF_DIR = {d}/
LOG_DIR = {d}/log/
PID_DIR = {d}/
ENABLE_LOGROTATION = False
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = {port}
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = {pickle_port}
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = {query_port}
ENABLE_TAGS = False
CARBON_METRIC_INTERVAL = 0
""")
    proc = subprocess.Popen(["carbon-cache", f"--config={d}/carbon.conf", "--nodaemon",
                             f"--pidfile={d}/carbon.pid", f"--logdir={d}/log", "start"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return proc.poll() is not None
    wait_for(up, timeout=30, what="carbon-cache listening")
    assert proc.poll() is None, "carbon-cache exited"
    yield port, d / "storage" / "whisper"
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def whisper_values(path):
    if not path.exists():
        return []
    r = subprocess.run(["whisper-fetch", "--from", str(int(time.time()) - 600), str(path)],
                       capture_output=True, text=True, timeout=10)
    values = []
    for line in r.stdout.splitlines():
        ts, value = line.split()
        if value != "None":
            values.append(float(value))
    return values


def test_carbon_cache_receives_forwarded_metrics(serve, carbon):
    port, whisper = carbon
    s = serve(BASE + f"""  graphite:
    host: 127.0.0.1:{port}
    flush_interval: 100ms
  streams:
    - index
    - where: 'metric'
      then: [graphite]
""")
    host, tport = hostport(s, "events-tcp")
    assert rc("send", "-h", "web1.example.com", "-S", "cpu user", "-i", "42", host,
              tport).returncode == 0
    assert rc("send", "-h", "web1.example.com", "-S", "load", "-d", "0.5", host,
              tport).returncode == 0
    # Riemann's path: reversed host labels, then the service words.
    wsp = whisper / "com" / "example" / "web1" / "cpu" / "user.wsp"
    assert wait_for(lambda: whisper_values(wsp), timeout=20, what=str(wsp)) == [42.0]
    wsp2 = whisper / "com" / "example" / "web1" / "load.wsp"
    assert wait_for(lambda: whisper_values(wsp2), timeout=20, what=str(wsp2)) == [0.5]
    assert metric(s, "vigie_events_graphite_lines_total") >= 2


def test_carbon_and_statsd_inputs_become_events(serve):
    s = serve(BASE + "  carbon: 127.0.0.1:0\n  statsd: 127.0.0.1:0\n  statsd_flush: 200ms\n")
    chost, cport = hostport(s, "events-carbon")
    c = socket.create_connection((chost, int(cport)), timeout=5)
    now = int(time.time())
    c.sendall(f"servers.web1.load 1.5 {now}\nbad line\nservers.web1.users 12 {now}\n".encode())
    c.close()
    got = wait_for(lambda: query(s, 'service = "servers.web1.users"'), what="carbon point")
    assert got[0]["metric_sint64"] == 12
    shost, sport = hostport(s, "events-statsd")
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(b"api.hits:1|c\napi.hits:1|c|@0.5\napi.time:20|ms\nbogus\n", (shost, int(sport)))
    got = wait_for(lambda: query(s, 'service = "api.hits"'), what="statsd flush")
    assert got[0]["metric_sint64"] == 3
    assert query(s, 'service = "api.time mean"')[0]["metric_sint64"] == 20
    assert metric(s, "vigie_events_statsd_bad_lines_total") == 1
    assert metric(s, "vigie_events_decode_errors_total") >= 1  # "bad line"


def test_malformed_frames_get_an_error_and_no_crash(serve):
    s = serve(BASE + "  max_frame: 1KiB\n")
    host, port = hostport(s, "events-tcp")
    sock = socket.create_connection((host, int(port)), timeout=5)
    # A truncated varint inside the message: an error reply, connection kept.
    sock.sendall(frame(b"\x32\x05\x22\x80"))
    reply = read_frame(sock)
    assert reply is not None and b"\x10\x00" in reply  # ok: false
    # Next message on the same connection still works (a query).
    sock.sendall(frame(b"\x2a\x06\x0a\x04true"))
    reply = read_frame(sock)
    assert reply is not None and reply.startswith(b"\x10\x01")  # ok: true
    # An oversized frame: an error naming the limit, then a clean close.
    sock.sendall(struct.pack(">I", 5000) + b"x" * 100)
    reply = read_frame(sock)
    assert b"exceeds the limit" in reply
    assert sock.recv(1) == b""
    sock.close()
    # Garbage UDP datagrams are counted and dropped.
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(b"\xff\xff\xff", (host, int(port)))
    wait_for(lambda: metric(s, "vigie_events_decode_errors_total") >= 2, what="decode errors")
    assert rc("send", "-h", "after", "-S", "x", host, port).returncode == 0
    assert s.proc.poll() is None


def test_overload_is_shed_with_a_counter(serve):
    s = serve(BASE + "  queue_events: 1\n")
    host, port = hostport(s, "events-tcp")
    # One event per message, 20,000 messages pipelined on 4 connections: the
    # queue of 1 overflows, the server answers "overloaded" for those.
    msg = frame(bytes.fromhex("32") + bytes([8]) + b"\x22\x01h\x1a\x01s\x68\x02")
    socks = [socket.create_connection((host, int(port)), timeout=10) for _ in range(4)]
    for so in socks:
        so.sendall(msg * 5000)
    errors = 0
    for so in socks:
        for _ in range(5000):
            reply = read_frame(so)
            if b"overloaded" in reply:
                errors += 1
        so.close()
    assert errors > 0
    assert metric(s, "vigie_events_shed_total") == errors
    assert s.proc.poll() is None


def _pb_varint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def _pb_bytes(field, data):
    return _pb_varint(field << 3 | 2) + _pb_varint(len(data)) + data


def riemann_event(host, service, description=b"", ttl=None):
    """An Event message (riemann.proto): host 4, service 3, description 5, ttl 8."""
    body = _pb_bytes(4, host.encode()) + _pb_bytes(3, service.encode())
    if description:
        body += _pb_bytes(5, description)
    if ttl is not None:
        body += _pb_varint(8 << 3 | 5) + struct.pack("<f", ttl)
    return body


def _peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_pipelined_queries_do_not_pile_up_their_replies(serve, monkeypatch):
    """200 queries in one write, each answered with about 1 MiB: the session
    writes as it goes instead of holding 200 MiB of replies for one read."""
    # Under ASan freed memory sits in a quarantine (256 MiB by default) and
    # counts in the peak RSS; a small one lets the measure mean the same as
    # in the release build. The release binary ignores the variable.
    monkeypatch.setenv("ASAN_OPTIONS", os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=1")
    s = serve(BASE)
    host, port = hostport(s, "events-tcp")
    sock = socket.create_connection((host, int(port)), timeout=30)
    big = b"d" * (200 * 1024)
    sock.sendall(frame(b"".join(_pb_bytes(6, riemann_event("h", f"p{i}", big, ttl=600.0))
                                for i in range(5))))
    assert read_frame(sock).startswith(b"\x10\x01")
    before = _peak_rss_mib(s.proc.pid)
    n = 200
    sock.sendall(frame(b"\x2a\x06\x0a\x04true") * n)
    buf = bytearray(1 << 20)
    answered = 0
    pending = bytearray()
    while answered < n:
        got = sock.recv_into(buf)
        assert got, f"closed after {answered} replies"
        pending += buf[:got]
        while len(pending) >= 4:
            (size,) = struct.unpack(">I", pending[:4])
            if len(pending) < 4 + size:
                break
            body = bytes(pending[4:4 + size])
            del pending[:4 + size]
            assert body.startswith(b"\x10\x01") and len(body) > 1000_000, body[:80]
            answered += 1
    sock.close()
    grown = _peak_rss_mib(s.proc.pid) - before
    assert grown < 64, f"peak RSS grew by {grown:.0f} MiB for {n} pipelined replies of 1 MiB"


def test_memory_is_bounded_by_bytes_not_counts(serve):
    """100 events of 64 KiB: the index stays within max_index_bytes (the events
    due soonest evicted and counted), and a query, a WebSocket or SSE snapshot,
    the Prometheus view or a POST reply over max_reply is an error naming the
    limit, not a copy of the index."""
    s = serve(BASE + "  max_index_bytes: 2MiB\n  max_reply: 256KiB\n")
    host, port = hostport(s, "events-tcp")
    sock = socket.create_connection((host, int(port)), timeout=10)
    big = b"d" * (64 * 1024)
    for batch in range(10):
        msg = b"".join(_pb_bytes(6, riemann_event("h", f"s{batch * 10 + i}", big,
                                                  ttl=1000.0 - batch * 10 - i))
                       for i in range(10))
        sock.sendall(frame(msg))
        assert read_frame(sock).startswith(b"\x10\x01")  # ok: true
    # `ok` means queued for the core: wait until all 100 are indexed or evicted.
    wait_for(lambda: metric(s, "vigie_events_index_evictions_total") +
             metric(s, "vigie_events_index_events") >= 100, what="every event indexed")
    assert 0 < metric(s, "vigie_events_index_bytes") <= 2 << 20
    kept = metric(s, "vigie_events_index_events")
    assert 20 <= kept <= 31
    assert metric(s, "vigie_events_index_evictions_total") == 100 - kept
    assert s.log_contains("index over max_index_bytes (2MiB)")
    # The last written and those due last (the longest TTLs) are kept.
    assert [e["service"] for e in query(s, 'service = "s99"')] == ["s99"]
    assert [e["service"] for e in query(s, 'service = "s0"')] == ["s0"]
    assert query(s, 'service = "s98"') == []
    # A query whose answer is over max_reply: ok false, the limit named.
    r = rc("query", "true", host, port)
    assert r.returncode == 1
    assert "over the reply limit of 256KiB (events.max_reply)" in r.stderr, r.stderr
    # The same over the raw protocol: Msg{ok: false, error}.
    sock.sendall(frame(b"\x2a\x06\x0a\x04true"))
    reply = read_frame(sock)
    assert reply.startswith(b"\x10\x00") and b"events.max_reply" in reply
    sock.close()
    refused = metric(s, "vigie_events_replies_refused_total")
    assert refused == 2
    # WebSocket and SSE snapshots, and the Prometheus view.
    hhost, hport = hostport(s, "events-http")
    ws = WebSocket(hhost, hport, "/index?subscribe=true&query=true")
    op, payload = ws.recv()
    assert op == 1 and "events.max_reply" in json.loads(payload)["error"]
    op, _ = ws.recv()
    assert op == 8  # closed
    ws.close()
    status, _, body = http_exchange(hhost, hport, "GET /index?query=true HTTP/1.1\r\n"
                                    "Host: localhost\r\n\r\n")
    assert status == 400 and b"events.max_reply" in body
    status, body, _ = served_get(hhost, hport, "/metrics?query=true")
    assert status == 400 and "events.max_reply" in body
    assert metric(s, "vigie_events_replies_refused_total") == refused + 3
    assert metric(s, "vigie_events_subscribers") == 0
    # A POST whose reply (an error line per bad line) would pass max_reply.
    req = urllib.request.Request(f"http://{hhost}:{hport}/events", data=b"x\n" * 20000,
                                 method="POST", headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 413 and b"events.max_reply" in err.value.read()
    # Narrow queries and small posts still work.
    assert rc("send", "-h", "after", "-S", "x", host, port).returncode == 0
    assert query(s, 'host = "after"')[0]["service"] == "x"
    assert s.proc.poll() is None


def served_get(host, port, path):
    try:
        with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=10) as resp:
            return resp.status, resp.read().decode(), resp.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers


class _Hook:
    """A stdlib HTTP server recording webhook POSTs; answers `status`."""

    def __init__(self):
        import http.server
        import threading
        hook = self
        self.bodies = []
        self.headers = []
        self.status = 200

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (stdlib name)
                n = int(self.headers["Content-Length"])
                body = self.rfile.read(n)
                hook.headers.append(dict(self.headers))
                code = hook.status
                if code == 200:
                    hook.bodies.append(json.loads(body))
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self):
        return [e for batch in self.bodies for e in batch]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_webhook_posts_batches_and_retries_after_a_server_error(serve):
    hook = _Hook()
    hook.status = 503  # the first attempts fail: the batch is kept and resent
    try:
        s = serve(BASE + f"""  webhook:
    url: http://127.0.0.1:{hook.port}/alerts
    batch: 10
    flush_interval: 100ms
    backoff_min: 100ms
    backoff_max: 200ms
    headers:
      Authorization: Bearer s3cret-token
  streams:
    - index
    - where: 'state = "critical"'
      then: [webhook]
""")
        host, port = hostport(s, "events-tcp")
        assert rc("send", "-h", "db1", "-S", "disk", "-s", "critical", "-i", "97",
                  host, port).returncode == 0
        assert rc("send", "-h", "db1", "-S", "load", "-s", "ok", host, port).returncode == 0
        wait_for(lambda: metric(s, "vigie_events_webhook_failures_total") >= 2,
                 what="failed webhook attempts")
        assert hook.events() == []
        hook.status = 200
        wait_for(lambda: len(hook.events()) == 1, what="webhook delivery after recovery")
        e = hook.events()[0]
        assert (e["host"], e["service"], e["state"], e["metric"]) == ("db1", "disk", "critical", 97)
        assert hook.headers[-1]["Authorization"] == "Bearer s3cret-token"
        assert hook.headers[-1]["Content-Type"] == "application/json"
        assert metric(s, "vigie_events_webhook_events_total") == 1
        # A 4xx refuses the batch for good: dropped and counted, not resent.
        hook.status = 400
        assert rc("send", "-h", "db2", "-S", "disk", "-s", "critical", host, port).returncode == 0
        wait_for(lambda: metric(s, "vigie_events_webhook_dropped_total") == 1,
                 what="refused batch dropped")
        assert "s3cret-token" not in s.stderr()
    finally:
        hook.close()


def test_webhook_config_errors_name_the_field(tmp_path):
    from vigie_harness import run_vigie
    cfg = tmp_path / "v.yaml"
    cfg.write_text("events:\n  webhook:\n    url: https://example.invalid/x\n")
    r = run_vigie("check", "-c", str(cfg))
    assert r.returncode == 1
    assert f"{cfg}:3:10: events.webhook.url: https webhooks are not supported" in r.stdout
    cfg.write_text("events:\n  streams: [webhook]\n")
    r = run_vigie("check", "-c", str(cfg))
    assert r.returncode == 1
    assert "no sink named \"webhook\"" in r.stdout and "events.webhook section" in r.stdout


def test_prometheus_view_of_the_index_passes_promtool(serve):
    s = serve(BASE)
    host, port = hostport(s, "events-tcp")
    assert rc("send", "-h", "web1", "-S", 'http "req"', "-s", "ok", "-d", "2.5",
              host, port).returncode == 0
    assert rc("send", "-h", "web2", "-S", "http req", "-i", "7", host, port).returncode == 0
    assert rc("send", "-h", "web3", "-S", "no metric", host, port).returncode == 0
    hhost, hport = hostport(s, "events-http")
    wait_for(lambda: len(query(s, "true")) == 3, what="three events indexed")
    with urllib.request.urlopen(f"http://{hhost}:{hport}/metrics", timeout=5) as resp:
        text = resp.read().decode()
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert 'riemann_metric{host="web1",service="http \\"req\\"",state="ok"} 2.5' in text
    assert 'riemann_metric{host="web2",service="http req",state=""} 7' in text
    assert "no metric" not in text
    check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    q = urllib.request.quote('host = "web2"')
    with urllib.request.urlopen(f"http://{hhost}:{hport}/metrics?query={q}", timeout=5) as resp:
        filtered = resp.read().decode()
    assert "web2" in filtered and "web1" not in filtered
    try:
        urllib.request.urlopen(f"http://{hhost}:{hport}/metrics?query=" +
                               urllib.request.quote("host = "), timeout=5)
        raise AssertionError("a bad query must be refused")
    except urllib.error.HTTPError as e:
        assert e.code == 400 and "parse error" in e.read().decode()


def test_self_telemetry_publishes_every_components_metrics(serve):
    s = serve(BASE + "  self_telemetry: 200ms\n")
    wait_for(lambda: len(query(s, 'service = "vigie events received_total"')) == 1,
             what="self-telemetry event")
    e = query(s, 'service = "vigie events received_total"')[0]
    assert "vigie" in e["tags"] and e["state"] == "ok"
    assert e["ttl"] == pytest.approx(0.4)
    # Core metrics (not a component's) appear under "vigie core ...".
    assert query(s, 'service =~ "vigie core %" and tagged "vigie"')
    assert metric(s, "vigie_events_self_telemetry_events_total") > 0


def test_index_survives_reload_and_restart_with_a_snapshot(serve, tmp_path):
    snap = tmp_path / "index.snapshot"
    cfg = BASE + f"  ttl: 1h\n  snapshot: {snap}\n  self_telemetry: off\n"
    s = serve(cfg)
    host, port = hostport(s, "events-tcp")
    for i in range(5):
        assert rc("send", "-h", f"h{i}", "-S", "cpu", "-i", str(i), host, port).returncode == 0
    wait_for(lambda: len(query(s, 'service = "cpu"')) == 5, what="5 events indexed")
    # Reload with a changed stream: the index is kept.
    s.config_path.write_text(cfg + "  streams: [index, log]\n")
    status, body, _ = s.http("POST", "/reload")
    assert status == 200, body
    assert len(query(s, 'service = "cpu"')) == 5
    assert s.stop() == 0
    assert snap.exists()
    assert "5 events written" in s.stderr()
    s2 = serve(cfg, name="again.yaml")
    got = sorted((e["host"], e["metric_sint64"]) for e in query(s2, 'service = "cpu"'))
    assert got == [(f"h{i}", i) for i in range(5)]
    # A damaged snapshot does not stop the server.
    s2.stop()
    snap.write_bytes(b"\x00garbage" * 10)
    s3 = serve(cfg, name="third.yaml")
    assert query(s3, 'service = "cpu"') == []
    wait_for(lambda: s3.log_contains("index snapshot"), what="snapshot error logged")


def test_collectd_write_riemann_reaches_the_index(serve, tmp_path):
    """collectd's own write_riemann plugin (Debian collectd-core), unchanged."""
    s = serve(BASE)
    host, port = hostport(s, "events-tcp")
    conf = tmp_path / "collectd.conf"
    conf.write_text(f"""Hostname "collectd-test"
FQDNLookup false
BaseDir "{tmp_path}"
PIDFile "{tmp_path}/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
Interval 1
LoadPlugin load
LoadPlugin write_riemann
<Plugin write_riemann>
  <Node "vigie">
    Host "{host}"
    Port "{port}"
    Protocol TCP
    Batch false
  </Node>
  Tag "collectd"
</Plugin>
""")
    proc = subprocess.Popen(["collectd", "-f", "-C", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        # write_riemann sends "load/load/shortterm" etc. with ttl = 2 x Interval.
        wait_for(lambda: len(query(s, 'host = "collectd-test" and service =~ "load/load/%"'))
                 == 3, timeout=20, what="collectd load events")
        events = query(s, 'host = "collectd-test" and tagged "collectd"')
        assert {e["service"] for e in events} >= {"load/load/shortterm", "load/load/midterm",
                                                  "load/load/longterm"}
        assert all("metric_d" in e and e["attributes"]["plugin"] == "load" for e in events)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:  # its write threads may hang on exit
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def pki(tmp_path):
    """A CA, a server certificate for 127.0.0.1/localhost and a client
    certificate signed by it, and a self-signed client nobody trusts. Keys
    are PKCS#8 PEM, as Riemann's TLS server wants them."""
    return make_pki(tmp_path / "pki",
                    [("server", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
                     ("client", "extendedKeyUsage=clientAuth")],
                    self_signed=["rogue"])


def tls_config(pki, extra=""):
    return BASE + (f"  tls:\n    listen: 127.0.0.1:0\n    cert: {pki}/server.pem\n"
                   f"    key: {pki}/server.key\n    ca_cert: {pki}/ca.pem\n") + extra


def test_riemann_over_tls_with_client_certificates(serve, pki):
    """riemann-client -G (GnuTLS) against the TLS listener, as with Riemann's
    5554: a client certificate signed by the CA is required."""
    s = serve(tls_config(pki, "  self_telemetry: off\n"))
    host, port = s.listeners["events-tls"].rsplit(":", 1)
    opts = ["-o", f"cafile={pki}/ca.pem", "-o", f"certfile={pki}/client.pem",
            "-o", f"keyfile={pki}/client.key"]
    r = rc("send", "-G", *opts, "-h", "tls1", "-S", "secure", "-i", "7", host, port)
    assert r.returncode == 0, r.stderr
    r = rc("query", 'host = "tls1"', "-G", "-j", *opts, host, port)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    assert [(e["service"], e["metric_sint64"]) for e in got] == [("secure", 7)]
    # The plain listener sees the same index.
    assert query(s, 'host = "tls1"')[0]["service"] == "secure"

    # A client whose certificate the CA did not sign, and one with none, are
    # refused at the handshake and counted; the server goes on.
    import ssl
    for cert in ["rogue", None]:
        ctx = ssl.create_default_context(cafile=str(pki / "ca.pem"))
        if cert:
            ctx.load_cert_chain(str(pki / f"{cert}.pem"), str(pki / f"{cert}.key"))
        with pytest.raises((ssl.SSLError, ConnectionError)):
            with socket.create_connection((host, int(port)), timeout=5) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as t:
                    # TLS 1.3: the server's verdict on the client certificate
                    # arrives after the client's handshake; a read sees it.
                    t.sendall(frame(b""))
                    if not t.recv(1):
                        raise ConnectionError("closed")
    wait_for(lambda: metric(s, "vigie_events_tls_handshake_failures_total") >= 2,
             what="handshake failures counted")
    assert s.log_contains("events-tls: handshake with 127.0.0.1:")
    # Plain Riemann protocol on the TLS port is not served.
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(frame(b"\x1a\x00"))
        raw.settimeout(5)
        assert not raw.recv(4096).startswith(b"\x00")
    r = rc("send", "-G", *opts, "-h", "tls2", "-S", "secure", host, port)
    assert r.returncode == 0, r.stderr


def test_a_flood_of_failed_tls_handshakes_writes_few_log_lines(serve, pki):
    """Each failed handshake is counted; the log gets at most 10 lines a
    second, then the count of those left out (a scanner cannot fill it)."""
    s = serve(tls_config(pki, "  self_telemetry: off\n"))
    host, port = s.listeners["events-tls"].rsplit(":", 1)
    start = time.monotonic()
    for _ in range(200):
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            raw.sendall(b"GET / HTTP/1.0\r\n\r\n")  # not a ClientHello
            raw.settimeout(5)
            try:
                raw.recv(100)
            except OSError:
                pass
    wait_for(lambda: metric(s, "vigie_events_tls_handshake_failures_total") >= 200,
             what="every failed handshake counted")
    seconds = time.monotonic() - start
    lines = [l for l in s.stderr_lines if "events-tls: handshake with" in l]
    assert 1 <= len(lines) <= 10 * (int(seconds) + 2), (len(lines), seconds)
    time.sleep(1.1)  # moves to the next one-second window; not a readiness wait
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(b"x" * 16)
        raw.settimeout(5)
        try:
            raw.recv(100)
        except OSError:
            pass
    wait_for(lambda: any("events-tls: handshake with" in l and "similar lines suppressed" in l
                         for l in s.stderr_lines), what="the suppressed count")


def test_tls_reload_with_a_bad_key_keeps_the_running_certificate(serve, pki):
    s = serve(tls_config(pki, "  self_telemetry: off\n"))
    host, port = s.listeners["events-tls"].rsplit(":", 1)
    s.config_path.write_text(tls_config(pki).replace("server.key", "missing.key"))
    status, body, _ = s.http("POST", "/reload")
    assert status != 200
    assert "events.tls.key" in body and "missing.key" in body, body
    opts = ["-o", f"cafile={pki}/ca.pem", "-o", f"certfile={pki}/client.pem",
            "-o", f"keyfile={pki}/client.key"]
    r = rc("send", "-G", *opts, "-h", "tls3", "-S", "after-reload", host, port)
    assert r.returncode == 0, r.stderr
    assert query(s, 'host = "tls3"')[0]["service"] == "after-reload"
