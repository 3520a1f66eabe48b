"""egress: the DNS proxy mode and the userspace redirect engine, end to end.

Destinations are small TCP/UDP servers started here on 127.0.0.x; each greets
with its name and the source address it sees, then echoes. Names resolve
through a private hosts file (re-read at a short interval) or a dnsmasq
started on a loopback port with a 1 s TTL.
"""
import getpass
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from vigie_harness import Served, free_port, free_port_both, run_vigie, wait_for


class TcpDest:
    """Greets with "<name> <peer-ip>\\n", then echoes."""

    def __init__(self, name, host="127.0.0.1", port=0):
        self.name = name
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.peers = []
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, peer = self.sock.accept()
            except OSError:
                return
            self.peers.append(peer[0])
            self.conns.append(c)
            threading.Thread(target=self._serve, args=(c, peer), daemon=True).start()

    def _serve(self, c, peer):
        try:
            c.sendall(f"{self.name} {peer[0]}\n".encode())
            while True:
                data = c.recv(4096)
                if not data:
                    break
                c.sendall(data)
        except OSError:
            pass
        finally:
            c.close()

    def close(self):
        self.sock.close()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


class UdpDest:
    """Answers each datagram with "<name> <peer-ip> <data>"."""

    def __init__(self, name, host="127.0.0.1", port=0):
        self.name = name
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(65536)
            except OSError:
                return
            self.sock.sendto(f"{self.name} {peer[0]} ".encode() + data, peer)

    def close(self):
        self.sock.close()


def greet(port, host="127.0.0.1", send=b"ping"):
    """Connects, returns (greeting line, echo of `send`)."""
    with socket.create_connection((host, port), timeout=5) as s:
        f = s.makefile("rb")
        line = f.readline().decode().strip()
        s.sendall(send)
        echo = b""
        while len(echo) < len(send):
            chunk = s.recv(4096)
            if not chunk:
                break
            echo += chunk
        return line, echo


def udp_ask(port, data=b"hi", host="127.0.0.1", sock=None):
    own = sock is None
    s = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(5)
        s.sendto(data, (host, port))
        return s.recv(65536).decode()
    finally:
        if own:
            s.close()


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("EGRESS_")}
    env.update(extra)
    return env


def metric(served, name, **labels):
    """The value of one series on /metrics, or None."""
    _, text, _ = served.http("GET", "/metrics")
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


# --- DNS proxy -----------------------------------------------------------------

def test_dns_proxy_environment_errors_are_upstreams():
    r = run_vigie("egress", env=clean_env(EGRESS_ROUTER_MODE="dns-proxy"))
    assert (r.returncode, r.stderr.strip()) == (1, "Must specify EGRESS_DNS_PROXY_DESTINATION")
    r = run_vigie("egress", env=clean_env(EGRESS_DNS_PROXY_DESTINATION="80 1.2.3.4\nfoo\n"))
    assert (r.returncode, r.stderr.strip()) == (1, "Bad destination 'foo'")
    r = run_vigie("egress", env=clean_env(EGRESS_DNS_PROXY_DESTINATION="80 a.test\n80 b.test"))
    assert (r.returncode, r.stderr.strip()) == (
        1, "Proxy port 80 already used, must be unique for each destination")


def two_address_name(tmp_path, name):
    """Destinations A (127.0.0.2) and B (127.0.0.3) on one port, and a hosts
    file giving `name` both addresses."""
    a = TcpDest("A", "127.0.0.2")
    b = TcpDest("B", "127.0.0.3", a.port)
    hosts = tmp_path / "hosts"
    hosts.write_text(f"127.0.0.2 {name}\n127.0.0.3 {name}\n")
    return a, b, hosts


