# ctest-labels: peer
"""The dns component's operator features end to end: the per-client rate
limit (dnsperf bursts, dig from a second loopback address), the JSON query
log (every kind of answer, rotation at max_size, reopen on SIGHUP) and the
top blocked names (/dns/top and `vigie dns top`). nsd on loopback is the
upstream; nothing leaves 127.0.0.1."""
import json
import re
import shutil
import signal
import socket
import struct
import subprocess

import pytest

from vigie_harness import dns_yaml, run_vigie, start_dns, wait_for
from test_dns import Nsd, dig  # noqa: F401  (the nsd peer and the dig wrapper)

pytestmark = pytest.mark.skipif(
    not (shutil.which("nsd") and shutil.which("dig") and shutil.which("dnsperf")
         and shutil.which("promtool")),
    reason="needs nsd, dig, dnsperf and promtool "
           "(apt-get install nsd bind9-dnsutils dnsperf prometheus)")


@pytest.fixture
def nsd(tmp_path):
    n = Nsd(tmp_path / "nsd")
    n.start()
    yield n
    n.stop()


def base_config(upstream, extra=""):
    return dns_yaml(upstream, f"""  upstream_timeout: 1s
  local:
    - r.vigie.test A 10.0.0.1
{extra}""")



def metric(served, name, labels=""):
    _, body, _ = served.http("GET", "/metrics")
    m = re.search(r"^" + re.escape(name + labels) + r" (\S+)$", body, re.M)
    return float(m.group(1)) if m else 0.0


def dnsperf(port, queries, tmp_path, qps, seconds, source="127.0.0.1"):
    data = tmp_path / "queries.txt"
    data.write_text("".join(f"{q}\n" for q in queries))
    out = subprocess.run(["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-a", source,
                          "-d", str(data), "-l", str(seconds), "-Q", str(qps), "-t", "1",
                          "-c", "1", "-q", "50"],
                         capture_output=True, text=True, timeout=seconds + 30).stdout
    codes = dict((k, int(v)) for k, v in re.findall(r"(\w+) (\d+) \(", out.split(
        "Response codes:")[1].splitlines()[0])) if "Response codes:" in out else {}
    sent = int(re.search(r"Queries sent:\s+(\d+)", out).group(1))
    lost = int(re.search(r"Queries lost:\s+(\d+)", out).group(1))
    return {"codes": codes, "sent": sent, "lost": lost, "raw": out}


def udp_burst(port, name, count, source="127.0.0.1", wait=1.0):
    """Sends `count` A queries at once from `source`; returns the answers'
    rcodes (dropped queries are simply missing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((source, 0))
        labels = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
        for i in range(count):
            s.sendto(struct.pack(">HHHHHH", i, 0x0100, 1, 0, 0, 0) + labels +
                     struct.pack(">HH", 1, 1), ("127.0.0.1", port))
        s.settimeout(wait)
        rcodes = []
        try:
            while True:
                reply = s.recv(4096)
                rcodes.append(reply[3] & 0x0F)
        except socket.timeout:
            pass
        return rcodes


# --- rate limit -------------------------------------------------------------

def test_rate_limit_refuses_a_dnsperf_burst_and_spares_another_client(tmp_path, serve):
    s = start_dns(serve, base_config("127.0.0.1:1", """  rate_limit: {qps: 50, burst: 50, action: refused}
