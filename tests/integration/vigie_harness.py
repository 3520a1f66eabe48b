"""Starts the real vigie binary for integration tests and talks to it.

Every server binds loopback port 0 and prints its listeners; the harness reads
them from stdout, so tests never guess ports. Readiness is polled with a
deadline, never slept for.
"""
import http.client
import os
import re
import signal
import socket
import subprocess
import threading
import time

VIGIE = os.environ.get("VIGIE_BINARY", "vigie")


def wait_for(predicate, timeout=10.0, interval=0.02, what="condition"):
    """Polls `predicate` until it returns a truthy value, or fails."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def run_vigie(*args, input_text=None, timeout=30, env=None):
    """Runs a one-shot vigie subcommand; returns CompletedProcess."""
    return subprocess.run([VIGIE, *args], input=input_text, capture_output=True, text=True,
                          timeout=timeout, env=env)


class Served:
    """A running `vigie serve` (or another long-running subcommand)."""

    def __init__(self, args, cwd=None, env=None):
        self.args = [VIGIE, *args]
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, cwd=cwd, env=env, start_new_session=True)
        self.listeners = {}
        self.stdout_lines = []
        self.stderr_lines = []
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._readers = [threading.Thread(target=self._read_stdout, daemon=True),
                         threading.Thread(target=self._read_stderr, daemon=True)]
        for t in self._readers:
            t.start()

    def _read_stdout(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            with self._lock:
                self.stdout_lines.append(line)
            m = re.match(r"listening: (\S+) (.*)$", line)
            if m:
                self.listeners[m.group(1)] = m.group(2)
            if line.startswith("ready:"):
                self._ready.set()

    def _read_stderr(self):
        for line in self.proc.stderr:
            with self._lock:
                self.stderr_lines.append(line.rstrip("\n"))

    def wait_ready(self, timeout=15.0):
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"vigie exited with {self.proc.returncode} before ready:\n" + self.stderr())
            if time.monotonic() > deadline:
                raise AssertionError("vigie not ready in time:\n" + self.stderr())
        return self

    def stderr(self):
        with self._lock:
            return "\n".join(self.stderr_lines)

    def log_contains(self, text):
        with self._lock:
            return any(text in line for line in self.stderr_lines)

    @property
    def admin(self):
        """(host, port) of the admin endpoint."""
        url = self.listeners["admin"]
        m = re.match(r"http://(.+):(\d+)$", url)
        return m.group(1), int(m.group(2))

    def http(self, method, path, body=None, headers=None, timeout=10):
        host, port = self.admin
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read().decode("utf-8", "replace"), dict(resp.getheaders())
        finally:
            conn.close()

    def wait_exit(self, timeout=15.0):
        """Waits for the process to exit and for its output to be fully read."""
        code = self.proc.wait(timeout)
        for t in self._readers:
            t.join(timeout)
        return code

    def signal(self, signo):
        self.proc.send_signal(signo)

    def stop(self, timeout=15.0):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.wait_exit(timeout)


def connect(host, port, timeout=5.0):
    s = socket.create_connection((host, port), timeout=timeout)
    return s


def port_refuses(host, port):
    try:
        s = socket.create_connection((host, port), timeout=0.5)
    except OSError:
        return True
    s.close()
    return False


def trickle_until_closed(sock, data, interval):
    """Sends `data` one byte every `interval` seconds (a slowloris) until the
    peer closes the connection; returns whether it did before the end."""
    for byte in data:
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            return True
        time.sleep(interval)
        sock.setblocking(False)
        try:
            if sock.recv(100) == b"":
                return True
        except BlockingIOError:
            pass
        finally:
            sock.setblocking(True)
    return False


def free_port(kind=socket.SOCK_STREAM):
    """A loopback port free for `kind` at the time of the call."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_both():
    """A loopback port free for both TCP and UDP at the time of the call."""
    for _ in range(50):
        p = free_port()
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue
    raise AssertionError("no port free for both TCP and UDP")


def start_peer(spawn, ready, what, attempts=5, timeout=30.0, log=None):
    """Starts a peer daemon (unbound, nsd, ...) on a free port.

    Another test running in parallel may take the picked port between the
    pick and the peer's bind; the peer then exits. So: pick a port free for
    TCP and UDP, spawn(port) -> Popen, poll ready(port) until it holds or the
    peer exits, and on exit try another port. Returns (proc, port). `log`,
    the peer's log file, is quoted when it never becomes ready.
    """
    for _ in range(attempts):
        port = free_port_both()
        proc = spawn(port)
        try:
            wait_for(lambda: proc.poll() is not None or ready(port), timeout=timeout,
                     what=f"{what} to be ready on port {port}")
        except AssertionError as e:
            proc.kill()
            proc.wait()
            tail = log.read_text()[-1500:] if log and log.exists() else ""
            raise AssertionError(f"{e}\n{tail}") from None
        if proc.poll() is None:
            return proc, port
    tail = log.read_text()[-1500:] if log and log.exists() else ""
    raise AssertionError(f"{what} exited on each of {attempts} ports\n{tail}")


def make_pki(d, leaves, self_signed=()):
    """Writes into directory `d` a CA (ca.key, ca.pem), one certificate per
    (name, x509 extension line) in `leaves` signed by it (NAME.key,
    NAME.pem), and one self-signed certificate per name in `self_signed`
    that nobody trusts. EC P-256 keys in PKCS#8 PEM; valid two days."""
    d.mkdir(exist_ok=True)

    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60, cwd=d)

    def key(name):
        run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-out", f"{name}.key")

    key("ca")
    run("req", "-x509", "-new", "-key", "ca.key", "-days", "2", "-subj", "/CN=vigie test CA",
        "-out", "ca.pem")
    for name, ext in leaves:
        key(name)
        run("req", "-new", "-key", f"{name}.key", "-subj", f"/CN={name}", "-out", f"{name}.csr")
        (d / f"{name}.ext").write_text(ext + "\n")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem")
    for name in self_signed:
        key(name)
        run("req", "-x509", "-new", "-key", f"{name}.key", "-days", "2", "-subj", f"/CN={name}",
            "-out", f"{name}.pem")
    return d


def dns_yaml(upstream, body="", workers=2):
    """A vigie.yaml for dns tests: admin and the dns listener on loopback port
    0, `workers` workers, `upstream` the one upstream (YAML text: an address
    or a flow mapping), then `body`: more `dns:` keys, indented by two
    spaces."""
    return f"""admin:
  listen: 127.0.0.1:0
runtime:
  workers: {workers}
  grace: 2s
dns:
  listen: 127.0.0.1:0
  upstreams:
    - {upstream}
{body}"""


def start_dns(serve, text):
    """serve(text), with the dns listener's port as `.dns_port`."""
    s = serve(text)
    s.dns_port = int(s.listeners["dns-udp"].rsplit(":", 1)[1])
    return s
