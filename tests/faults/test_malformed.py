"""Malformed and oversized input on every port while the ordinary clients
of all four components run: random bytes, huge and endless HTTP heads,
absurd lengths, huge DNS messages (UDP and TCP), huge and bogus protobuf
frames, datagrams of every size. Each bad connection is half-closed after
its input and must be answered or closed (never held); the ordinary
clients lose nothing; vigie does not crash."""
import os
import random
import socket
import struct
import threading

from faultlib import (Load, Loads, admin_get, dns_tcp_request, dns_udp_request, egress_get,
                      events_querier, events_sender, lb_echo, ports, riemann_event, riemann_msg,
                      size)

ROUNDS = size(10, 60)  # each input below is sent ROUNDS times
DEADLINE = 15.0


def rnd(n):
    return os.urandom(n)


def http_inputs(target):
    big = b"a" * (1 << 20)
    return [
        rnd(1000), rnd(70000),
        b"GET " + target + b" HTTP/1.1\r\nX: " + b"a" * 70000 + b"\r\n\r\n",
        b"GET " + target + b" HTTP/1.1\r\nX: " + big + b"\r\n\r\n",
        b"GET " + target + b" HTTP/1.1\r\n" + b"X-A: b\r\n" * 20000 + b"\r\n",
        b"GET " + target + b"?" + b"q" * 200000 + b" HTTP/1.1\r\n\r\n",
        b"POST " + target + b" HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\nx",
        b"POST " + target + b" HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"POST " + target + b" HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\nxx",
        b"GET " + target + b" HTTP/1.1\r\nHost: \x00\x01\x02\r\n\r\n",
        b"\r\n" * 50000,
        b"GET " + target + b" HTTP/1.1\r\n",  # a head cut short, then EOF
    ]


def dns_tcp_inputs():
    good = struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0)
    return [
        b"\xff\xff" + rnd(65535),                      # the largest message, random
        b"\xff\xff" + rnd(100),                        # announced 65535, cut short
        b"\x00\x00" * 1000,                            # a thousand empty messages
        struct.pack(">H", 17) + good + b"\xc0\x0c\x00\x01\x00\x01",   # pointer loop
        struct.pack(">H", 17) + struct.pack(">HHHHHH", 2, 0x0100, 0xFFFF, 0xFFFF, 0xFFFF,
                                             0xFFFF) + b"\x00\x00\x01\x00\x01",
        b"".join(struct.pack(">H", n) + rnd(n) for n in (12, 300, 4096, 65535)),
        rnd(5000),
    ]


def dns_udp_inputs():
    good = struct.pack(">HHHHHH", 1, 0x0100, 1, 0, 0, 0)
    return [rnd(1), rnd(11), rnd(512), rnd(4096), rnd(65507),
            good + b"\xc0\x0c\x00\x01\x00\x01", good + b"\x3f" + b"a" * 63 * 40,
            struct.pack(">HHHHHH", 3, 0x0100, 0xFFFF, 0, 0, 0) + rnd(60000)]


def events_tcp_inputs():
    return [
        b"\xff\xff\xff\xff" + rnd(1000),               # a 4 GiB frame announced
        struct.pack(">I", 8 * 1024 * 1024 + 1) + rnd(65536),   # just over max_frame
        struct.pack(">I", 1 << 20) + rnd(1 << 20),     # a 1 MiB frame of random protobuf
        b"".join(struct.pack(">I", n) + rnd(n) for n in (1, 7, 100, 5000)),
        struct.pack(">I", 6) + b"\x32\x80\x80\x80\x80\x10",     # an event 2^32 long
        struct.pack(">I", 3) + b"\x32\x05\x22",                  # truncated
        riemann_msg([riemann_event("x" * 100000, "y" * 100000)]),   # huge but valid
        rnd(3),
    ]


def events_udp_inputs():
    return [rnd(1), rnd(16 * 1024), rnd(65507), riemann_msg([riemann_event("u", "v")])[4:] * 300]


def send_bad(port, data):
    """Sends `data`, half-closes, reads until vigie closes. Returns
    "answered" / "closed" / "hung"."""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as s:
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            return "closed"  # vigie closed (or reset) while the input was still coming
        got = 0
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += len(chunk)
        except socket.timeout:
            return "hung"
        except OSError:
            pass
        return "answered" if got else "closed"


def send_udp(port, data):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        try:
            u.sendto(data, ("127.0.0.1", port))
        except OSError:
            pass
    return "sent"


def test_malformed_and_oversized_input_on_every_port(serve, world, case):
    c = case("all four", "malformed and oversized input on every port")
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
    target = b"http://allowed.test:%d/" % origin
    jobs = {
        "lb": [(send_bad, p["lb"], d) for d in [rnd(1 << 16), rnd(1 << 20), b"\x00" * 100000]],
        "egress": [(send_bad, p["egress"], d) for d in http_inputs(target)]
        + [(send_bad, p["egress"], b"CONNECT " + rnd(50) + b" HTTP/1.1\r\n\r\n")],
        "dns-tcp": [(send_bad, p["dns"], d) for d in dns_tcp_inputs()],
        "dns-udp": [(send_udp, p["dns"], d) for d in dns_udp_inputs()],
        "events-tcp": [(send_bad, p["events"], d) for d in events_tcp_inputs()],
        "events-udp": [(send_udp, p["events"], d) for d in events_udp_inputs()],
        "events-http": [(send_bad, p["events-http"], d) for d in http_inputs(b"/index")]
        + [(send_bad, p["events-http"], b"POST /events HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nContent-Length: 20000000\r\n\r\n"
            + b"[" * 1000000)],
        "admin": [(send_bad, p["admin"], d) for d in http_inputs(b"/status")],
    }
    outcomes = {k: {} for k in jobs}
    lock = threading.Lock()

    def run(port_name, todo):
        for _ in range(ROUNDS):
            random.shuffle(todo)
            for fn, port, data in todo:
                try:
                    r = fn(port, data)
                except OSError as e:
                    r = f"error {type(e).__name__}"
                with lock:
                    outcomes[port_name][r] = outcomes[port_name].get(r, 0) + 1

    threads = [threading.Thread(target=run, args=(k, list(v))) for k, v in jobs.items()]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
        assert served.proc.poll() is None, served.stderr()[-2000:]
        loads.wait_answered(3)
    finally:
        loads.stop(c.tally)
    hung = {}
    for port_name, outs in outcomes.items():
        for r, n in outs.items():
            if r == "hung":
                hung[port_name] = n
                for _ in range(n):
                    c.tally.faulted_fail()
            elif r == "answered":
                c.tally.faulted_ok(n)
            else:
                c.tally.faulted_neither(n)
    c.notes = {"rounds": ROUNDS, "outcomes": outcomes, "loads": loads.summary()}
    c.finish(served)
    c.assert_clean()
    assert not hung, f"bad connections vigie held past {DEADLINE}s after their EOF: {hung}"