"""))
    # 400 qps for 2 s from 127.0.0.1: about 50 + 2 x 50 pass, the rest REFUSED.
    r = dnsperf(s.dns_port, ["r.vigie.test A"], tmp_path, qps=400, seconds=2)
    assert r["sent"] >= 500, r["raw"]
    assert r["lost"] == 0, r["raw"]
    ok, refused = r["codes"].get("NOERROR", 0), r["codes"].get("REFUSED", 0)
    assert 100 <= ok <= 250, r["raw"]
    assert refused >= r["sent"] - 250, r["raw"]
    limited = metric(s, "vigie_dns_queries_total", '{result="ratelimited"}')
    assert limited == refused
    # Another client (its own /32) is not affected while 127.0.0.1 is over.
    udp_burst(s.dns_port, "r.vigie.test", 200, wait=0.2)
    other = subprocess.run(["dig", "@127.0.0.1", "-p", str(s.dns_port), "-b", "127.0.0.2",
                            "r.vigie.test", "A", "+short", "+time=2", "+tries=1"],
                           capture_output=True, text=True, timeout=10).stdout
    assert other.strip() == "10.0.0.1"
    assert metric(s, "vigie_dns_ratelimit_clients") >= 2


def test_rate_limit_drop_answers_nothing_over_the_burst(serve):
    s = start_dns(serve, base_config("127.0.0.1:1", """  rate_limit: {qps: 1, burst: 10}
"""))
    rcodes = udp_burst(s.dns_port, "r.vigie.test", 50)
    assert 10 <= len(rcodes) <= 12 and set(rcodes) == {0}, rcodes
    assert metric(s, "vigie_dns_queries_total", '{result="ratelimited"}') >= 38


def test_rate_limit_truncate_sends_clients_to_tcp(serve):
    s = start_dns(serve, base_config("127.0.0.1:1", """  rate_limit: {qps: 1, burst: 2, action: truncate}
"""))
    udp_burst(s.dns_port, "r.vigie.test", 20, wait=0.2)
    # Over the limit over UDP: TC=1, no records...
    raw = subprocess.run(["dig", "@127.0.0.1", "-p", str(s.dns_port), "r.vigie.test", "A",
                          "+ignore", "+time=2", "+tries=1"],
                         capture_output=True, text=True, timeout=10).stdout
    assert re.search(r"flags:[^;]* tc", raw), raw
    assert "ANSWER: 0" in raw
    # ...and dig's automatic TCP retry gets the answer (TCP is not limited).
    res = dig(s.dns_port, "r.vigie.test")
    assert res["status"] == "NOERROR" and res["answers"][0][3] == "10.0.0.1", res["raw"]


def test_rate_limit_reload_turns_it_on(serve):
    s = start_dns(serve, base_config("127.0.0.1:1"))
    assert len(udp_burst(s.dns_port, "r.vigie.test", 40)) == 40
    s.config_path.write_text(base_config("127.0.0.1:1", """  rate_limit: {qps: 1, burst: 5}
