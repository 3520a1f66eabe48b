# ctest-labels: peer
"""The lying DNS end to end: nsd (authoritative for vigie.test, on loopback)
is the only upstream, a Python http.server serves a hosts list, dig is the
client. Nothing leaves 127.0.0.1."""
import functools
import http.server
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

from vigie_harness import Served, dns_yaml, run_vigie, start_dns, start_peer, wait_for

pytestmark = pytest.mark.skipif(not (shutil.which("nsd") and shutil.which("dig")),
                                reason="needs nsd and dig (apt-get install nsd bind9-dnsutils)")

ZONE = """$ORIGIN vigie.test.
$TTL 3600
@        IN SOA ns.vigie.test. admin.vigie.test. 1 3600 900 604800 300
@        IN NS  ns.vigie.test.
ns       IN A   127.0.0.1
www      IN A   127.0.0.1
www      IN AAAA ::1
www      IN HTTPS 1 . alpn=h2
alias    IN CNAME www
cloak    IN CNAME tracker
ads      IN A   127.0.0.2
ads      IN AAAA ::2
ads      IN HTTPS 1 . ipv4hint=127.0.0.2
cdn.ads  IN A   127.0.0.2
tracker  IN A   127.0.0.3
good.ads IN A   127.0.0.4
mine     IN A   127.0.0.5
later    IN A   127.0.0.6
"""

