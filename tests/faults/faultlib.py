"""The fault suite's common parts: sizes, the per-case record, peers that
misbehave on purpose, clients that count every request, and the vigie.yaml
that runs all four components at once.

Counting rule: every request a client sends is counted once as answered,
as a failure of a faulted connection (one the test broke on purpose, or one
the fault was aimed at), or as *lost* (an ordinary request that failed). A
case passes with zero lost, zero crashes.
"""
import hashlib
import json
import os
import random
import re
import socket
import struct
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from vigie_harness import wait_for  # noqa: E402

FULL = bool(os.environ.get("FAULTS_FULL"))
MODE = "full" if FULL else "short"


def size(short, full):
    """`short` in the short form (`make test`), `full` under FAULTS_FULL=1."""
    return full if FULL else short


def results_path():
    return os.environ.get("FAULTS_RESULTS") or os.path.join(
        tempfile.gettempdir(), "vigie-faults", "results.json")


# --- the process -------------------------------------------------------------

def peak_rss_mib(pid):
    """VmHWM of process `pid` (its peak resident set), in MiB; None if gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def metric(served, name, **labels):
    """The value of one series on /metrics (0 when absent)."""
    _, body, _ = served.http("GET", "/metrics")
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in body.splitlines():
        if labels and line.startswith(name + "{" + want + "}"):
            return float(line.rsplit(" ", 1)[1])
        if not labels and (line.startswith(name + " ") or line.startswith(name + "{")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def port_of(served, listener):
    return int(served.listeners[listener].rsplit(":", 1)[1])


def udp_rcvbuf_errors():
    """The kernel's count of datagrams dropped because a socket's receive
    buffer was full (/proc/net/snmp, this network namespace, every socket)."""
    with open("/proc/net/snmp") as f:
        lines = [l.split() for l in f if l.startswith("Udp:")]
    return int(lines[1][lines[0].index("RcvbufErrors")])


# --- counting ----------------------------------------------------------------

class Tally:
    """Thread-safe counts of one kind of request."""

    def __init__(self):
        self.lock = threading.Lock()
        self.sent = 0
        self.answered = 0
        self.faulted = 0          # requests on faulted connections (whatever became of them)
        self.faulted_failed = 0   # ... of which failed
        self.faulted_answered_n = 0  # ... of which were answered
        self.lost = 0             # ordinary requests that failed
        self.lost_samples = []

    def ok(self, n=1):
        with self.lock:
            self.sent += n
            self.answered += n

    def fail(self, why):
        with self.lock:
            self.sent += 1
            self.lost += 1
            if len(self.lost_samples) < 8:
                self.lost_samples.append(f"{time.strftime('%H:%M:%S')} {why}")

    def faulted_ok(self, n=1):
        with self.lock:
            self.sent += n
            self.faulted += n
            self.answered += n
            self.faulted_answered_n += n

    def faulted_neither(self, n=1):
        """Faulted connections with no answer to expect (a slowloris, a filler)."""
        with self.lock:
            self.sent += n
            self.faulted += n

    def faulted_fail(self):
        with self.lock:
            self.sent += 1
            self.faulted += 1
            self.faulted_failed += 1

    @property
    def ordinary_answered(self):
        with self.lock:
            return self.answered - self.faulted_answered

    @property
    def faulted_answered(self):
        return self.faulted_answered_n

    def add(self, other):
        with self.lock, other.lock:
            self.sent += other.sent
            self.answered += other.answered
            self.faulted += other.faulted
            self.faulted_failed += other.faulted_failed
            self.faulted_answered_n += other.faulted_answered_n
            self.lost += other.lost
            self.lost_samples += other.lost_samples[:8 - len(self.lost_samples)]


class Case:
    """One row of the fault table: a component, a fault, the counts, then
    what became of vigie (crash, peak RSS). `finish(served)` reads the peak
    RSS, stops vigie with SIGTERM (unless the test already did) and writes
    the row; the test then asserts on it."""

    def __init__(self, component, fault, test_id):
        self.component = component
        self.fault = fault
        self.test_id = test_id
        self.tally = Tally()
        self.notes = {}
        self.started = time.monotonic()
        self.rcvbuf_errors_at_start = udp_rcvbuf_errors()
        self.retransmits_at_start = UDP_RETRANSMITS[0]
        self.crashes = 0
        self.crash_info = ""
        self.peak_rss = None
        self.written = False
        self.log_tail = ""
        self.known_bug = ""  # the xfail reason of a case that shows a known vigie bug

    def finish(self, served, exit_code=None):
        """Stops `served` (SIGTERM, expects exit 0) unless `exit_code` is
        given (the test stopped it) and writes the row."""
        if served.proc.poll() is None:
            self.peak_rss = peak_rss_mib(served.proc.pid)
            code = served.stop(timeout=30)
        else:
            self.peak_rss = self.peak_rss or None
            code = served.proc.returncode if exit_code is None else exit_code
            if exit_code is None:
                served.wait_exit(10)
        if exit_code is not None:
            code = exit_code
        if code != 0:
            self.crashes = 1
            self.crash_info = f"exit code {code}"
        text = served.stderr()
        self.log_tail = "\n".join(text.splitlines()[-25:])
        for marker in ("AddressSanitizer", "runtime error:", "LeakSanitizer", "terminate called",
                       "Assertion", "CHECK failed"):
            if marker in text:
                self.crashes = 1
                self.crash_info += f"; stderr has {marker!r}"
        self.write()
        return self

    def write(self, incomplete=False):
        if self.written:
            return
        self.written = True
        t = self.tally
        row = {
            "component": self.component, "fault": self.fault, "mode": MODE,
            "test": self.test_id, "sent": t.sent, "answered": t.answered,
            "faulted": t.faulted, "faulted_failed": t.faulted_failed, "lost": t.lost,
            "lost_samples": t.lost_samples, "crashes": self.crashes,
            "crash_info": self.crash_info,
            "peak_rss_mib": round(self.peak_rss, 1) if self.peak_rss is not None else None,
            "seconds": round(time.monotonic() - self.started, 2), "notes": self.notes,
            "udp_dns_retransmits": UDP_RETRANSMITS[0] - self.retransmits_at_start,
            "udp_rcvbuf_errors": udp_rcvbuf_errors() - self.rcvbuf_errors_at_start,
            "known_bug": self.known_bug,
            "incomplete": incomplete, "at": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "binary": os.environ.get("VIGIE_BINARY", "vigie"),
        }
        path = results_path()
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row, sort_keys=True) + "\n")

    def assert_clean(self):
        t = self.tally
        assert self.crashes == 0, f"vigie crashed: {self.crash_info}"
        assert t.lost == 0, (f"{t.lost} of {t.sent} requests lost outside the faulted "
                             f"connections: {t.lost_samples}\nvigie's log:\n{self.log_tail}")
        assert t.answered > 0, "nothing was answered at all"


# --- load --------------------------------------------------------------------

class FaultWindow:
    """When a process-wide fault (descriptor exhaustion, ...) was on, one
    interval per round. A request whose run overlapped one belongs to the
    faulted ones."""

    def __init__(self):
        self.intervals = []  # [start, end or None]
        self.lock = threading.Lock()

    def open(self):
        with self.lock:
            self.intervals.append([time.monotonic(), None])

    def close(self):
        with self.lock:
            self.intervals[-1][1] = time.monotonic()

    def overlaps(self, start, end):
        with self.lock:
            return any(end >= a and (b is None or start <= b) for a, b in self.intervals)


class _Recorder:
    """What a request of a Load with a FaultWindow records into: ok/fail go
    to the faulted counts when the request overlapped the window."""

    def __init__(self, tally, window):
        self.tally = tally
        self.window = window
        self.start = time.monotonic()

    def ok(self, n=1):
        if self.window.overlaps(self.start, time.monotonic()):
            self.tally.faulted_ok(n)
        else:
            self.tally.ok(n)

    def fail(self, why):
        if self.window.overlaps(self.start, time.monotonic()):
            self.tally.faulted_fail()
        else:
            self.tally.fail(why)


class Load:
    """`threads` client threads, each calling `request(tally)` in a loop
    until stopped. A request records itself in the tally (ok/fail); with a
    `window`, a request overlapping it is counted as faulted."""

    def __init__(self, name, request, threads=1, tally=None, window=None, faulted=False):
        self.name = name
        self.faulted = faulted  # its requests all go into the fault: none to wait for
        self.tally = tally or Tally()
        self.window = window
        self._stop = threading.Event()
        self._threads = []
        for i in range(threads):
            t = threading.Thread(target=self._run, args=(request,), daemon=True,
                                 name=f"{name}-{i}")
            t.start()
            self._threads.append(t)

    def _run(self, request):
        while not self._stop.is_set():
            rec = _Recorder(self.tally, self.window) if self.window else self.tally
            try:
                request(rec)
            except Exception as e:  # a client bug must still be counted
                rec.fail(f"{self.name}: client exception {e!r}")
                time.sleep(0.05)

    def wait_answered(self, n, timeout=60):
        start = self.tally.ordinary_answered
        wait_for(lambda: self.tally.ordinary_answered >= start + n, timeout=timeout,
                 what=f"{n} more answers from {self.name} (lost so far: {self.tally.lost_samples})")

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(60)


class Loads:
    """Several Loads; `stop()` stops them all and adds their tallies into `into`."""

    def __init__(self, *loads):
        self.loads = list(loads)

    def wait_answered(self, n, timeout=60):
        for ld in self.loads:
            if not ld.faulted:
                ld.wait_answered(n, timeout)

    def stop(self, into):
        for ld in self.loads:
            ld.stop()
        for ld in self.loads:
            into.add(ld.tally)
        return into

    def summary(self):
        return {ld.name: {"sent": ld.tally.sent, "lost": ld.tally.lost} for ld in self.loads}


# --- peers -------------------------------------------------------------------

class _Server:
    def __init__(self, host="127.0.0.1", backlog=512):
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.lock = threading.Lock()
        self.conns = []
        self.closed = False
        self.sock.listen(backlog)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
            threading.Thread(target=self._guard, args=(conn,), daemon=True).start()

    def _guard(self, conn):
        try:
            self.handle(conn)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle(self, conn):
        raise NotImplementedError

    def close(self):
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def rst_close(sock):
    """Closes `sock` with a RST (SO_LINGER on, 0 s)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class EchoBackend(_Server):
    """A TCP backend: greets with `name` and a newline, then echoes line by
    line. A line starting with "RST" makes it pour 256 KiB back and then
    reset the connection (the backend-side fault)."""

    def __init__(self, name="echo", host="127.0.0.1"):
        self.name = name
        self.resets = 0
        super().__init__(host)

    def handle(self, conn):
        conn.settimeout(60)
        conn.sendall(self.name.encode() + b"\n")
        f = conn.makefile("rb")
        while True:
            line = f.readline()
            if not line:
                return
            if line.startswith(b"RST"):
                conn.sendall(b"r" * 262144)
                with self.lock:
                    self.resets += 1
                rst_close(conn)
                return
            conn.sendall(line)