"""))
    s.signal(signal.SIGHUP)
    wait_for(lambda: len(udp_burst(s.dns_port, "r.vigie.test", 40, wait=0.3)) <= 6,
             what="rate limit applied after reload")


# --- query log --------------------------------------------------------------

HOSTS = "# test list\n0.0.0.0 ads.vigie.test\n0.0.0.0 tracker.vigie.test\n"


def log_config(nsd_port, tmp_path, query_log, extra=""):
    block = tmp_path / "block.txt"
    block.write_text(HOSTS)
    allow = tmp_path / "allow.txt"
    allow.write_text("good.ads.vigie.test\n")
    return base_config(f"127.0.0.1:{nsd_port}", f"""  block: [{{name: hosts, path: "{block}"}}]
  allow: [{{name: allow, path: "{allow}"}}]
  query_log: {query_log}
{extra}""")


def read_log(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_query_log_records_every_kind_of_answer(tmp_path, nsd, serve):
    log = tmp_path / "queries.log"
    s = start_dns(serve, log_config(nsd.port, tmp_path, f'{{path: "{log}"}}',
                                "  rate_limit: {qps: 5, burst: 12, action: refused}\n"))
    port = s.dns_port
    assert dig(port, "www.vigie.test")["status"] == "NOERROR"            # forwarded
    assert dig(port, "www.vigie.test")["status"] == "NOERROR"            # cached
    assert dig(port, "ads.vigie.test", "AAAA", tcp=True)["status"] == "NXDOMAIN"  # blocked
    assert dig(port, "r.vigie.test")["status"] == "NOERROR"              # local
    assert dig(port, "good.ads.vigie.test")["status"] == "NOERROR"       # allowed, forwarded
    # nsd refuses names outside its zone: an upstream failure for vigie.
    failed = dig(port, "outside.example")["status"]
    assert failed in ("SERVFAIL", "REFUSED")
    refused = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "-c", "CH", "version.bind",
                              "TXT", "+time=2", "+tries=1"], capture_output=True, text=True,
                             timeout=10).stdout
    assert "status: REFUSED" in refused
    # A second client over its limit.
    udp_burst(port, "r.vigie.test", 20, source="127.0.0.9", wait=0.3)

    def lines():
        return read_log(log)
    wait_for(lambda: any(r["result"] == "ratelimited" for r in lines()), what="log flushed")
    by = {}
    for r in lines():
        by.setdefault((r["name"], r["result"]), r)
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", r["time"]), r
        assert r["latency_ms"] >= 0
    fwd = by[("www.vigie.test", "forwarded")]
    assert fwd["client"] == "127.0.0.1" and fwd["type"] == "A" and fwd["rcode"] == "NOERROR"
    assert fwd["upstream"] == f"127.0.0.1:{nsd.port}" and fwd["proto"] == "udp"
    assert "upstream" not in by[("www.vigie.test", "cached")]
    blocked = by[("ads.vigie.test", "blocked")]
    assert blocked["rule"] == {"list": "hosts", "line": 2, "action": "block"}
    assert blocked["rcode"] == "NXDOMAIN" and blocked["type"] == "AAAA"
    assert blocked["proto"] == "tcp"
    assert by[("r.vigie.test", "local")]["rcode"] == "NOERROR"
    allowed = by[("good.ads.vigie.test", "forwarded")]
    assert allowed["rule"] == {"list": "allow", "line": 1, "action": "allow"}
    assert ("outside.example", "servfail") in by, [r for r in lines() if "outside" in r["name"]]
    assert by[("outside.example", "servfail")]["rcode"] == failed
    assert by[("version.bind", "refused")]["rcode"] == "REFUSED"
    limited = by[("r.vigie.test", "ratelimited")]
    assert limited["client"] == "127.0.0.9" and limited["rcode"] == "REFUSED"
    assert metric(s, "vigie_dns_query_log_lines_total") >= len(lines()) - 1
    assert oct(log.stat().st_mode & 0o777) == "0o640"


def test_query_log_rotates_at_max_size_and_reopens_on_sighup(tmp_path, nsd, serve):
    log = tmp_path / "q.log"
    s = start_dns(serve, log_config(nsd.port, tmp_path,
                                f'{{path: "{log}", max_size: 4KiB, keep: 2}}'))
    # ~150 bytes a line: 200 local answers are ~30 KiB, several rotations.
    rcodes = udp_burst(s.dns_port, "r.vigie.test", 200)
    assert len(rcodes) == 200
    wait_for(lambda: metric(s, "vigie_dns_query_log_lines_total") >= 200, what="lines written")
    assert metric(s, "vigie_dns_query_log_rotations_total") >= 3
    rotated = sorted(p.name for p in tmp_path.glob("q.log*"))
    assert rotated == ["q.log", "q.log.1", "q.log.2"], rotated
    for p in tmp_path.glob("q.log*"):
        assert p.stat().st_size <= 4096
        for r in read_log(p):
            assert r["name"] == "r.vigie.test"
    # logrotate's habit: move the file away, then SIGHUP.
    log.rename(tmp_path / "moved.log")
    s.signal(signal.SIGHUP)

    def fresh_file():
        dig(s.dns_port, "r.vigie.test")
        return log.exists() and read_log(log)
    wait_for(fresh_file, what="query log reopened at its path after SIGHUP")


# --- top blocked names --------------------------------------------------------

def test_top_blocked_names_route_and_command(tmp_path, nsd, serve):
    log = tmp_path / "q.log"
    s = start_dns(serve, log_config(nsd.port, tmp_path, f'{{path: "{log}"}}'))
    udp_burst(s.dns_port, "ads.vigie.test", 30)
    udp_burst(s.dns_port, "tracker.vigie.test", 10)
    dig(s.dns_port, "www.vigie.test")  # not blocked: not counted
    status, body, headers = s.http("GET", "/dns/top?n=5")
    assert status == 200 and headers["Content-Type"].startswith("application/json")
    top = json.loads(body)
    assert top["total"] == 40
    assert [(e["name"], e["count"], e["error"]) for e in top["names"]] == [
        ("ads.vigie.test", 30, 0), ("tracker.vigie.test", 10, 0)]
    # The same counts as a gauge family on /metrics, which promtool accepts.
    assert metric(s, "vigie_dns_top_blocked_queries", '{name="ads.vigie.test"}') == 30
    assert metric(s, "vigie_dns_top_blocked_queries", '{name="tracker.vigie.test"}') == 10
    body = s.http("GET", "/metrics")[1]
    assert "# TYPE vigie_dns_top_blocked_queries gauge" in body
    assert "www.vigie.test" not in body
    r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    one = json.loads(s.http("GET", "/dns/top?n=1")[1])
    assert [e["name"] for e in one["names"]] == ["ads.vigie.test"]
    assert s.http("GET", "/dns/top?n=zero")[0] == 400
    host, port = s.admin
    out = run_vigie("dns", "top", "-n", "10", "--admin", f"{host}:{port}")
    assert out.returncode == 0, out.stderr
    rows = [line.split() for line in out.stdout.splitlines()[1:]]
    assert rows == [["30", "0", "ads.vigie.test"], ["10", "0", "tracker.vigie.test"]], out.stdout
    # -c reads the admin address from a config (here port 0: nothing listens there).
    assert run_vigie("dns", "top", "-c", str(s.config_path)).returncode == 2



def test_top_blocked_metrics_limit_and_escaping(tmp_path, nsd, serve):
    """top_blocked_metrics bounds the family (and changes on reload); a name
    with '"' and '\\' octets stays valid exposition text."""
    block = tmp_path / "block.txt"
    block.write_text("0.0.0.0 ads.vigie.test\n0.0.0.0 tracker.vigie.test\n")
    odd = tmp_path / "odd.txt"
    odd.write_text("||odd.vigie.test^\n")
    s = start_dns(serve, base_config(f"127.0.0.1:{nsd.port}", f"""  block:
    - {{name: hosts, path: "{block}"}}
    - {{name: odd, path: "{odd}", format: adblock}}
  top_blocked_metrics: 2
