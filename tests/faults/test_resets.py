"""Peer resets mid-stream: hundreds of relayed connections through the lb
and of CONNECT tunnels through the egress proxy closed with a RST
(SO_LINGER 0, then close) while data is moving, from the client side and
from the backend side, under a steady load of ordinary requests."""
import socket
import threading

import pytest

from faultlib import (Load, Loads, connect_tunnel, egress_get, egress_tunnel_echo, lb_echo,
                      metric, port_of, rst_close, size, wait_for)

RESETS = size(40, 400)
CLOSE_DEADLINE = 10.0  # a faulted connection must be closed by vigie within this


def pump_then_reset(sock, reader):
    """Client-side fault: the greeting, then up to 256 KiB of lines sent
    without reading the echo, part of the echo read, then a RST."""
    if not reader.readline():
        return False
    sock.setblocking(False)
    line = b"x" * 1023 + b"\n"
    sent = 0
    try:
        while sent < 262144:
            sent += sock.send(line)
    except BlockingIOError:
        pass
    sock.setblocking(True)
    sock.settimeout(CLOSE_DEADLINE)
    got = len(reader.read1(65536))
    rst_close(sock)
    return got > 0


def read_until_closed(sock, reader):
    """Backend-side fault: read until vigie closes (EOF or reset); False on
    a hang past the deadline."""
    sock.settimeout(CLOSE_DEADLINE)
    try:
        while reader.read1(65536):
            pass
        return True
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False
    finally:
        sock.close()


def run_faults(count, one, threads=2):
    """Runs `one()` `count` times over `threads` threads; returns the list
    of results (True: the faulted connection behaved as expected)."""
    results = []
    lock = threading.Lock()
    todo = iter(range(count))

    def worker():
        while True:
            with lock:
                if next(todo, None) is None:
                    return
            try:
                r = one()
            except OSError as e:
                r = f"{e!r}"
            with lock:
                results.append(r)
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return results


def settle(served, name, **labels):
    wait_for(lambda: metric(served, name, **labels) == 0, timeout=15,
             what=f"{name} back to 0 (a leaked connection otherwise)")


@pytest.mark.parametrize("side", ["client", "backend"])
def test_lb_peer_resets_mid_stream(serve, world, case, side):
    c = case("lb", f"peer resets mid-stream ({side} RST)")
    served = serve(world.config(egress="", dns="", events=""))
    port = port_of(served, "lb.api.0")
    load = Load("lb", lambda t: lb_echo(port, t, expect_greeting=b"m"), threads=2)
    load.wait_answered(5)

    def one():
        s = socket.create_connection(("127.0.0.1", port), timeout=CLOSE_DEADLINE)
        r = s.makefile("rb")
        if side == "client":
            return pump_then_reset(s, r)
        if not r.readline():
            s.close()
            return False
        s.sendall(b"RST\n")
        return read_until_closed(s, r)

    results = run_faults(RESETS, one)
    load.wait_answered(5)  # still serving after the faults
    loads = Loads(load)
    loads.stop(c.tally)
    for r in results:
        c.tally.faulted_ok() if r is True else c.tally.faulted_fail()
    c.notes = {"resets": RESETS, "backend_resets": sum(b.resets for b in world.backends),
               "faulted_failures": [r for r in results if r is not True][:5]}
    settle(served, "vigie_lb_frontend_current_connections", frontend="api")
    assert lb_echo_once(port)
    c.finish(served)
    c.assert_clean()
    assert c.tally.faulted_failed == 0, c.notes["faulted_failures"]


def lb_echo_once(port):
    from faultlib import Tally
    t = Tally()
    lb_echo(port, t)
    return t.answered == 1


@pytest.mark.parametrize("side", ["client", "origin"])
def test_egress_tunnel_resets_mid_stream(serve, world, case, side):
    c = case("egress", f"CONNECT tunnel resets mid-stream ({side} RST)")
    served = serve(world.config(lb="", dns="", events=""))
    proxy = port_of(served, "egress-http")
    loads = Loads(Load("egress-get", lambda t: egress_get(proxy, world.origin.port, t)),
                  Load("egress-tunnel", lambda t: egress_tunnel_echo(proxy, world.echo.port, t)))
    loads.wait_answered(5)

    def one():
        s, r = connect_tunnel(proxy, world.echo.port, timeout=CLOSE_DEADLINE)
        if side == "client":
            return pump_then_reset(s, r)
        if not r.readline():
            s.close()
            return False
        s.sendall(b"RST\n")
        return read_until_closed(s, r)

    results = run_faults(RESETS, one)
    loads.wait_answered(5)
    loads.stop(c.tally)
    for r in results:
        c.tally.faulted_ok() if r is True else c.tally.faulted_fail()
    c.notes = {"resets": RESETS, "origin_resets": world.echo.resets,
               "faulted_failures": [r for r in results if r is not True][:5]}
    settle(served, "vigie_egress_http_connections_active")
    c.finish(served)
    c.assert_clean()
    assert c.tally.faulted_failed == 0, c.notes["faulted_failures"]
