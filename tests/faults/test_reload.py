"""Reloads under load: SIGHUP after SIGHUP while clients of all four
components run, with a broken config every few reloads (a YAML syntax
error, an invalid value in each component's section, a destination list
the proxy refuses) followed by a good one. Nothing is lost; /status names
the config actually running (its sha256), and the lb sends new
connections only to the servers of that config."""
import signal
import socket

from faultlib import (Load, Loads, admin_get, dns_tcp_request, dns_udp_request, egress_get,
                      events_querier, events_sender, lb_echo, metric, ports, sha256, size,
                      status_sha, wait_for)

RELOADS = size(20, 100)
BROKEN_EVERY = 4


def broken(world, i, good_text):
    """The i-th kind of broken config: (vigie.yaml text, destination list)."""
    kinds = [
        ("admin: [\n" + good_text, None),                                   # YAML syntax
        (good_text.replace('address: "127.0.0.1:', 'address: "127.0.0.1:x', 1), None),  # lb
        (good_text.replace("upstream_timeout: 1s", "upstream_timeout: soon"), None),    # dns
        (good_text.replace("log_expired: false", "log_expired: false\n  max_frame: -1"), None),
        (good_text, "*\nallowed.test\n"),                     # egress: wildcard not last
    ]
    return kinds[i % len(kinds)]


def lb_servers_seen(port, n=6):
    names = set()
    for _ in range(n):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            names.add(s.makefile("rb").readline().strip().decode())
    return names


def test_reloads_under_load_with_broken_configs(serve, world, case):
    c = case("all four", f"{RELOADS} reloads (SIGHUP) under load, 1 in {BROKEN_EVERY} broken")
    m1, m2 = world.backends
    both = world.lb_section()
    only_m1 = world.lb_section(servers=[("m1", m1.port)])
    text = world.config(lb=both, comment="# generation 0\n")
    served = serve(text)
    path = served.config_path
    dest = world.tmp / "destination"
    good_dest = dest.read_text()
    p = ports(served)
    loads = Loads(
        Load("lb", lambda t: lb_echo(p["lb"], t), threads=2),
        Load("egress", lambda t: egress_get(p["egress"], world.origin.port, t)),
        Load("dns-udp", lambda t: dns_udp_request(p["dns"], t)),
        Load("dns-tcp", lambda t: dns_tcp_request(p["dns"], t)),
        Load("events-send", events_sender(p["events"])),
        Load("events-query", events_querier(p["events"])),
        Load("admin", lambda t: admin_get(served, t)))
    loads.wait_answered(3)
    running = sha256(text)
    assert status_sha(served) == running, "the sha256 on /status is not the file's"
    expected_servers = {"m1", "m2"}
    good = bad = 0
    try:
        for i in range(1, RELOADS + 1):
            ok_before = metric(served, "vigie_reloads_total")
            failed_before = metric(served, "vigie_reload_failures_total")
            if i % BROKEN_EVERY == 0:
                bad_text, bad_dest = broken(world, bad, text)
                path.write_text(bad_text)
                if bad_dest:
                    dest.write_text(bad_dest)
                served.signal(signal.SIGHUP)
                wait_for(lambda: metric(served, "vigie_reload_failures_total") > failed_before,
                         timeout=30, what=f"reload {i} (broken, kind {bad % 5}) refused")
                assert metric(served, "vigie_reloads_total") == ok_before
                assert status_sha(served) == running, f"reload {i}: /status changed on a refusal"
                dest.write_text(good_dest)
                bad += 1
            else:
                lb = both if i % 2 else only_m1
                expected_servers = {"m1", "m2"} if i % 2 else {"m1"}
                text = world.config(lb=lb, comment=f"# generation {i}\n")
                path.write_text(text)
                served.signal(signal.SIGHUP)
                wait_for(lambda: metric(served, "vigie_reloads_total") > ok_before, timeout=30,
                         what=f"reload {i} applied")
                assert metric(served, "vigie_reload_failures_total") == failed_before, (
                    f"reload {i} of a good config refused:\n" + served.stderr()[-1500:])
                running = sha256(text)
                assert status_sha(served) == running, f"reload {i}: /status names another config"
                seen = lb_servers_seen(p["lb"])
                assert seen <= expected_servers, f"reload {i}: lb used {seen}"
                good += 1
            assert served.proc.poll() is None
        loads.wait_answered(3)
    finally:
        loads.stop(c.tally)
        c.notes = {"reloads": RELOADS, "good": good, "broken": bad, "loads": loads.summary()}
        c.finish(served)
    c.assert_clean()