def test_dns_proxy_spreads_over_a_name_and_follows_its_changes(tmp_path):
    a, b, hosts = two_address_name(tmp_path, "spread.test")
    direct = TcpDest("D", "127.0.0.1")
    p_addr, p_name = free_port(), free_port()
    s = None
    try:
        env = clean_env(EGRESS_ROUTER_MODE="dns-proxy",
                        EGRESS_DNS_PROXY_DESTINATION=(
                            f"# the seed's two forms\n{p_addr} 127.0.0.1 {direct.port}\n\n"
                            f"{p_name} spread.test {a.port}\n"))
        s = Served(["egress", "--admin", "127.0.0.1:0", "--hosts-file", str(hosts),
                    "--refresh-interval", "300ms"], env=env).wait_ready()
        assert s.listeners[f"egress-dns-proxy-tcp-{p_addr}"] == f"127.0.0.1:{p_addr}"
        assert greet(p_addr) == ("D 127.0.0.1", b"ping")
        # Round-robin over the two A records.
        seen = [greet(p_name)[0].split()[0] for _ in range(6)]
        assert seen.count("A") == 3 and seen.count("B") == 3, seen
        assert metric(s, "vigie_egress_line_connections_total", mode="dns-proxy",
                      port=str(p_name), destination=f"spread.test:{a.port}") == 6
        # The answer changes: picked up after the re-read interval.
        hosts.write_text("127.0.0.3 spread.test\n")
        wait_for(lambda: all(greet(p_name)[0].startswith("B") for _ in range(3)),
                 what="new hosts answer")
        wait_for(lambda: s.log_contains("spread.test now resolves to 127.0.0.3"), what="log")
        # A dead address (127.0.0.4 has no listener): the active check of the
        # new address finds it (upstream's haproxy `check`, on by default),
        # and every connection still reaches B.
        hosts.write_text("127.0.0.4 spread.test\n127.0.0.3 spread.test\n")
        wait_for(lambda: s.log_contains("now resolves to 127.0.0.4, 127.0.0.3"), what="reread")
        wait_for(lambda: s.log_contains(f"127.0.0.4:{a.port} (spread.test) is DOWN: "
                                        "Connection refused"), what="check of the new address")
        assert [greet(p_name)[0].split()[0] for _ in range(4)] == ["B"] * 4
        # Connection log on close.
        wait_for(lambda: s.log_contains(f"egress dns-proxy tcp 127.0.0.1:"), what="conn log")
        assert any(re.search(rf"-> line 4 \({p_name} spread.test {a.port}\) -> 127.0.0.3:{a.port} "
                             r"in=4 out=\d+ duration=\S+s end=closed", l)
                   for l in s.stderr_lines), s.stderr()
    finally:
        if s:
            s.stop()
        for d in (a, b, direct):
            d.close()


