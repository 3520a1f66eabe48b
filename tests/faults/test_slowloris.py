"""Slowloris on every listener: many connections each sending one byte a
second of a request head (lb, egress proxy, events HTTP, admin), of a
DNS-over-TCP length prefix and message, of an events TCP frame, while the
ordinary clients of all four components must still be served."""
import socket
import threading
import time

from faultlib import (Load, Loads, admin_get, dns_tcp_request, dns_udp_request, egress_get,
                      events_querier, events_sender, lb_echo, ports, size)

PER_LISTENER = size(12, 40)
SECONDS = size(4, 20)  # the slowloris lasts this long (one byte a second)


class Trickler:
    """Sends one byte a second to every slow connection, in one thread, and
    notes when vigie closes one."""

    def __init__(self):
        self.socks = []  # [listener, socket, payload, offset, closed_after]
        self.started = time.monotonic()

    def add(self, listener, port, payload):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.setblocking(False)
        self.socks.append([listener, s, payload, 0, None])

    def run(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            tick = time.monotonic()
            for entry in self.socks:
                listener, s, payload, offset, closed = entry
                if closed is not None:
                    continue
                try:
                    while s.recv(65536):  # drain what the peer answers (408, echoes)
                        pass
                    entry[4] = time.monotonic() - self.started  # b"": closed by vigie
                    continue
                except BlockingIOError:
                    pass
                except OSError:
                    entry[4] = time.monotonic() - self.started
                    continue
                try:
                    s.send(payload[offset % len(payload):offset % len(payload) + 1])
                    entry[3] += 1
                except BlockingIOError:
                    pass
                except OSError:
                    entry[4] = time.monotonic() - self.started
            time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))  # the one-byte-a-second pace

    def closed_by_listener(self):
        out = {}
        for listener, _, _, _, closed in self.socks:
            n = out.setdefault(listener, [0, 0, None])
            n[0] += 1
            if closed is not None:
                n[1] += 1
                n[2] = max(n[2] or 0, round(closed, 1))
        return {k: {"slow": v[0], "closed_by_vigie": v[1], "last_closed_after_s": v[2]}
                for k, v in out.items()}

    def close(self):
        for entry in self.socks:
            entry[1].close()


def test_slowloris_on_every_listener(serve, world, case):
    c = case("all four", "slowloris: one byte a second on every listener")
    served = serve(world.config())
    p = ports(served)
    origin = world.origin.port
    loads = Loads(
        Load("lb", lambda t: lb_echo(p["lb"], t)),
        Load("egress", lambda t: egress_get(p["egress"], origin, t)),
        Load("dns-udp", lambda t: dns_udp_request(p["dns"], t)),
        Load("dns-tcp", lambda t: dns_tcp_request(p["dns"], t)),
        Load("events-send", events_sender(p["events"])),
        Load("events-query", events_querier(p["events"])),
        Load("admin", lambda t: admin_get(served, t)))
    loads.wait_answered(3)
    head = b"GET http://allowed.test:%d/ HTTP/1.1\r\nHost: allowed.test\r\nX-Slow: " % origin
    payloads = {
        "lb": (p["lb"], b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100),
        "egress": (p["egress"], head + b"a" * 100),
        "dns-tcp": (p["dns"], b"\x01\x00" + b"\x00" * 255),
        "events-tcp": (p["events"], b"\x00\x00\x10\x00" + b"\x32" * 4096),
        "events-http": (p["events-http"], b"GET /index?query=true HTTP/1.1\r\nX-Slow: " + b"a" * 100),
        "admin": (p["admin"], b"GET /status HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 100),
    }
    trickler = Trickler()
    try:
        for listener, (port, payload) in payloads.items():
            for _ in range(PER_LISTENER):
                trickler.add(listener, port, payload)
        runner = threading.Thread(target=trickler.run, args=(SECONDS,))
        runner.start()
        runner.join()
        loads.wait_answered(3)  # still served at the end of the slowloris
        closed = trickler.closed_by_listener()
    finally:
        trickler.close()
        loads.stop(c.tally)
    for listener, n in closed.items():
        c.tally.faulted_neither(n["slow"])
    c.notes = {"per_listener": PER_LISTENER, "seconds": SECONDS, "slow": closed,
               "loads": loads.summary()}
    c.finish(served)
    c.assert_clean()
    # The proxy's request_timeout (5s) cuts a head that never completes.
    if SECONDS > 8:
        assert closed["egress"]["closed_by_vigie"] == PER_LISTENER, closed
