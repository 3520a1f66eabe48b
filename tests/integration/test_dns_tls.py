# ctest-labels: peer
"""DNS-over-TLS upstreams (RFC 7858) end to end: unbound, started by the test
on loopback with a self-signed certificate made by the openssl CLI in the
test's tmp dir, serves local-data on its TLS port only; vigie forwards to it
over TLS. A wrong CA or a wrong name fails cleanly (SERVFAIL + a log line).
Nothing leaves 127.0.0.1."""
import re
import shutil
import socket
import signal
import subprocess
import threading
import time

import pytest

from vigie_harness import dns_yaml, start_dns, wait_for
from test_dns import dig, free_port

UNBOUND = shutil.which("unbound") or "/usr/sbin/unbound"
pytestmark = pytest.mark.skipif(
    not (shutil.which("openssl") and shutil.which("dig") and shutil.which(UNBOUND)),
    reason="needs unbound, openssl and dig (apt-get install unbound openssl bind9-dnsutils)")


def make_cert(directory, name, cn, sans):
    key, pem = directory / f"{name}.key", directory / f"{name}.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-keyout", str(key),
                    "-out", str(pem), "-subj", f"/CN={cn}", "-addext",
                    f"subjectAltName={sans}"], check=True, capture_output=True, timeout=30)
    return key, pem