class BlackHole(_Server):
    """Accepts and then never reads nor answers (holds the connection)."""

    def handle(self, conn):
        while not self.closed:
            time.sleep(0.2)


class SynDrop:
    """A port whose listen queue is full: SYNs are dropped, connects time
    out (a host that drops packets)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.listen(0)
        self.fillers = []
        for _ in range(3):
            c = socket.socket()
            c.setblocking(False)
            try:
                c.connect(("127.0.0.1", self.port))
            except BlockingIOError:
                pass
            self.fillers.append(c)

    def close(self):
        self.sock.close()
        for c in self.fillers:
            c.close()


class HttpOrigin(_Server):
    """A small HTTP/1.1 origin: every GET is answered `ok PATH`; `/slow`
    waits `slow` seconds first (counted in `slow_started`). Keep-alive."""

    def __init__(self, slow=1.0):
        self.slow = slow
        self.slow_started = 0
        self.requests = 0
        super().__init__()

    def handle(self, conn):
        conn.settimeout(60)
        f = conn.makefile("rb")
        while True:
            line = f.readline(65536)
            if not line:
                return
            parts = line.split()
            length = 0
            while True:
                h = f.readline(65536)
                if not h or h in (b"\r\n", b"\n"):
                    break
                if h.lower().startswith(b"content-length:"):
                    length = int(h.split(b":", 1)[1])
            if length:
                f.read(length)
            path = parts[1] if len(parts) > 1 else b"/"
            with self.lock:
                self.requests += 1
            if path.startswith(b"/slow"):
                with self.lock:
                    self.slow_started += 1
                time.sleep(self.slow)
            body = b"ok " + path
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                         + str(len(body)).encode() + b"\r\n\r\n" + body)


# --- DNS ---------------------------------------------------------------------

def dns_query_wire(qid, name, qtype=1):
    wire = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        wire += bytes([len(label)]) + label.encode()
    return wire + b"\x00" + struct.pack(">HH", qtype, 1)


def _skip_name(msg, i):
    while True:
        n = msg[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += n + 1


class DnsUpstream:
    """A minimal authoritative-looking upstream on loopback, UDP and TCP on
    one port: every A question gets 127.0.0.1 (TTL 300). `delay` holds each
    answer; `blackhole` reads and never answers. Counts questions."""

    def __init__(self, delay=0.0, blackhole=False):
        self.delay = delay
        self.blackhole = blackhole
        self.questions = 0
        self.lock = threading.Lock()
        self.closed = False
        for _ in range(50):
            self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.udp.bind(("127.0.0.1", 0))
            self.port = self.udp.getsockname()[1]
            self.tcp = socket.socket()
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                self.tcp.bind(("127.0.0.1", self.port))
                break
            except OSError:
                self.udp.close()
                self.tcp.close()
        self.tcp.listen(64)
        threading.Thread(target=self._udp, daemon=True).start()
        threading.Thread(target=self._tcp_accept, daemon=True).start()

    def answer(self, q):
        qid, flags = struct.unpack(">HH", q[:4])
        end = _skip_name(q, 12) + 4
        question = q[12:end]
        qtype = struct.unpack(">H", q[end - 4:end - 2])[0]
        rd = flags & 0x0100
        if qtype == 1:
            head = struct.pack(">HHHHHH", qid, 0x8400 | rd, 1, 1, 0, 0)
            rr = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + bytes([127, 0, 0, 1])
            return head + question + rr
        return struct.pack(">HHHHHH", qid, 0x8400 | rd, 1, 0, 0, 0) + question

    def _count(self):
        with self.lock:
            self.questions += 1

    def _udp(self):
        while not self.closed:
            try:
                q, addr = self.udp.recvfrom(4096)
            except OSError:
                return
            self._count()
            if self.blackhole:
                continue
            if self.delay:
                threading.Timer(self.delay, self._send_udp, args=(q, addr)).start()
            else:
                self._send_udp(q, addr)

    def _send_udp(self, q, addr):
        try:
            self.udp.sendto(self.answer(q), addr)
        except (OSError, IndexError, struct.error):
            pass

    def _tcp_accept(self):
        while not self.closed:
            try:
                c, _ = self.tcp.accept()
            except OSError:
                return
            threading.Thread(target=self._tcp, args=(c,), daemon=True).start()

    def _tcp(self, c):
        with c:
            c.settimeout(30)
            try:
                while True:
                    head = _recv_exact(c, 2)
                    if head is None:
                        return
                    q = _recv_exact(c, struct.unpack(">H", head)[0])
                    if q is None:
                        return
                    self._count()
                    if self.blackhole:
                        continue
                    if self.delay:
                        time.sleep(self.delay)
                    a = self.answer(q)
                    c.sendall(struct.pack(">H", len(a)) + a)
            except (OSError, IndexError, struct.error):
                return

    def close(self):
        self.closed = True
        self.udp.close()
        self.tcp.close()


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


_qid = [random.randrange(1 << 16)]
_qid_lock = threading.Lock()


def next_qid():
    with _qid_lock:
        _qid[0] = (_qid[0] + 1) & 0xFFFF
        return _qid[0]


_names = [0]


def unique_name(zone="load.test"):
    """A name never asked before (a cache miss: it goes upstream)."""
    with _qid_lock:
        _names[0] += 1
        return f"q{_names[0]}-{random.randrange(1 << 30)}.{zone}"


UDP_TRIES = 3
UDP_RETRANSMITS = [0]


def dns_udp(port, name, timeout=5.0, tries=1):
    """One UDP query; returns the rcode, raises on timeout or a bad reply.
    With `tries` > 1 it is sent again after each `timeout` without an
    answer, as stub resolvers and dig do (UDP_RETRANSMITS counts those)."""
    qid = next_qid()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        for attempt in range(tries):
            if attempt:
                with _qid_lock:
                    UDP_RETRANSMITS[0] += 1
            u.sendto(dns_query_wire(qid, name), ("127.0.0.1", port))
            deadline = time.monotonic() + timeout
            try:
                while True:
                    u.settimeout(max(0.01, deadline - time.monotonic()))
                    reply, _ = u.recvfrom(65535)
                    if struct.unpack(">H", reply[:2])[0] == qid:
                        return reply[3] & 0x0F
            except socket.timeout:
                if attempt == tries - 1:
                    raise


def dns_tcp(port, name, timeout=5.0):
    qid = next_qid()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as c:
        q = dns_query_wire(qid, name)
        c.sendall(struct.pack(">H", len(q)) + q)
        head = _recv_exact(c, 2)
        if head is None:
            raise OSError("closed before the answer")
        reply = _recv_exact(c, struct.unpack(">H", head)[0])
        if reply is None or struct.unpack(">H", reply[:2])[0] != qid:
            raise OSError("bad or missing answer")
        return reply[3] & 0x0F


# --- Riemann protocol (protobuf by hand) -----------------------------------------

def _varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def _field(num, payload):
    return _varint(num << 3 | 2) + _varint(len(payload)) + payload


def riemann_event(host, service, metric=1, ttl=None):
    ev = _field(4, host.encode()) + _field(3, service.encode()) + _field(2, b"ok")
    ev += _varint(13 << 3 | 0) + _varint(metric << 1)  # metric_sint64, zigzag (metric >= 0)
    if ttl is not None:
        ev += bytes([0x45]) + struct.pack("<f", ttl)  # field 8, fixed32
    return ev


def riemann_msg(events=(), query=None):
    msg = b""
    for ev in events:
        msg += _field(6, ev)
    if query is not None:
        msg += _field(5, _field(1, query.encode()))
    return struct.pack(">I", len(msg)) + msg


def _read_varint(buf, i):
    n = shift = 0
    while True:
        b = buf[i]
        i += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return n, i


def riemann_reply(buf):
    """(ok, error text, number of events) of a Msg."""
    ok, err, events, i = False, "", 0, 0
    while i < len(buf):
        key, i = _read_varint(buf, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _read_varint(buf, i)
            if num == 2:
                ok = bool(v)
        elif wt == 2:
            n, i = _read_varint(buf, i)
            if num == 3:
                err = buf[i:i + n].decode("utf-8", "replace")
            elif num == 6:
                events += 1
            i += n
        elif wt == 5:
            i += 4
        elif wt == 1:
            i += 8
        else:
            raise ValueError(f"wire type {wt}")
    return ok, err, events


def read_frame(sock):
    head = _recv_exact(sock, 4)
    if head is None:
        return None
    return _recv_exact(sock, struct.unpack(">I", head)[0])


class RiemannClient:
    """One persistent TCP connection (reconnects after a failure)."""

    def __init__(self, port, timeout=10.0):
        self.port = port
        self.timeout = timeout
        self.sock = None

    def call(self, data):
        if self.sock is None:
            self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)
        try:
            self.sock.sendall(data)
            reply = read_frame(self.sock)
            if reply is None:
                raise OSError("closed before the reply")
            return riemann_reply(reply)
        except Exception:
            self.close()
            raise

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


# --- standard requests for the loads ------------------------------------------

def lb_echo(port, tally, timeout=10.0, expect_greeting=None):
    """One connection through the lb: greeting, a line echoed, close."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as c:
            f = c.makefile("rb")
            greeting = f.readline()
            if not greeting or (expect_greeting and not greeting.startswith(expect_greeting)):
                tally.fail(f"lb: greeting {greeting!r}")
                return
            line = b"ping %d\n" % random.randrange(1 << 30)
            c.sendall(line)
            if f.readline() != line:
                tally.fail("lb: echo mismatch or closed")
                return
        tally.ok()
    except OSError as e:
        tally.fail(f"lb: {e!r}")


