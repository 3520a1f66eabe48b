"""SIGTERM with work in flight: relayed lb connections, proxied requests
waiting for a slow origin, CONNECT tunnels, DNS queries waiting for a slow
upstream (UDP and TCP), events TCP frames half sent, an admin request half
sent. After the signal the listeners refuse, every one of those completes,
and vigie exits 0 before runtime.grace runs out."""
import signal
import socket
import struct
import threading
import time

import pytest

from faultlib import (DnsUpstream, Load, Loads, Tally, admin_get, connect_tunnel, dns_query_wire,
                      dns_tcp_request, dns_udp_request, egress_get, events_sender,
                      http_get_via, lb_echo, next_qid, peak_rss_mib, ports, read_frame, riemann_event,
                      riemann_msg, riemann_reply, size, unique_name, wait_for)
from vigie_harness import port_refuses

IN_FLIGHT = size(4, 40)  # of each kind
GRACE = 8.0




@pytest.mark.parametrize("group", [
    "lb, egress, events, admin", "dns"])
def test_sigterm_drains_work_in_flight(serve, world, case, group):
    component = "dns" if group == "dns" else "lb, egress, events"
    c = case(component, f"SIGTERM with {IN_FLIGHT} requests of each kind in flight")
    slow_dns = DnsUpstream(delay=1.0)
    world.extra_peers.append(slow_dns)
    text = world.config(dns=world.dns_section(upstreams=[f"127.0.0.1:{slow_dns.port}"]),
                        grace=f"{GRACE:g}s")
    text = text.replace("upstream_timeout: 1s", "upstream_timeout: 4s")
    served = serve(text)
    p = ports(served)
    # A short ordinary load first: the process is warm and serving.
    if group == "dns":
        loads = Loads(Load("dns-udp", lambda t: dns_udp_request(p["dns"], t)),
                      Load("dns-tcp", lambda t: dns_tcp_request(p["dns"], t)))
    else:
        loads = Loads(Load("lb", lambda t: lb_echo(p["lb"], t)),
                      Load("egress", lambda t: egress_get(p["egress"], world.origin.port, t)),
                      Load("events", events_sender(p["events"])),
                      Load("admin", lambda t: admin_get(served, t)))
    loads.wait_answered(1)
    loads.stop(c.tally)

    term = threading.Event()
    ready = Tally()   # set-up done (counted, not reported)
    tally = c.tally
    errors = []

    def item(kind, setup, finish):
        try:
            state = setup()
        except OSError as e:
            errors.append(f"{kind} set-up: {e!r}")
            ready.fail("setup")
            return
        ready.ok()
        term.wait(60)
        try:
            if finish(state):
                tally.ok()
            else:
                tally.fail(f"{kind}: wrong answer")
        except (OSError, ValueError, IndexError, struct.error) as e:
            tally.fail(f"{kind}: {e!r}")

    # lb: a relayed connection, greeting read; after the signal, a line echoed.
    def lb_setup():
        s = socket.create_connection(("127.0.0.1", p["lb"]), timeout=15)
        f = s.makefile("rb")
        assert f.readline()
        return s, f

    def lb_finish(st):
        s, f = st
        with s:
            s.sendall(b"after sigterm\n")
            return f.readline() == b"after sigterm\n"

    # egress: GET /slow sent before the signal, answered a second later.
    slow_result = {}

    def slow_get_setup():
        key = object()
        t = threading.Thread(target=lambda: slow_result.__setitem__(key, _try(
            lambda: http_get_via(p["egress"], f"http://allowed.test:{world.origin.port}/slow",
                                 timeout=15))))
        t.start()
        return key, t

    def slow_get_finish(st):
        key, t = st
        t.join(20)
        return slow_result.get(key) == (200, b"ok /slow")

    def tunnel_setup():
        s, f = connect_tunnel(p["egress"], world.echo.port, timeout=15)
        assert f.readline()
        return s, f

    # dns: UDP and TCP queries the slow upstream holds for a second.

    def dns_udp_setup():
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        qid = next_qid()
        u.sendto(dns_query_wire(qid, unique_name()), ("127.0.0.1", p["dns"]))
        return u, qid

    def dns_tcp_setup():
        s = socket.create_connection(("127.0.0.1", p["dns"]), timeout=15)
        qid = next_qid()
        q = dns_query_wire(qid, unique_name())
        s.sendall(struct.pack(">H", len(q)) + q)
        return s, qid

    def dns_udp_finish(st):
        # The answer, or none a second after vigie exited (none can come then).
        u, qid = st
        with u:
            u.settimeout(0.2)
            deadline = time.monotonic() + GRACE + 10
            exited_at = None
            while time.monotonic() < deadline:
                try:
                    reply, _ = u.recvfrom(65535)
                except socket.timeout:
                    if served.proc.poll() is not None:
                        exited_at = exited_at or time.monotonic()
                        if time.monotonic() - exited_at > 1:
                            raise OSError("no answer: vigie exited without sending it")
                    continue
                if struct.unpack(">H", reply[:2])[0] == qid:
                    return reply[3] & 0x0F == 0
            raise OSError("no answer before the deadline")

    def dns_tcp_finish(st):
        s, qid = st
        with s:
            f = s.makefile("rb")
            n = struct.unpack(">H", f.read(2))[0]
            reply = f.read(n)
            return struct.unpack(">H", reply[:2])[0] == qid and reply[3] & 0x0F == 0

    # events: a frame cut in the middle of its body.
    def events_setup():
        s = socket.create_connection(("127.0.0.1", p["events"]), timeout=15)
        msg = riemann_msg([riemann_event("drain", "svc", 1)])
        s.sendall(msg[:7])
        return s, msg[7:]

    def events_finish(st):
        s, rest = st
        with s:
            s.sendall(rest)
            reply = read_frame(s)
            return reply is not None and riemann_reply(reply)[0]

    def admin_setup():
        host, port = served.admin
        s = socket.create_connection((host, port), timeout=15)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        return s

    def admin_finish(s):
        with s:
            s.sendall(b"Connection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return data.startswith(b"HTTP/1.1 503") and b"stopping" in data

    if group == "dns":
        kinds = [("dns udp (slow upstream)", dns_udp_setup, dns_udp_finish),
                 ("dns tcp (slow upstream)", dns_tcp_setup, dns_tcp_finish)]
    else:
        kinds = [("lb relay", lb_setup, lb_finish),
                 ("egress GET /slow", slow_get_setup, slow_get_finish),
                 ("egress tunnel", tunnel_setup, lb_finish),
                 ("events half frame", events_setup, events_finish)]
    threads = [threading.Thread(target=item, args=k) for k in kinds for _ in range(IN_FLIGHT)]
    if group != "dns":
        threads.append(threading.Thread(target=item, args=("admin half request", admin_setup,
                                                           admin_finish)))
    for t in threads:
        t.start()
    wait_for(lambda: ready.sent == len(threads), timeout=30, what="work in flight set up")
    assert not errors, errors
    # In flight for sure: the slow origin and the slow upstream hold them.
    if group == "dns":
        wait_for(lambda: slow_dns.questions >= 2 * IN_FLIGHT, timeout=30,
                 what="slow queries at the upstream")
    else:
        wait_for(lambda: world.origin.slow_started >= IN_FLIGHT, timeout=30,
                 what="slow GETs at the origin")
    c.peak_rss = peak_rss_mib(served.proc.pid)
    t0 = time.monotonic()
    served.signal(signal.SIGTERM)
    first = p["dns"] if group == "dns" else p["lb"]
    wait_for(lambda: port_refuses("127.0.0.1", first), timeout=10,
             what="the listener closed after SIGTERM")
    term.set()
    for t in threads:
        t.join(60)
    code = served.wait_exit(GRACE + 10)
    elapsed = time.monotonic() - t0
    c.notes = {"in_flight_each": IN_FLIGHT,
               "kinds": [k[0] for k in kinds] + (["admin"] if group != "dns" else []),
               "exit_code": code, "exit_after_s": round(elapsed, 2), "grace_s": GRACE}
    c.finish(served, exit_code=code)
    c.assert_clean()
    assert elapsed < GRACE, f"vigie took {elapsed:.1f}s to exit (grace {GRACE}s): work left?"
    assert served.log_contains("drained")


def _try(fn):
    try:
        return fn()
    except OSError as e:
        return repr(e)
