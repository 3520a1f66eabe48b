"""Peers that black-hole: a backend/origin/upstream/output that accepts
and never answers, and one whose packets are dropped (a full listen queue:
connects time out). The other peers keep serving, and the deadlines fire:
a request sent into the black hole ends with vigie's error within its
timeout, never a hang."""
import socket
import time

import pytest

from faultlib import (BlackHole, DnsUpstream, Load, Loads, SynDrop, dns_tcp_request,
                      dns_udp_request, egress_get, events_querier, events_sender, http_get_via,
                      port_of, size)

SECONDS = size(3, 20)  # load with the black holes in place
SERVER_TIMEOUT = 1.0
MARGIN = 4.0  # a deadline fires within its timeout plus this (slow ASan builds)


def only(world, component, section):
    sections = {k: "" for k in ("lb", "egress", "dns", "events")}
    sections[component] = section
    return world.config(**sections)


def run_for(loads, seconds):
    """Lets the load run `seconds` (the fault's length), failing early on a crash."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.2)


def lb_request(port, tally):
    """Greeting + echo from a good server: ok. No greeting and vigie closes
    after `timeout server`: the black-holed connection (faulted). Anything
    else: lost."""
    start = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=SERVER_TIMEOUT + MARGIN) as c:
            f = c.makefile("rb")
            greeting = f.readline()
            elapsed = time.monotonic() - start
            if not greeting:
                if 0.8 * SERVER_TIMEOUT <= elapsed <= SERVER_TIMEOUT + MARGIN:
                    tally.faulted_fail()
                else:
                    tally.fail(f"lb: closed without a greeting after {elapsed:.2f}s")
                return
            c.sendall(b"ping\n")
            if f.readline() != b"ping\n":
                tally.fail(f"lb: no echo from {greeting!r}")
                return
        tally.ok()
    except socket.timeout:
        tally.fail(f"lb: hung past timeout server + {MARGIN}s (deadline did not fire)")
    except OSError as e:
        tally.fail(f"lb: {e!r}")


def egress_faulted(proxy, port, deadline, tally, what):
    start = time.monotonic()
    try:
        status, _ = http_get_via(proxy, f"http://allowed.test:{port}/", timeout=deadline + MARGIN)
        elapsed = time.monotonic() - start
        if status in (502, 503, 504) and elapsed <= deadline + MARGIN:
            tally.faulted_fail()
        else:
            tally.fail(f"egress {what}: {status} after {elapsed:.2f}s")
    except socket.timeout:
        tally.fail(f"egress {what}: hung (deadline did not fire)")
    except OSError as e:
        tally.fail(f"egress {what}: {e!r}")




@pytest.mark.parametrize("component", [
    "lb", "lb-drop", "egress", "dns", "events"])
def test_black_holed_peer(serve, world, case, component):
    hole, drop = BlackHole(), SynDrop()
    world.extra_peers += [hole, drop]
    notes = {}
    if component.startswith("lb"):
        if component == "lb":
            c = case("lb", "a backend black-holes (accepts, never answers)")
            servers = [("m1", world.backends[0].port), ("m2", world.backends[1].port),
                       ("hole", hole.port)]
        else:
            c = case("lb", "a backend drops packets (SYNs dropped, no check), retries 1 + "
                     "redispatch")
            servers = [("m1", world.backends[0].port), ("drop", drop.port)]
        # The dropping server is not checked: every connection sent to it
        # must be redispatched (with a check it is out after the first one).
        section = world.lb_section(servers=servers,
                                   timeouts=f"{{connect: 300ms, server: {SERVER_TIMEOUT:g}s}}",
                                   extra="      retries: 1\n      redispatch: true\n",
                                   checks=component == "lb")
        served = serve(only(world, "lb", section))
        port = port_of(served, "lb.api.0")
        loads = Loads(Load("lb", lambda t: lb_request(port, t), threads=2))
    elif component == "egress":
        c = case("egress", "origins black-hole (accept, never answer; SYNs dropped)")
        section = world.egress_section().replace("response_timeout: 5s", "response_timeout: 1s") \
            .replace("connect_timeout: 2s", "connect_timeout: 500ms")
        served = serve(only(world, "egress", section))
        proxy = port_of(served, "egress-http")
        loads = Loads(
            Load("egress", lambda t: egress_get(proxy, world.origin.port, t), threads=2),
            Load("egress-hole", lambda t: egress_faulted(proxy, hole.port, 1.0, t, "hole"),
                 faulted=True),
            Load("egress-drop", lambda t: egress_faulted(proxy, drop.port, 0.5, t, "drop"),
                 faulted=True))
    elif component == "dns":
        c = case("dns", "first upstream black-holes (UDP and TCP)")
        silent = DnsUpstream(blackhole=True)
        world.extra_peers.append(silent)
        section = world.dns_section(upstreams=[f"127.0.0.1:{silent.port}",
                                               f"127.0.0.1:{world.dns.port}"])
        section = section.replace("upstream_timeout: 1s", "upstream_timeout: 300ms")
        served = serve(only(world, "dns", section))
        port = port_of(served, "dns-udp")
        loads = Loads(Load("dns-udp", lambda t: dns_udp_request(port, t), threads=2),
                      Load("dns-tcp", lambda t: dns_tcp_request(port, t)))
        notes["silent_upstream_questions"] = lambda: silent.questions
    else:
        c = case("events", "outputs black-hole (graphite, webhook: never read; forward: SYNs dropped)")
        section = world.events_section(extra=f"""  graphite:
    host: 127.0.0.1:{hole.port}
    flush_interval: 100ms
  forward:
    host: 127.0.0.1:{drop.port}
  webhook:
    url: http://127.0.0.1:{hole.port}/hook
""")
        served = serve(only(world, "events", section))
        port = port_of(served, "events-tcp")
        loads = Loads(Load("events-send-1", events_sender(port)),
                      Load("events-send-2", events_sender(port)),
                      Load("events-query", events_querier(port)))
    try:
        loads.wait_answered(3, timeout=30)
        run_for(loads, SECONDS)
        assert served.proc.poll() is None
        loads.wait_answered(3, timeout=30)
    finally:
        loads.stop(c.tally)
        c.notes = {"seconds": SECONDS, "loads": loads.summary(), "hole_accepted": hole.accepted,
                   **{k: v() for k, v in notes.items()}}
        c.finish(served)
    c.assert_clean()
    if component in ("lb", "egress"):  # (lb-drop: redispatched, nothing faulted)
        assert c.tally.faulted > 0, "no request met the black hole"
