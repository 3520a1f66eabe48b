"""A query flood against a large events index: the index is filled with
many distinct host/service pairs, then several connections ask queries as
fast as they are answered (exact matches, prefix matches, regexes, a few
whole-index queries) while events keep arriving. Every query and every
event is answered; vigie does not crash; its peak RSS is noted."""
import threading

from faultlib import (Load, Loads, RiemannClient, events_sender, port_of, riemann_event,
                      riemann_msg, size)

EVENTS = size(20000, 200000)
BATCH = 1000
QUERIES = size(1000, 3000)  # per flooding connection
FLOODERS = 3


def fill(port, count):
    client = RiemannClient(port, timeout=60)
    try:
        for start in range(0, count, BATCH):
            evs = [riemann_event(f"h{i % 1000}", f"svc{i}", i, ttl=3600)
                   for i in range(start, min(count, start + BATCH))]
            ok, err, _ = client.call(riemann_msg(evs))
            assert ok, err
    finally:
        client.close()


def test_query_flood_against_a_large_index(serve, world, case):
    c = case("events", f"query flood ({FLOODERS} x {QUERIES}) against a {EVENTS}-event index")
    sections = {"lb": "", "egress": "", "dns": ""}
    served = serve(world.config(**sections))
    port = port_of(served, "events-tcp")
    fill(port, EVENTS)
    one = RiemannClient(port, timeout=120)
    ok, err, n = one.call(riemann_msg(query="true"))
    one.close()
    assert ok and n == EVENTS, (ok, err, n)
    ingest = Loads(Load("events-send", events_sender(port)))
    queries = ['host = "h7"', 'service = "svc12345"', 'service =~ "svc99%"',
               'host = "h3" and metric > 100', 'not host = "h1" and service = "svc5"',
               'tagged "none"', 'metric > 1000000000']
    counts = {"whole_index": 0}
    lock = threading.Lock()

    def flood(k):
        client = RiemannClient(port, timeout=120)
        try:
            for i in range(QUERIES):
                q = "true" if i % 1000 == 999 else queries[(i + k) % len(queries)]
                try:
                    ok, err, n = client.call(riemann_msg(query=q))
                except (OSError, ValueError) as e:
                    c.tally.fail(f"query {q!r}: {e!r}")
                    continue
                if not ok:
                    c.tally.fail(f"query {q!r}: {err}")
                    continue
                c.tally.ok()
                if q == "true":
                    with lock:
                        counts["whole_index"] += 1
        finally:
            client.close()

    threads = [threading.Thread(target=flood, args=(k,)) for k in range(FLOODERS)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(1200)
        assert served.proc.poll() is None, served.stderr()[-2000:]
        ingest.wait_answered(3)
    finally:
        ingest.stop(c.tally)
        c.notes = {"events": EVENTS, "queries_per_connection": QUERIES, "flooders": FLOODERS,
                   "whole_index_queries": counts["whole_index"], "ingest": ingest.summary()}
        c.finish(served)
    c.assert_clean()
    assert c.tally.answered >= FLOODERS * QUERIES