@pytest.mark.skipif(shutil.which("dnsmasq") is None, reason="needs dnsmasq (dnsmasq-base)")
def test_dns_proxy_respects_the_ttl_of_a_dns_answer(serve, tmp_path):
    """dnsmasq answers with TTL 1; a changed answer is used once it expires."""
    a = TcpDest("A", "127.0.0.2")
    b = TcpDest("B", "127.0.0.3", a.port)
    dns_port = free_port_both()  # dnsmasq binds TCP and UDP
    addn = tmp_path / "addn-hosts"
    addn.write_text("127.0.0.2 ttl.test\n")
    dnsmasq = subprocess.Popen(
        ["dnsmasq", "-k", "--conf-file=/dev/null", "--no-resolv", "--no-hosts", "--no-poll",
         f"--port={dns_port}", "--listen-address=127.0.0.1", "--bind-interfaces",
         f"--pid-file={tmp_path / 'dnsmasq.pid'}", f"--addn-hosts={addn}", "--local-ttl=1",
         # It reads its hosts files after dropping privileges; the test's
         # tmp dir is private to this user.
         f"--user={getpass.getuser()}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        port = free_port()
        s = serve(f"""
admin: {{listen: "127.0.0.1:0"}}
egress:
  dns_proxy:
    nameservers: ["127.0.0.1:{dns_port}"]
    destination: "{port} ttl.test {a.port}"
""")
        wait_for(lambda: greet(port)[0].startswith("A"), what="first answer")
        addn.write_text("127.0.0.3 ttl.test\n")
        dnsmasq.send_signal(signal.SIGHUP)  # dnsmasq re-reads its hosts files
        start = time.monotonic()
        wait_for(lambda: greet(port)[0].startswith("B"), timeout=10, what="answer after TTL")
        assert time.monotonic() - start < 5
        assert metric(s, "vigie_egress_forward_resolve_changes_total", mode="dns-proxy") >= 1
    finally:
        dnsmasq.terminate()
        dnsmasq.wait(10)
        a.close()
        b.close()


# --- active health checks ------------------------------------------------------

def log_count(served, text):
    with served._lock:
        return sum(text in line for line in served.stderr_lines)


def refused_connect(port):
    """A client connection the forwarder closes without a greeting."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.settimeout(5)
        return c.recv(10) == b""


def test_dns_proxy_health_checks_steer_new_connections(serve, tmp_path):
    """Two addresses behind one name, checked every 200 ms (rise 2, fall 3):
    a dead one stops getting connections before any connection tries it, and
    gets them again once it passes `rise` checks."""
    a, b, hosts = two_address_name(tmp_path, "hc.test")
    port = free_port()
    addr_a, addr_b = f"127.0.0.2:{a.port}", f"127.0.0.3:{a.port}"
    try:
        s = serve(f"""
admin: {{listen: "127.0.0.1:0"}}
egress:
  dns_proxy:
    hosts_file: "{hosts}"
    health_check: {{interval: 200ms, rise: 2, fall: 3}}
    destination: "{port} hc.test {a.port}"
""")

        def up(address):
            return metric(s, "vigie_egress_address_up", mode="dns-proxy", address=address)

        def failures(address):
            return metric(s, "vigie_egress_address_check_failures_total", address=address)

        def line_failures():
            return metric(s, "vigie_egress_line_connect_failures_total", port=str(port))

        wait_for(lambda: s.log_contains(f"health check of {addr_a} (hc.test) passed, status 3/3 UP")
                 and s.log_contains(f"health check of {addr_b} (hc.test) passed"),
                 what="first checks")
        assert up(addr_a) == 1 and up(addr_b) == 1
        seen = [greet(port)[0].split()[0] for _ in range(4)]
        assert sorted(seen) == ["A", "A", "B", "B"], seen

        # A dies. Nothing connects through the forwarder meanwhile: only the
        # checks can find out. Fully UP, it takes `fall` failed checks.
        a.close()
        wait_for(lambda: s.log_contains(f"{addr_a} (hc.test) is DOWN: Connection refused, "
                                        "status 0/2 DOWN"), what="A DOWN")
        assert s.log_contains(f"health check of {addr_a} (hc.test) failed: Connection refused, "
                              "status 2/3 UP"), s.stderr()
        assert failures(addr_a) >= 3
        assert up(addr_a) == 0 and up(addr_b) == 1
        assert metric(s, "vigie_egress_forward_health_changes_total", mode="dns-proxy") == 1
        # New connections all go to B, and none even tried A.
        before = line_failures()
        assert [greet(port)[0].split()[0] for _ in range(6)] == ["B"] * 6
        assert line_failures() == before == 0

        # A comes back: UP after `rise` passed checks, and shares the load again.
        a = TcpDest("A", "127.0.0.2", a.port)
        wait_for(lambda: s.log_contains(f"{addr_a} (hc.test) is UP: check passed, status 3/3 UP"),
                 what="A UP")
        assert s.log_contains(f"health check of {addr_a} (hc.test) passed, status 1/2 DOWN")
        assert up(addr_a) == 1
        seen = [greet(port)[0].split()[0] for _ in range(4)]
        assert sorted(seen) == ["A", "A", "B", "B"], seen

        # Both die: with none UP every address is tried again (as without
        # checks), so a connection costs two refused attempts, then is closed.
        a.close()
        b.close()
        wait_for(lambda: up(addr_a) == 0 and up(addr_b) == 0, what="both DOWN")
        before = line_failures()
        assert refused_connect(port)
        wait_for(lambda: line_failures() == before + 2, what="both addresses tried")
        # One comes back: connections follow it.
        b = TcpDest("B", "127.0.0.3", a.port)
        wait_for(lambda: up(addr_b) == 1, what="B UP")
        assert [greet(port)[0].split()[0] for _ in range(3)] == ["B"] * 3
        assert metric(s, "vigie_egress_forward_health_checks_total", mode="dns-proxy") >= 10
    finally:
        a.close()
        b.close()


def test_dns_proxy_environment_checks_by_default():
    """The drop-in mode (environment only) checks as upstream's haproxy did:
    a new address is UP until its first check, which runs at once."""
    live = TcpDest("L", "127.0.0.1")
    dead = free_port()
    p_live, p_dead = free_port(), free_port()
    s = None
    try:
        env = clean_env(EGRESS_DNS_PROXY_DESTINATION=(
            f"{p_live} 127.0.0.1 {live.port}\n{p_dead} 127.0.0.7 {dead}\n"))
        s = Served(["egress", "--admin", "127.0.0.1:0"], env=env).wait_ready()
        wait_for(lambda: s.log_contains(f"127.0.0.7:{dead} is DOWN: Connection refused, "
                                        "status 0/2 DOWN"), what="dead address DOWN")
        wait_for(lambda: s.log_contains(f"health check of 127.0.0.1:{live.port} passed, "
                                        "status 3/3 UP"), what="live address checked")
        assert metric(s, "vigie_egress_address_up", address=f"127.0.0.7:{dead}") == 0
        assert metric(s, "vigie_egress_address_up", address=f"127.0.0.1:{live.port}") == 1
        # An address line has nothing to fall back to: it is still tried.
        assert refused_connect(p_dead)
        assert greet(p_live) == ("L 127.0.0.1", b"ping")
    finally:
        if s:
            s.stop()
        live.close()


def test_dns_proxy_without_checks_skips_a_failed_address(serve, tmp_path):
    """health_check.enabled: false keeps the passive rule: an address that
    refused is tried last for failed_address_hold."""
    b = TcpDest("B", "127.0.0.3")
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.4 passive.test\n127.0.0.3 passive.test\n")
    port = free_port()
    try:
        s = serve(f"""
admin: {{listen: "127.0.0.1:0"}}
egress:
  dns_proxy:
    hosts_file: "{hosts}"
    failed_address_hold: 1m
    health_check: {{enabled: false}}
    destination: "{port} passive.test {b.port}"
""")
        assert [greet(port)[0].split()[0] for _ in range(4)] == ["B"] * 4
        # The first connection that started at 127.0.0.4 found it dead; the
        # hold kept the others off it.
        assert metric(s, "vigie_egress_line_connect_failures_total", port=str(port)) == 1
        assert metric(s, "vigie_egress_forward_health_checks_total", mode="dns-proxy") == 0
        assert metric(s, "vigie_egress_address_up", address=f"127.0.0.4:{b.port}") is None
    finally:
        b.close()


def test_health_checks_keep_their_state_across_a_reload(serve, tmp_path):
    a, b, hosts = two_address_name(tmp_path, "hc.test")
    dead = free_port()
    p, q = free_port(), free_port()
    dest = tmp_path / "destination"
    dest.write_text(f"{p} hc.test {a.port}\n{q} 127.0.0.7 {dead}\n")
    addr_a, gone = f"127.0.0.2:{a.port}", f"127.0.0.7:{dead}"
    try:
        s = serve(f"""
admin: {{listen: "127.0.0.1:0"}}
egress:
  dns_proxy:
    hosts_file: "{hosts}"
    health_check: {{interval: 200ms}}
    destination_file: "{dest}"
""")

        def checks():
            return metric(s, "vigie_egress_forward_health_checks_total", mode="dns-proxy")

        a.close()
        wait_for(lambda: s.log_contains(f"{addr_a} (hc.test) is DOWN"), what="A DOWN")
        wait_for(lambda: s.log_contains(f"{gone} is DOWN"), what="dead line DOWN")
        # The q line goes away, the p line stays: A's check keeps its state
        # (no second DOWN, no fresh start UP), the dead address's check stops.
        stopped_at = metric(s, "vigie_egress_address_check_failures_total", address=gone)
        dest.write_text(f"{p} hc.test {a.port}\n")
        status, body, _ = s.http("POST", "/reload")
        assert status == 200, body
        assert metric(s, "vigie_egress_address_up", address=addr_a) == 0
        # The address left with its line: its series leave /metrics.
        assert metric(s, "vigie_egress_address_up", address=gone) is None
        assert metric(s, "vigie_egress_address_check_failures_total", address=gone) is None
        start = checks()
        wait_for(lambda: checks() >= start + 10, what="checks after the reload")
        assert log_count(s, f"{addr_a} (hc.test) is DOWN") == 1, s.stderr()
        assert metric(s, "vigie_egress_address_up", address=addr_a) == 0
        assert [greet(p)[0].split()[0] for _ in range(4)] == ["B"] * 4
        assert metric(s, "vigie_egress_line_connect_failures_total", port=str(p)) == 0
        # The line comes back: so does its series, its failure count carried
        # on from where its check stopped (the ten checks above were A's
        # alone): at most one check ran between the reading and the reload,
        # and one more when the new check starts at once.
        dest.write_text(f"{p} hc.test {a.port}\n{q} 127.0.0.7 {dead}\n")
        status, body, _ = s.http("POST", "/reload")
        assert status == 200, body
        assert metric(s, "vigie_egress_address_up", address=gone) in (0, 1)
        back = metric(s, "vigie_egress_address_check_failures_total", address=gone)
        assert back is not None and stopped_at <= back <= stopped_at + 2, (back, stopped_at)
    finally:
        a.close()
        b.close()


# --- userspace redirect --------------------------------------------------------

def test_userspace_engine_environment_errors():
    r = run_vigie("egress", env=clean_env(EGRESS_ROUTER_ENGINE="ebpf"))
    assert (r.returncode, r.stderr.strip()) == (1, "Unrecognized EGRESS_ROUTER_ENGINE 'ebpf'")
    r = run_vigie("egress", env=clean_env(EGRESS_ROUTER_ENGINE="userspace"))
    assert (r.returncode, r.stderr.strip()) == (1, "EGRESS_DESTINATION unspecified")
    r = run_vigie("egress", env=clean_env(EGRESS_ROUTER_ENGINE="userspace", EGRESS_SOURCE="1.2.3",
                                          EGRESS_DESTINATION="1.2.3.4"))
    assert (r.returncode, r.stderr.strip()) == (1, "EGRESS_SOURCE unspecified or invalid")
    r = run_vigie("egress", env=clean_env(EGRESS_ROUTER_ENGINE="userspace",
                                          EGRESS_DESTINATION="80 sctp 1.2.3.4"))
    assert (r.returncode, r.stderr.strip()) == (
        1, "EGRESS_DESTINATION value '80 sctp 1.2.3.4' is invalid")
    r = run_vigie("egress", "--fallback-ports", "80/icmp",
                  env=clean_env(EGRESS_ROUTER_ENGINE="userspace", EGRESS_DESTINATION="1.2.3.4"))
    assert r.returncode == 1 and "bad port item '80/icmp'" in r.stderr
    r = run_vigie("egress", "--help")
    assert "EGRESS_ROUTER_ENGINE=userspace" in r.stdout and "--fallback-ports" in r.stdout


def test_userspace_redirect_tcp_udp_fallback_and_source(tmp_path):
    web = TcpDest("web", "127.0.0.5")
    dns = UdpDest("dns", "127.0.0.5")
    fb = TcpDest("fallback", "127.0.0.6")
    fb_udp = UdpDest("fallback-udp", "127.0.0.6", fb.port)
    p_tcp, p_udp, p_refused = free_port(), free_port(socket.SOCK_DGRAM), free_port()
    dead = free_port()  # nothing listens there
    s = None
    try:
        env = clean_env(EGRESS_ROUTER_ENGINE="userspace", EGRESS_ROUTER_MODE="legacy",
                        EGRESS_SOURCE="127.0.0.9/24", EGRESS_GATEWAY="127.0.0.1",
                        EGRESS_DESTINATION=(
                            f"{p_tcp} tcp 127.0.0.5 {web.port}\n"
                            f"{p_udp} udp 127.0.0.5 {dns.port}\n"
                            f"{p_refused} tcp 127.0.0.7 {dead}\n"
                            "127.0.0.6\n"))
        s = Served(["egress", "--admin", "127.0.0.1:0", "--fallback-ports",
                    f"{fb.port},{fb.port}/udp"], env=env).wait_ready()
        assert f"egress-redirect-udp-{p_udp}" in s.listeners
        # TCP with port translation; the destination sees EGRESS_SOURCE.
        assert greet(p_tcp, send=b"x" * 100000) == ("web 127.0.0.9", b"x" * 100000)
        # UDP, replies relayed back, source too.
        assert udp_ask(p_udp, b"q1") == "dns 127.0.0.9 q1"
        # The fallback IP over the configured ports, port unchanged.
        assert greet(fb.port) == ("fallback 127.0.0.9", b"ping")
        assert udp_ask(fb.port, b"f") == "fallback-udp 127.0.0.9 f"
        # A destination that refuses: the client is closed, the error counted.
        with socket.create_connection(("127.0.0.1", p_refused), timeout=5) as c:
            assert c.recv(10) == b""
        wait_for(lambda: metric(s, "vigie_egress_line_errors_total", mode="redirect",
                                port=str(p_refused)) == 1, what="error counter")
        assert metric(s, "vigie_egress_line_client_received_bytes_total", proto="tcp",
                      port=str(p_tcp)) == 100000
        assert metric(s, "vigie_egress_line_connections_total", proto="udp",
                      port=str(p_udp)) == 1
        wait_for(lambda: s.log_contains("end=connect-failed: 127.0.0.7:"), what="refusal log")
    finally:
        if s:
            s.stop()
        for d in (web, dns, fb, fb_udp):
            d.close()


def test_userspace_redirect_checks_tcp_lines_from_the_source(serve):
    """The redirect engine checks its TCP lines when asked (off by default),
    from `source` as its connections are; UDP lines are not checked."""
    web = TcpDest("web", "127.0.0.5")
    dns = UdpDest("dns", "127.0.0.5")
    dead = free_port()
    p_web, p_dead, p_udp = free_port(), free_port(), free_port(socket.SOCK_DGRAM)
    try:
        s = serve(f"""
admin: {{listen: "127.0.0.1:0"}}
egress:
  redirect:
    source: 127.0.0.9
    health_check: {{enabled: true, interval: 200ms}}
    destination: |
      {p_web} tcp 127.0.0.5 {web.port}
      {p_dead} tcp 127.0.0.7 {dead}
      {p_udp} udp 127.0.0.5 {dns.port}
""")
        wait_for(lambda: s.log_contains(f"egress redirect: 127.0.0.7:{dead} is DOWN: "
                                        "Connection refused"), what="dead line DOWN")
        wait_for(lambda: s.log_contains(f"egress redirect: health check of 127.0.0.5:{web.port} "
                                        "passed"), what="web checked")
        # Only checks have reached web so far (the connect completes before
        # web's accept returns: wait for it); they came from the source.
        wait_for(lambda: web.peers, what="check accepted")
        assert set(web.peers) == {"127.0.0.9"}, web.peers
        assert metric(s, "vigie_egress_address_up", mode="redirect",
                      address=f"127.0.0.5:{web.port}") == 1
        if dns.port != web.port:
            assert metric(s, "vigie_egress_address_up", address=f"127.0.0.5:{dns.port}") is None
        assert greet(p_web) == ("web 127.0.0.9", b"ping")
        assert udp_ask(p_udp, b"q") == "dns 127.0.0.9 q"
    finally:
        web.close()
        dns.close()


def test_userspace_udp_flows_expire_and_are_bounded(serve):
    dns = UdpDest("dns", "127.0.0.5")
    port = free_port(socket.SOCK_DGRAM)
    try:
        s = serve(f"""
admin: {{listen: "127.0.0.1:0"}}
egress:
  redirect:
    udp_idle_timeout: 400ms
    max_udp_flows: 1
    destination: "{port} udp 127.0.0.5 {dns.port}"
""")
        one = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        two = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            assert udp_ask(port, b"a", sock=one) == "dns 127.0.0.1 a"
            assert udp_ask(port, b"b", sock=one) == "dns 127.0.0.1 b"  # same flow
            assert metric(s, "vigie_egress_line_connections_active", port=str(port)) == 1
            # A second client while the table is full: dropped, counted.
            two.settimeout(0.5)
            two.sendto(b"c", ("127.0.0.1", port))
            with pytest.raises(socket.timeout):
                two.recv(100)
            assert metric(s, "vigie_egress_line_errors_total", port=str(port)) == 1
            # Idle: the flow expires and frees its slot.
            wait_for(lambda: metric(s, "vigie_egress_line_connections_active",
                                    port=str(port)) == 0, what="flow expiry")
            assert s.log_contains("in=2 out=")  # the flow's log line: two datagrams in
            assert any("end=idle-timeout" in l for l in s.stderr_lines)
            assert udp_ask(port, b"d", sock=two) == "dns 127.0.0.1 d"
            assert metric(s, "vigie_egress_line_connections_total", port=str(port)) == 2
        finally:
            one.close()
            two.close()
    finally:
        dns.close()


def test_a_flood_of_dropped_datagrams_writes_few_log_lines(serve):
    """Over max_udp_flows every datagram is dropped and counted; the log
    gets at most 10 lines a second with the count left out, never one line
    per datagram (a flood would otherwise write the disk full)."""
    dns = UdpDest("dns", "127.0.0.5")
    port = free_port(socket.SOCK_DGRAM)
    try:
        s = serve(f"""
admin: {{listen: "127.0.0.1:0"}}
egress:
  redirect:
    max_udp_flows: 1
    destination: "{port} udp 127.0.0.5 {dns.port}"
""")
        one = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        flood = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            assert udp_ask(port, b"a", sock=one) == "dns 127.0.0.1 a"
            start = time.monotonic()
            for i in range(500):
                flood.sendto(b"x", ("127.0.0.1", port))
                if i % 50 == 49:  # paced so the socket buffer does not drop them
                    wait_for(lambda: metric(s, "vigie_egress_line_errors_total",
                                            port=str(port)) >= i + 1, what=f"{i + 1} counted")
            seconds = time.monotonic() - start
            lines = [l for l in s.stderr_lines if "datagram dropped" in l]
            assert 1 <= len(lines) <= 10 * (int(seconds) + 2), (len(lines), seconds)
            # The next line, in a later second, says how many were left out.
            time.sleep(1.1)  # moves to the next one-second window; not a readiness wait
            flood.sendto(b"y", ("127.0.0.1", port))
            wait_for(lambda: any("datagram dropped" in l and "similar lines suppressed" in l
                                 for l in s.stderr_lines), what="the suppressed count")
        finally:
            one.close()
            flood.close()
    finally:
        dns.close()


# --- reload ------------------------------------------------------------------------

@pytest.mark.parametrize("section,first,second,bad,message", [
    ("redirect", "{p} tcp 127.0.0.5 {a}\n", "{p} tcp 127.0.0.6 {a}\n{q} tcp 127.0.0.6 {a}\n",
     "127.0.0.5\n{p} tcp 127.0.0.6 {a}\n", "EGRESS_DESTINATION fallback IP must be the last line"),
    ("dns_proxy", "{p} 127.0.0.5 {a}\n", "{p} 127.0.0.6 {a}\n{q} 127.0.0.6 {a}\n",
     "{p} 127.0.0.6 {a}\nfoo\n", "Bad destination 'foo'"),
])
def test_reload_applies_to_new_connections_keeps_old_ones(serve, tmp_path, section, first,
                                                          second, bad, message):
    five = TcpDest("five", "127.0.0.5")
    six = TcpDest("six", "127.0.0.6", five.port)
    p, q = free_port(), free_port()
    dest = tmp_path / "destination"
    dest.write_text(first.format(p=p, q=q, a=five.port))
    try:
        s = serve(f"""
admin: {{listen: "127.0.0.1:0"}}
egress:
  {section}:
    destination_file: "{dest}"
""")
        kept = socket.create_connection(("127.0.0.1", p), timeout=5)
        kf = kept.makefile("rb")
        assert kf.readline().startswith(b"five")
        dest.write_text(second.format(p=p, q=q, a=five.port))
        status, body, _ = s.http("POST", "/reload")
        assert status == 200, body
        assert greet(p)[0].startswith("six")
        assert greet(q)[0].startswith("six")  # a new line's port listens
        kept.sendall(b"still here")
        assert kept.recv(100) == b"still here"
        # Invalid: refused with upstream's message, the running list stays.
        dest.write_text(bad.format(p=p, q=q, a=five.port))
        status, body, _ = s.http("POST", "/reload")
        assert status == 400 and message in body, body
        assert greet(q)[0].startswith("six")
        # SIGHUP, back to the first list: q's port stops accepting.
        dest.write_text(first.format(p=p, q=q, a=five.port))
        s.signal(signal.SIGHUP)
        wait_for(lambda: greet(p)[0].startswith("five"), what="SIGHUP reload")

        def q_closed():
            try:
                socket.create_connection(("127.0.0.1", q), timeout=1).close()
                return False
            except OSError:
                return True
        wait_for(q_closed, what="removed port closed")
        kept.sendall(b"and now")
        assert kept.recv(100) == b"and now"
        kept.close()
    finally:
        five.close()
        six.close()