class UnboundDot:
    """unbound answering only on its TLS port (tls-port + interface@port)."""

    def __init__(self, workdir, slow_port=None):
        self.dir = workdir
        # Forward slow.vigie.test there, over UDP (which unbound then also
        # serves on its port: only the drain test asks for it).
        self.slow_port = slow_port
        self.dir.mkdir()
        self.key, self.pem = make_cert(self.dir, "server", "dot.vigie.test",
                                       "DNS:dot.vigie.test,IP:127.0.0.1")
        for _ in range(5):
            self.port = free_port()
            if self._start():
                return
        raise AssertionError("unbound did not start (5 ports tried); see " + str(self.dir))

    def _start(self):
        conf = self.dir / "unbound.conf"
        conf.write_text(f"""server:
  interface: 127.0.0.1@{self.port}
  tls-port: {self.port}
  tls-service-key: "{self.key}"
  tls-service-pem: "{self.pem}"
  do-udp: {"yes" if self.slow_port else "no"}
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "{self.dir}"
  pidfile: "{self.dir}/unbound.pid"
  use-syslog: no
  logfile: "{self.dir}/unbound.log"
  verbosity: 1
  num-threads: 1
  so-reuseport: no
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  local-zone: "tls.vigie.test." static
  local-data: "www.tls.vigie.test. 300 IN A 10.9.9.9"
  local-data: "www.tls.vigie.test. 300 IN AAAA fd00::9"
  do-not-query-localhost: no
  local-zone: "test." nodefault
remote-control:
  control-enable: no
""" + (f"""forward-zone:
  name: "slow.vigie.test."
  forward-addr: 127.0.0.1@{self.slow_port}
""" if self.slow_port else ""))
        self.proc = subprocess.Popen([UNBOUND, "-d", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)

        def listening():
            if self.proc.poll() is not None:
                return True  # exited (port taken meanwhile): retried below
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return True
            except OSError:
                return False
        wait_for(listening, timeout=30, what="unbound's TLS port")
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def unbound(tmp_path):
    u = UnboundDot(tmp_path / "unbound")
    yield u
    u.stop()


def config(upstream, workers=2):
    return dns_yaml(upstream, """  upstream_timeout: 2s
  cache: {enabled: false}
""", workers)


def start(serve, upstream, workers=2):
    return start_dns(serve, config(upstream, workers))


def metric(served, name):
    _, body, _ = served.http("GET", "/metrics")
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", body, re.M)
    return float(m.group(1)) if m else 0.0


def test_plain_dns_is_not_served_on_the_tls_port(unbound):
    # The peer speaks only TLS there: plain DNS over UDP or TCP gets nothing.
    assert dig(unbound.port, "www.tls.vigie.test", timeout=1)["status"] == "TIMEOUT"
    plain_tcp = dig(unbound.port, "www.tls.vigie.test", tcp=True, timeout=1)
    assert plain_tcp["status"] != "NOERROR"


def test_answers_arrive_over_tls_on_one_reused_connection(unbound, serve):
    s = start(serve, f'{{address: "127.0.0.1:{unbound.port}", '
                     f'tls: {{server_name: dot.vigie.test, ca_file: "{unbound.pem}"}}}}')
    res = dig(s.dns_port, "www.tls.vigie.test")
    assert res["status"] == "NOERROR", res["raw"]
    assert [a[3] for a in res["answers"]] == ["10.9.9.9"]
    for i in range(20):
        qtype = "AAAA" if i % 2 else "A"
        r = dig(s.dns_port, "www.tls.vigie.test", qtype, tcp=(i % 3 == 0))
        assert r["status"] == "NOERROR" and r["answers"], r["raw"]
    # Cache off: every query went upstream, over at most one TLS connection
    # per worker.
    assert metric(s, "vigie_dns_upstream_queries_total") >= 21
    assert 1 <= metric(s, "vigie_dns_upstream_tls_handshakes_total") <= 2
    assert metric(s, "vigie_dns_upstream_tls_failures_total") == 0


def test_pipelined_burst_over_one_connection(unbound, serve):
    s = start(serve, f'"tls://127.0.0.1:{unbound.port}#dot.vigie.test"'
                     f'\n  tls_idle_timeout: 30s')
    # The certificate is checked against the system store here: unknown CA.
    assert dig(s.dns_port, "www.tls.vigie.test")["status"] == "SERVFAIL"
    wait_for(lambda: s.log_contains("certificate verify failed"), what="TLS error logged")
    s.stop()
    s = start(serve, f'{{address: "127.0.0.1:{unbound.port}", tls: {{server_name: '
                     f'dot.vigie.test, ca_file: "{unbound.pem}"}}}}')
    # 50 questions at once over UDP: the worker pipelines them on its connection.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
        for i in range(50):
            q = (i.to_bytes(2, "big") + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" +
                 b"\x03www\x03tls\x05vigie\x04test\x00" + (b"\x00\x01" if i % 2 else b"\x00\x1c") +
                 b"\x00\x01")
            c.sendto(q, ("127.0.0.1", s.dns_port))
        c.settimeout(5)
        ids = set()
        while len(ids) < 50:
            reply = c.recv(4096)
            assert reply[3] & 0x0F == 0
            ids.add(int.from_bytes(reply[:2], "big"))
    assert metric(s, "vigie_dns_upstream_tls_handshakes_total") <= 2


def test_wrong_ca_fails_cleanly(tmp_path, unbound, serve):
    _, other_ca = make_cert(tmp_path, "other", "other.vigie.test", "DNS:other.vigie.test")
    s = start(serve, f'{{address: "127.0.0.1:{unbound.port}", '
                     f'tls: {{server_name: dot.vigie.test, ca_file: "{other_ca}"}}}}')
    started = time.monotonic()
    res = dig(s.dns_port, "www.tls.vigie.test")
    assert res["status"] == "SERVFAIL", res["raw"]
    assert time.monotonic() - started < 2.5  # fails at the handshake, not by timeout
    wait_for(lambda: s.log_contains("certificate verify failed"), what="TLS error logged")
    assert metric(s, "vigie_dns_upstream_tls_failures_total") >= 1


def test_wrong_name_fails_and_ip_identity_works(unbound, serve):
    s = start(serve, f'{{address: "127.0.0.1:{unbound.port}", '
                     f'tls: {{server_name: wrong.vigie.test, ca_file: "{unbound.pem}"}}}}')
    assert dig(s.dns_port, "www.tls.vigie.test")["status"] == "SERVFAIL"
    wait_for(lambda: s.log_contains("certificate verify failed"), what="name mismatch logged")
    s.stop()
    # No server_name: the certificate must carry the IP (it does).
    s = start(serve, f'{{address: "127.0.0.1:{unbound.port}", tls: {{ca_file: "{unbound.pem}"}}}}')
    assert dig(s.dns_port, "www.tls.vigie.test")["status"] == "NOERROR"


def test_idle_connection_closes_and_the_next_query_reconnects(unbound, serve):
    s = start(serve, f'{{address: "127.0.0.1:{unbound.port}", tls: {{server_name: '
                     f'dot.vigie.test, ca_file: "{unbound.pem}"}}}}\n  tls_idle_timeout: 300ms',
              workers=1)
    assert dig(s.dns_port, "www.tls.vigie.test")["status"] == "NOERROR"
    assert dig(s.dns_port, "www.tls.vigie.test", "AAAA")["status"] == "NOERROR"
    assert metric(s, "vigie_dns_upstream_tls_handshakes_total") == 1

    def reconnected():
        assert dig(s.dns_port, "www.tls.vigie.test")["status"] == "NOERROR"
        return metric(s, "vigie_dns_upstream_tls_handshakes_total") == 2
    wait_for(reconnected, timeout=10, interval=0.6, what="a new TLS connection after idle")
    assert metric(s, "vigie_dns_upstream_tls_failures_total") == 0


class SlowAuthority:
    """A UDP nameserver answering every A query with 10.7.7.7 after
    `delay` seconds, counting the queries it got."""

    def __init__(self, delay):
        self.delay = delay
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.queries = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            self.queries += 1
            threading.Timer(self.delay, self._answer, args=(data, peer)).start()

    def _answer(self, q, peer):
        # Header: same ID, QR AA RA, one question, one answer; the question
        # copied; the answer a pointer to it, A 10.7.7.7, TTL 60.
        end = 12
        while q[end] != 0:
            end += q[end] + 1
        question = q[12:end + 5]
        reply = (q[:2] + b"\x85\x80" + b"\x00\x01\x00\x01\x00\x00\x00\x00" + question +
                 b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([10, 7, 7, 7]))
        try:
            self.sock.sendto(reply, peer)
        except OSError:
            pass

    def close(self):
        self.sock.close()


def test_sigterm_drains_queries_waiting_on_a_tls_upstream(tmp_path, serve):
    """A query waiting on the DNS-over-TLS connection when SIGTERM comes gets
    its answer; the connection closes after it (before, the drain closed it
    at once and the query failed)."""
    slow = SlowAuthority(delay=0.3)  # unbound retries a silent upstream after ~0.4 s
    u = UnboundDot(tmp_path / "unbound", slow_port=slow.port)
    try:
        s = start(serve, f'{{address: "127.0.0.1:{u.port}", '
                         f'tls: {{server_name: dot.vigie.test, ca_file: "{u.pem}"}}}}', workers=1)
        # One query opens the TLS connection.
        assert dig(s.dns_port, "www.tls.vigie.test")["status"] == "NOERROR"
        results = {}

        def ask(name, tcp):
            results[(name, tcp)] = dig(s.dns_port, name, tcp=tcp, timeout=6)

        askers = [threading.Thread(target=ask, args=(f"q{i}.slow.vigie.test", i % 2 == 1))
                  for i in range(4)]
        for t in askers:
            t.start()
        wait_for(lambda: slow.queries >= 4, timeout=10, what="the queries at the slow authority")
        s.signal(signal.SIGTERM)
        for t in askers:
            t.join(15)
        for key, r in results.items():
            assert r["status"] == "NOERROR" and [a[3] for a in r["answers"]] == ["10.7.7.7"], \
                (key, r["raw"])
        assert len(results) == 4
        assert s.wait_exit(10) == 0
    finally:
        u.stop()
        slow.close()