def http_get_via(proxy_port, url, timeout=10.0):
    """GET `url` through the proxy on a fresh connection; (status, body)."""
    host = re.match(r"http://([^/]+)", url).group(1)
    with socket.create_connection(("127.0.0.1", proxy_port), timeout=timeout) as c:
        c.sendall(f"GET {url} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    m = re.match(rb"HTTP/1\.1 (\d{3})", head)
    return (int(m.group(1)) if m else 0), body


def egress_get(proxy_port, origin_port, tally, path="/x", timeout=10.0):
    url = f"http://allowed.test:{origin_port}{path}"
    try:
        status, body = http_get_via(proxy_port, url, timeout)
        if status == 200 and body == b"ok " + path.encode():
            tally.ok()
        else:
            tally.fail(f"egress GET: {status} {body[:80]!r}")
    except OSError as e:
        tally.fail(f"egress GET: {e!r}")


def connect_tunnel(proxy_port, dest_port, timeout=10.0):
    """A CONNECT tunnel to allowed.test:dest_port; returns the socket once
    the proxy said 200 (and the reader holding any bytes after the head)."""
    c = socket.create_connection(("127.0.0.1", proxy_port), timeout=timeout)
    c.sendall(f"CONNECT allowed.test:{dest_port} HTTP/1.1\r\n"
              f"Host: allowed.test:{dest_port}\r\n\r\n".encode())
    f = c.makefile("rb")
    status = f.readline()
    if not status.startswith(b"HTTP/1.1 200"):
        c.close()
        raise OSError(f"CONNECT answered {status!r}")
    while f.readline() not in (b"\r\n", b"\n", b""):
        pass
    return c, f


def egress_tunnel_echo(proxy_port, echo_port, tally, timeout=10.0):
    try:
        c, f = connect_tunnel(proxy_port, echo_port, timeout)
        with c:
            if not f.readline():
                tally.fail("tunnel: no greeting")
                return
            line = b"tunnel %d\n" % random.randrange(1 << 30)
            c.sendall(line)
            if f.readline() != line:
                tally.fail("tunnel: echo mismatch or closed")
                return
        tally.ok()
    except OSError as e:
        tally.fail(f"tunnel: {e!r}")


def dns_udp_request(port, tally, timeout=2.0):
    """A query as a stub resolver sends it: over UDP, sent again after 2 s
    without an answer, three tries (dig's +tries=3); lost if none is
    answered."""
    try:
        rcode = dns_udp(port, unique_name(), timeout, tries=UDP_TRIES)
        if rcode == 0:
            tally.ok()
        else:
            tally.fail(f"dns udp: rcode {rcode}")
    except (OSError, IndexError, struct.error) as e:
        tally.fail(f"dns udp: {e!r}")


def dns_tcp_request(port, tally, timeout=5.0):
    try:
        rcode = dns_tcp(port, unique_name(), timeout)
        if rcode == 0:
            tally.ok()
        else:
            tally.fail(f"dns tcp: rcode {rcode}")
    except (OSError, IndexError, struct.error) as e:
        tally.fail(f"dns tcp: {e!r}")


def events_sender(port, host="load"):
    """A request function: one event per message on a persistent connection."""
    client = RiemannClient(port)
    seq = [0]

    def request(tally):
        seq[0] += 1
        try:
            ok, err, _ = client.call(riemann_msg([riemann_event(host, f"svc{seq[0] % 100}",
                                                                seq[0])]))
            if ok:
                tally.ok()
            else:
                tally.fail(f"events send: error {err!r}")
        except (OSError, ValueError, IndexError) as e:
            tally.fail(f"events send: {e!r}")
    request.client = client
    return request


def events_querier(port, query='host = "load"'):
    client = RiemannClient(port, timeout=30)

    def request(tally):
        try:
            ok, err, _ = client.call(riemann_msg(query=query))
            if ok:
                tally.ok()
            else:
                tally.fail(f"events query: error {err!r}")
        except (OSError, ValueError, IndexError) as e:
            tally.fail(f"events query: {e!r}")
    request.client = client
    return request


def events_send_fresh(port, tally, timeout=10.0):
    """One event on a connection of its own (opened and closed)."""
    client = RiemannClient(port, timeout)
    try:
        ok, err, _ = client.call(riemann_msg([riemann_event("fresh", "svc", 1)]))
        tally.ok() if ok else tally.fail(f"events send: error {err!r}")
    except (OSError, ValueError, IndexError) as e:
        tally.fail(f"events send: {e!r}")
    finally:
        client.close()


def admin_get(served, tally, path="/healthz"):
    try:
        status, _, _ = served.http("GET", path, timeout=10)
        if status == 200:
            tally.ok()
        else:
            tally.fail(f"admin {path}: {status}")
    except OSError as e:
        tally.fail(f"admin {path}: {e!r}")


# --- one vigie.yaml for all four --------------------------------------------------

class World:
    """The peers every component needs: an lb backend pair, an HTTP origin
    and a tunnel echo for the proxy, a DNS upstream. `config()` writes the
    vigie.yaml running lb, egress, dns and events together."""

    def __init__(self, tmp_path, lb_servers=2, dns_upstreams=None):
        self.tmp = tmp_path
        self.backends = [EchoBackend(f"m{i + 1}") for i in range(lb_servers)]
        self.origin = HttpOrigin()
        self.echo = EchoBackend("tunnel")
        self.dns = DnsUpstream()
        self.extra_peers = []
        (tmp_path / "hosts").write_text("127.0.0.1 allowed.test\n")
        (tmp_path / "destination").write_text("127.0.0.0/8\n*\n")

    def lb_section(self, servers=None, timeouts="{connect: 1s, server: 10s}", extra="",
                   checks=True):
        servers = servers if servers is not None else [
            (f"m{i + 1}", b.port) for i, b in enumerate(self.backends)]
        lines = "".join(
            f"        - {{name: {n}, address: \"127.0.0.1:{p}\", "
            f"check: {{enabled: {'true' if checks else 'false'}, inter: 500ms}}}}\n"
            for n, p in servers)
        return f"""lb:
  frontends:
    - name: api
      binds: ["127.0.0.1:0"]
      backend: masters
      timeouts: {{client: 30s}}
  backends:
    - name: masters
      timeouts: {timeouts}
{extra}      servers:
{lines}"""

    def egress_section(self, extra=""):
        return f"""egress:
  http_proxy:
    listen: 127.0.0.1:0
    destination_file: {self.tmp / "destination"}
    hosts_file: {self.tmp / "hosts"}
    request_timeout: 5s
    response_timeout: 5s
    connect_timeout: 2s
{extra}"""

    def dns_section(self, upstreams=None, extra=""):
        ups = upstreams or [f"127.0.0.1:{self.dns.port}"]
        lines = "".join(f"    - {u}\n" for u in ups)
        return f"""dns:
  listen: 127.0.0.1:0
  upstreams:
{lines}  upstream_timeout: 1s
{extra}"""

    def events_section(self, extra=""):
        return f"""events:
  tcp: 127.0.0.1:0
  udp: 127.0.0.1:0
  http: 127.0.0.1:0
  log_expired: false
{extra}"""

    def config(self, lb=None, egress=None, dns=None, events=None, grace="5s", comment=""):
        return (f"""admin:
  listen: 127.0.0.1:0
runtime:
  workers: 2
  grace: {grace}
log:
  level: info
"""
                + (self.lb_section() if lb is None else lb)
                + (self.egress_section() if egress is None else egress)
                + (self.dns_section() if dns is None else dns)
                + (self.events_section() if events is None else events)
                + comment)

    def close(self):
        for b in self.backends:
            b.close()
        self.origin.close()
        self.echo.close()
        self.dns.close()
        for p in self.extra_peers:
            p.close()


def ports(served):
    """The listeners' ports by role."""
    return {
        "lb": port_of(served, "lb.api.0"),
        "egress": port_of(served, "egress-http"),
        "dns": port_of(served, "dns-udp"),
        "events": port_of(served, "events-tcp"),
        "events-http": port_of(served, "events-http"),
        "admin": served.admin[1],
    }


def status_sha(served):
    return json.loads(served.http("GET", "/status")[1])["config"]["sha256"]


def sha256(text):
    return hashlib.sha256(text.encode()).hexdigest()