# The list from "the internet" (served on loopback), as StevenBlack writes it.
HOSTS_LIST = """# Title: test hosts
127.0.0.1 localhost
::1 localhost
0.0.0.0 tracker.vigie.test
0.0.0.0 ads.vigie.test
"""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nsd:
    def __init__(self, workdir):
        self.dir = workdir
        self.dir.mkdir(exist_ok=True)
        self.port = None
        self.proc = None

    def start(self):
        # A port picked free for UDP may be taken for TCP (nsd then exits):
        # on a first start, pick another one.
        fresh = self.port is None
        for attempt in range(3):
            if self.port is None:
                self.port = free_port()
            self._spawn()

            def up():
                if self.proc.poll() is not None:
                    return "exited"
                return dig(self.port, "www.vigie.test", timeout=1)["status"] == "NOERROR"
            wait_for(up, timeout=30, what="nsd to answer")
            if self.proc.poll() is None:
                return
            if not fresh or attempt == 2:
                log = self.dir / "nsd.log"
                raise AssertionError("nsd exited: " + (log.read_text()[-500:] if log.exists() else ""))
            self.port = None

    def _spawn(self):
        (self.dir / "vigie.test.zone").write_text(ZONE)
        conf = self.dir / "nsd.conf"
        conf.write_text(f"""server:
  ip-address: 127.0.0.1@{self.port}
  port: {self.port}
  zonesdir: "{self.dir}"
  pidfile: "{self.dir}/nsd.pid"
  username: ""
  database: ""
  zonelistfile: "{self.dir}/zone.list"
  xfrdfile: "{self.dir}/xfrd.state"
  xfrdir: "{self.dir}"
  logfile: "{self.dir}/nsd.log"
  chroot: ""
  server-count: 1
  verbosity: 1
remote-control:
  control-enable: no
zone:
  name: vigie.test
  zonefile: vigie.test.zone
""")
        self.proc = subprocess.Popen(["nsd", "-d", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def nsd(tmp_path):
    n = Nsd(tmp_path / "nsd")
    n.start()
    yield n
    n.stop()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class ListServer:
    """http.server on loopback serving a directory (it answers
    If-Modified-Since with 304, as real list hosts do)."""

    def __init__(self, root):
        self.root = root
        self.requests = 0
        server = self

        class Handler(QuietHandler):
            def do_GET(self):
                server.requests += 1
                super().do_GET()

        handler = functools.partial(Handler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, name):
        return f"http://127.0.0.1:{self.port}/{name}"

    def stop(self):
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None


@pytest.fixture
def lists(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "hosts").write_text(HOSTS_LIST)
    s = ListServer(root)
    yield s
    s.stop()


def dig(port, name, qtype="A", tcp=False, timeout=3):
    args = ["dig", "@127.0.0.1", "-p", str(port), name, qtype, "+noall", "+comments", "+answer",
            "+authority", f"+time={timeout}", "+tries=1"]
    if tcp:
        args.append("+tcp")
    out = subprocess.run(args, capture_output=True, text=True, timeout=timeout + 10).stdout
    status = re.search(r"status: (\w+)", out)
    ede = re.search(r"EDE: (\d+)[^\n]*", out)
    answers = []
    section = None
    for line in out.splitlines():
        if line.startswith(";; ANSWER SECTION"):
            section = "answer"
        elif line.startswith(";; AUTHORITY SECTION"):
            section = "authority"
        elif line and not line.startswith(";") and section == "answer":
            f = line.split()
            answers.append((f[0], int(f[1]), f[3], " ".join(f[4:])))
    return {"status": status.group(1) if status else "TIMEOUT", "answers": answers,
            "ede": ede.group(0) if ede else "", "raw": out}


def data(res, rtype):
    return sorted(a[3] for a in res["answers"] if a[2] == rtype)


def config(nsd_port, lists_url, block_file, allow_file, extra=""):
    return dns_yaml(f"127.0.0.1:{nsd_port}", f"""  block:
    - {{name: stevenblack, url: "{lists_url}"}}
    - {{name: mine, path: "{block_file}"}}
  allow:
    - {{name: allow, path: "{allow_file}"}}
  upstream_timeout: 2s
{extra}""")


@pytest.fixture
def setup(tmp_path, nsd, lists, serve):
    block = tmp_path / "my-block.txt"
    block.write_text("# my own\n||cdn.ads.vigie.test^\nmine.vigie.test\n")
    allow = tmp_path / "my-allow.txt"
    allow.write_text("good.ads.vigie.test\n")

    def start(extra=""):
        text = config(nsd.port, lists.url("hosts"), block, allow, extra)
        s = start_dns(serve, text)
        assert s.listeners["dns-tcp"] == s.listeners["dns-udp"]
        return s

    start.block_file = block
    start.allow_file = allow
    return start


def metric(served, name, labels=""):
    _, body, _ = served.http("GET", "/metrics")
    for line in body.splitlines():
        if line.startswith(name + labels + " ") or line.startswith(name + "{" + labels + "} "):
            return float(line.split()[-1])
    return 0.0


def test_listed_names_get_the_block_answer_for_a_aaaa_https(setup):
    s = setup()
    for name in ["ads.vigie.test", "tracker.vigie.test", "mine.vigie.test", "cdn.ads.vigie.test",
                 "x.cdn.ads.vigie.test"]:
        for qtype in ["A", "AAAA", "HTTPS", "TXT"]:
            r = dig(s.dns_port, name, qtype)
            assert r["status"] == "NXDOMAIN", (name, qtype, r["raw"])
            assert r["ede"].startswith("EDE: 15"), r["raw"]
    # The hosts list's localhost lines never become blocks.
    assert "blocked" not in run_vigie("dns", "why", "localhost", "-c", str(s.config_path)).stdout
    # Hosts entries are exact: a name below a hosts entry is forwarded.
    assert dig(s.dns_port, "www.vigie.test")["status"] == "NOERROR"


def test_null_mode_answers_zero_addresses_and_nodata(setup):
    s = setup("  block_mode: \"null\"\n")
    assert data(dig(s.dns_port, "ads.vigie.test", "A"), "A") == ["0.0.0.0"]
    assert data(dig(s.dns_port, "ads.vigie.test", "AAAA"), "AAAA") == ["::"]
    https = dig(s.dns_port, "ads.vigie.test", "HTTPS")
    assert https["status"] == "NOERROR" and https["answers"] == [], https["raw"]


def test_unlisted_forwarded_then_served_from_cache(setup, nsd):
    s = setup()
    first = dig(s.dns_port, "www.vigie.test", "A")
    assert first["status"] == "NOERROR"
    assert data(first, "A") == ["127.0.0.1"]
    aaaa = dig(s.dns_port, "www.vigie.test", "AAAA")
    assert data(aaaa, "AAAA") == ["::1"]
    chain = dig(s.dns_port, "alias.vigie.test", "A")
    assert [a[2] for a in chain["answers"]] == ["CNAME", "A"]
    nx = dig(s.dns_port, "nothere.vigie.test", "A")
    assert nx["status"] == "NXDOMAIN" and nx["ede"] == ""
    hits_before = metric(s, "vigie_dns_queries_total", 'result="cached"')
    # Proof of the cache: the upstream is gone, the answers stay.
    nsd.stop()
    again = dig(s.dns_port, "www.vigie.test", "A")
    assert data(again, "A") == ["127.0.0.1"]
    assert again["answers"][0][1] <= 3600
    assert dig(s.dns_port, "WWW.Vigie.Test", "AAAA")["status"] == "NOERROR"
    assert dig(s.dns_port, "nothere.vigie.test", "A")["status"] == "NXDOMAIN"  # negative cache
    assert metric(s, "vigie_dns_queries_total", 'result="cached"') >= hits_before + 3
    # A name never asked is not in the cache: with no upstream it fails.
    assert dig(s.dns_port, "later.vigie.test", "A")["status"] == "SERVFAIL"


def test_allowlisted_name_is_forwarded(setup):
    s = setup()
    r = dig(s.dns_port, "good.ads.vigie.test", "A")
    assert r["status"] == "NOERROR", r["raw"]
    assert data(r, "A") == ["127.0.0.4"]


def test_cname_to_a_listed_name_is_blocked(setup):
    s = setup()
    r = dig(s.dns_port, "cloak.vigie.test", "A")
    assert r["status"] == "NXDOMAIN", r["raw"]
    assert metric(s, "vigie_dns_queries_total", 'result="blocked_cname"') == 1


def test_why_names_the_list_and_line(setup):
    s = setup()
    offline = run_vigie("dns", "why", "ads.vigie.test", "-c", str(s.config_path))
    assert offline.returncode == 0, offline.stderr
    assert 'blocked by list "stevenblack"' in offline.stdout
    assert "line 5" in offline.stdout
    mine = run_vigie("dns", "why", "x.cdn.ads.vigie.test", "-c", str(s.config_path)).stdout
    assert 'list "mine"' in mine and "line 2" in mine and "subtree" in mine
    allowed = run_vigie("dns", "why", "good.ads.vigie.test", "-c", str(s.config_path)).stdout
    assert 'allowed by list "allow"' in allowed and "line 1" in allowed
    host, port = s.admin
    online = run_vigie("dns", "why", "ads.vigie.test", "--admin", f"{host}:{port}")
    assert online.returncode == 0
    assert 'blocked by list "stevenblack"' in online.stdout and "line 5" in online.stdout
    flags = run_vigie("dns", "why", "mine.vigie.test", "--block", str(setup.block_file))
    assert "line 3" in flags.stdout


def test_failed_list_url_keeps_the_last_good_copy(setup, lists, tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    s = setup(f"  state_dir: \"{state}\"\n  refresh: 1h\n")
    assert dig(s.dns_port, "ads.vigie.test")["status"] == "NXDOMAIN"
    assert (state / "stevenblack.list").read_text() == HOSTS_LIST
    # Unchanged list: the reload asks with If-Modified-Since and gets 304.
    before = lists.requests
    s.signal(signal.SIGHUP)
    wait_for(lambda: lists.requests > before, what="refresh after SIGHUP")
    wait_for(lambda: "not modified" in s.http("GET", "/dns/lists")[1], what="304 recorded")
    lists.stop()
    s.signal(signal.SIGHUP)
    wait_for(lambda: "using the last good copy" in s.http("GET", "/dns/lists")[1],
             what="failed download reported")
    assert dig(s.dns_port, "ads.vigie.test")["status"] == "NXDOMAIN"
    assert metric(s, "vigie_dns_last_refresh_ok") == 0
    # A restart with the list host still down starts from the saved copy.
    s.stop()
    s2 = setup(f"  state_dir: \"{state}\"\n")
    assert dig(s2.dns_port, "tracker.vigie.test")["status"] == "NXDOMAIN"


def test_reload_swaps_lists(setup):
    s = setup()
    assert dig(s.dns_port, "later.vigie.test")["status"] == "NOERROR"
    setup.block_file.write_text("# my own\n||cdn.ads.vigie.test^\nmine.vigie.test\nlater.vigie.test\n")
    s.signal(signal.SIGHUP)
    wait_for(lambda: dig(s.dns_port, "later.vigie.test")["status"] == "NXDOMAIN",
             what="new list in effect")
    why = run_vigie("dns", "why", "later.vigie.test", "--admin", "%s:%d" % s.admin).stdout
    assert "line 4" in why


def test_tcp_queries_and_pipelining(setup):
    s = setup()
    r = dig(s.dns_port, "www.vigie.test", "A", tcp=True)
    assert data(r, "A") == ["127.0.0.1"]
    assert dig(s.dns_port, "ads.vigie.test", "A", tcp=True)["status"] == "NXDOMAIN"
    # Two queries in one write on one connection: two answers, in order.
    def query(qid, name):
        wire = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
        for label in name.split("."):
            wire += bytes([len(label)]) + label.encode()
        wire += b"\x00" + struct.pack(">HH", 1, 1)
        return struct.pack(">H", len(wire)) + wire
    with socket.create_connection(("127.0.0.1", s.dns_port), timeout=5) as c:
        c.sendall(query(11, "www.vigie.test") + query(12, "ads.vigie.test"))
        got = []
        buf = b""
        while len(got) < 2:
            chunk = c.recv(4096)
            assert chunk, "connection closed early"
            buf += chunk
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
                n = struct.unpack(">H", buf[:2])[0]
                got.append(buf[2:2 + n])
                buf = buf[2 + n:]
    ids = [struct.unpack(">H", m[:2])[0] for m in got]
    rcodes = [m[3] & 0x0F for m in got]
    assert ids == [11, 12]
    assert rcodes == [0, 3]


def test_malformed_packets_are_counted_and_harmless(setup):
    s = setup()
    good_header = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
    packets = [
        b"\x12",                                                    # truncated header
        good_header[:11],                                           # truncated header
        good_header + b"\xc0\x0c\x00\x01\x00\x01",                  # pointer loop
        good_header + b"\x40abc\x00\x00\x01\x00\x01",               # bad label type
        struct.pack(">HHHHHH", 7, 0x0100, 1, 0xFFFF, 0xFFFF, 0xFFFF) + b"\x00\x00\x01\x00\x01",
        struct.pack(">HHHHHH", 8, 0x8100, 1, 0, 0, 0) + b"\x00\x00\x01\x00\x01",  # QR set
        good_header + b"\x03www",                                   # name runs off the end
        os.urandom(700),
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.settimeout(2)
        for p in packets:
            u.sendto(p, ("127.0.0.1", s.dns_port))
        # The pointer loop gets FORMERR with its ID.
        u.sendto(good_header + b"\xc0\x0c\x00\x01\x00\x01", ("127.0.0.1", s.dns_port))
        formerr = None
        while formerr is None:
            reply, _ = u.recvfrom(4096)
            if struct.unpack(">H", reply[:2])[0] == 0x4242:
                formerr = reply
        assert formerr[3] & 0x0F == 1
    with socket.create_connection(("127.0.0.1", s.dns_port), timeout=5) as c:
        c.sendall(b"\x00\x05\x01\x02\x03\x04\x05")   # a 5-octet "message"
        c.settimeout(5)
        assert c.recv(100) == b""                     # closed, not crashed
    wait_for(lambda: metric(s, "vigie_dns_malformed_total") >= 8, what="malformed counted")
    assert dig(s.dns_port, "www.vigie.test")["status"] == "NOERROR"
    assert s.proc.poll() is None


def test_flags_form_runs_without_a_config(nsd, lists, tmp_path):
    block = tmp_path / "b.txt"
    block.write_text("address=/mine.vigie.test/\n")
    v = Served(["dns", "--listen", "127.0.0.1:0", "--upstream", f"127.0.0.1:{nsd.port}",
                "--block", lists.url("hosts"), "--block", str(block), "--block-mode", "null",
                "--admin", "127.0.0.1:0"]).wait_ready()
    try:
        port = int(v.listeners["dns-udp"].rsplit(":", 1)[1])
        assert data(dig(port, "ads.vigie.test"), "A") == ["0.0.0.0"]
        assert dig(port, "x.mine.vigie.test")["status"] == "NXDOMAIN"  # dnsmasq rule's own answer
        assert data(dig(port, "www.vigie.test"), "A") == ["127.0.0.1"]
    finally:
        v.stop()


def test_clients_outside_the_allowed_networks_are_refused(setup):
    s = setup("  clients: [10.0.0.0/8]\n")
    assert dig(s.dns_port, "www.vigie.test")["status"] == "REFUSED"


def test_same_answers_as_unbound(setup, nsd, tmp_path):
    unbound = shutil.which("unbound")
    if not unbound:
        pytest.skip("unbound not installed")
    s = setup()
    d = tmp_path / "unbound"
    d.mkdir()

    def spawn(port):
        (d / "unbound.conf").write_text(f"""server:
  interface: 127.0.0.1@{port}
  port: {port}
  do-daemonize: no
  use-syslog: no
  username: ""
  chroot: ""
  directory: "{d}"
  pidfile: "{d}/unbound.pid"
  logfile: "{d}/unbound.log"
  verbosity: 1
  do-not-query-localhost: no
  module-config: "iterator"
  num-threads: 1
  local-zone: "test." nodefault
  local-zone: "ads.vigie.test." always_nxdomain
  local-zone: "tracker.vigie.test." always_nxdomain
  local-zone: "mine.vigie.test." always_nxdomain
  local-zone: "good.ads.vigie.test." transparent
remote-control:
  control-enable: no
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@{nsd.port}
""")
        return subprocess.Popen([unbound, "-d", "-c", str(d / "unbound.conf")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
    proc, port = start_peer(
        spawn, lambda port: dig(port, "www.vigie.test", timeout=1)["status"] == "NOERROR",
        "unbound", log=d / "unbound.log")
    try:
        for name, qtype in [("www.vigie.test", "A"), ("www.vigie.test", "AAAA"),
                            ("alias.vigie.test", "A"), ("nothere.vigie.test", "A"),
                            ("ads.vigie.test", "A"), ("ads.vigie.test", "AAAA"),
                            ("ads.vigie.test", "HTTPS"), ("tracker.vigie.test", "A"),
                            ("mine.vigie.test", "MX"), ("good.ads.vigie.test", "A"),
                            ("www.vigie.test", "MX")]:
            ours = dig(s.dns_port, name, qtype)
            theirs = dig(port, name, qtype)
            assert ours["status"] == theirs["status"], (name, qtype, ours["raw"], theirs["raw"])
            strip = lambda r: sorted((a[0].lower(), a[2], a[3]) for a in r["answers"])
            assert strip(ours) == strip(theirs), (name, qtype)
    finally:
        proc.terminate()
        proc.wait(10)