"""))
    udp_burst(s.dns_port, "ads.vigie.test", 5)
    udp_burst(s.dns_port, "tracker.vigie.test", 3)
    for _ in range(2):  # dig reads \" and \\ as the octets '"' and '\'
        res = dig(s.dns_port, r'a\"b\\c.odd.vigie.test')
        assert res["status"] == "NXDOMAIN", res["raw"]
    body = s.http("GET", "/metrics")[1]
    lines = [line for line in body.splitlines()
             if line.startswith("vigie_dns_top_blocked_queries{")]
    assert lines == ['vigie_dns_top_blocked_queries{name="ads.vigie.test"} 5',
                     'vigie_dns_top_blocked_queries{name="tracker.vigie.test"} 3'], body
    s.config_path.write_text(s.config_path.read_text().replace("top_blocked_metrics: 2",
                                                               "top_blocked_metrics: 10"))
    s.signal(signal.SIGHUP)
    wait_for(lambda: "odd.vigie.test" in s.http("GET", "/metrics")[1],
             what="the family widened on reload")
    body = s.http("GET", "/metrics")[1]
    # The name's text form is a\"b\\c.odd.vigie.test; each '\' and '"' of it
    # is escaped once more for the label value.
    assert r'vigie_dns_top_blocked_queries{name="a\\\"b\\\\c.odd.vigie.test"} 2' in body, body
    r = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
