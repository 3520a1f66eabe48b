# ctest-labels: netns
"""The egress HTTP proxy never reaches the inside of the machine by accident:
loopback and link-local (169.254.169.254, the cloud metadata service) are
denied with a 403 before any connect unless an address rule names them; the
seed article's `*` does not.

Everything runs in a network namespace the test creates with only `lo` up
(169.254.169.254 added to it), so that a wrong answer cannot send a packet
anywhere: an origin inside the namespace counts every connection it gets, and
must get none. Needs root (`ip netns`); skipped otherwise.
"""
import os
import subprocess
import time

import pytest

from vigie_harness import VIGIE, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

ARTICLE = "!perdu.com\n!*.perdu.com\n!10.42.253.0/24\n*\n"
ORIGIN_PORT = 8080
PROXY_PORT = 3128
ADMIN_PORT = 9901

# Answers every HTTP request with "origin", printing one line per connection.
ORIGIN = r"""
import socket, sys, threading
def serve(family, host):
    s = socket.socket(family); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind((host, %d)); s.listen(16)
    while True:
        c, a = s.accept()
        print("connection from", a[0], flush=True)
        c.recv(65536)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\norigin")
        c.close()
threading.Thread(target=serve, args=(socket.AF_INET, "0.0.0.0"), daemon=True).start()
threading.Thread(target=serve, args=(socket.AF_INET6, "::"), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
""" % ORIGIN_PORT


def sh(*cmd, check=True):
    return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=30)


@pytest.fixture
def netns(tmp_path):
    """A namespace with only lo up, 169.254.169.254 on it, and the origin."""
    ns = f"vgi{os.getpid() % 100000}"
    procs = []
    sh("ip", "netns", "add", ns)
    try:
        sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "-n", ns, "addr", "add", "169.254.169.254/32", "dev", "lo")
        origin = subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", ORIGIN],
                                  stdout=subprocess.PIPE, text=True, start_new_session=True)
        procs.append(origin)
        assert origin.stdout.readline().strip() == "ready"
        yield ns, origin, procs
    finally:
        for p in procs:
            try:
                os.killpg(p.pid, 9)
            except ProcessLookupError:
                pass
            p.wait(10)
        sh("ip", "netns", "del", ns, check=False)


def start_proxy(ns, tmp_path, destination, procs, extra=""):
    (tmp_path / "destination").write_text(destination)
    (tmp_path / "hosts").write_text("169.254.169.254 metadata.test\n"
                                    "127.0.0.1 rebind.test\n"
                                    "::1 rebind6.test\n")
    cfg = tmp_path / "vigie.yaml"
    cfg.write_text(f"""admin:
  listen: 127.0.0.1:{ADMIN_PORT}
runtime:
  workers: 1
  grace: 1s
egress:
  http_proxy:
    listen: 127.0.0.1:{PROXY_PORT}
    destination_file: {tmp_path / "destination"}
    hosts_file: {tmp_path / "hosts"}
    connect_timeout: 1s
""" + extra)
    proc = subprocess.Popen(["ip", "netns", "exec", ns, VIGIE, "serve", "-c", str(cfg)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    procs.append(proc)
    wait_for(lambda: curl(ns, f"http://127.0.0.1:{ADMIN_PORT}/healthz", proxy=False)[0] == 200,
             timeout=15, what="vigie serving in the namespace")
    return proc


def curl(ns, url, *args, proxy=True):
    """curl inside the namespace; returns (status, headers + body text)."""
    r = subprocess.run(["ip", "netns", "exec", ns, "curl", "-s", "-i", "-m", "5",
                        *(["-x", f"http://127.0.0.1:{PROXY_PORT}"] if proxy else []), *args,
                        "-w", "\n%{http_code}", url],
                       capture_output=True, text=True, timeout=20)
    out, _, code = r.stdout.rpartition("\n")
    return int(code or 0), out


def connections(origin):
    """Lines the origin printed so far (one per connection), without waiting."""
    os.set_blocking(origin.stdout.fileno(), False)
    lines = []
    while True:
        line = origin.stdout.readline()
        if not line:
            return lines
        lines.append(line.strip())


def test_star_does_not_reach_loopback_or_link_local(netns, tmp_path):
    ns, origin, procs = netns
    start_proxy(ns, tmp_path, ARTICLE, procs)
    for url in [f"http://127.0.0.1:{ORIGIN_PORT}/", f"http://127.0.0.2:{ORIGIN_PORT}/",
                f"http://[::1]:{ORIGIN_PORT}/", f"http://169.254.169.254:{ORIGIN_PORT}/",
                f"http://metadata.test:{ORIGIN_PORT}/latest/meta-data/",
                f"http://rebind.test:{ORIGIN_PORT}/", f"http://rebind6.test:{ORIGIN_PORT}/"]:
        status, text = curl(ns, url)
        assert status == 403, (url, text)
        assert "internal address" in text, (url, text)
    # CONNECT too (curl -p tunnels through the proxy).
    status, text = curl(ns, f"http://169.254.169.254:{ORIGIN_PORT}/", "-p")
    assert status == 403 or "403" in text, text
    time.sleep(0.3)
    assert connections(origin) == [], "the proxy connected to an internal address"
    status, metrics = curl(ns, f"http://127.0.0.1:{ADMIN_PORT}/metrics", proxy=False)
    assert 'rule="internal address"' in metrics
    line = [m for m in metrics.splitlines() if 'rule="internal address"' in m][0]
    assert float(line.split()[-1]) == 8, line
    # `vigie egress check` gives the same answer without a proxy.
    r = sh("ip", "netns", "exec", ns, VIGIE, "egress", "check", "--destination-file",
           str(tmp_path / "destination"), "--hosts-file", str(tmp_path / "hosts"),
           "http://metadata.test/", check=False)
    assert r.returncode == 1 and "internal address" in r.stdout, r.stdout + r.stderr


def test_an_address_rule_naming_it_lets_one_through(netns, tmp_path):
    ns, origin, procs = netns
    start_proxy(ns, tmp_path, "169.254.169.254\n" + ARTICLE, procs)
    status, text = curl(ns, f"http://metadata.test:{ORIGIN_PORT}/latest/meta-data/")
    assert status == 200 and text.endswith("origin"), text
    assert curl(ns, f"http://127.0.0.1:{ORIGIN_PORT}/")[0] == 403
    time.sleep(0.3)
    assert len(connections(origin)) == 1


# lb in front of the origin, on an address of the namespace's own, and on
# every address of one port.
OWN_LB = f"""lb:
  frontends:
    - name: exact
      binds: ["10.77.0.1:8443"]
      backend: origin
      timeouts: {{client: 5s}}
    - name: wildcard
      binds: ["0.0.0.0:8444"]
      backend: origin
      timeouts: {{client: 5s}}
  backends:
    - name: origin
      timeouts: {{connect: 1s, server: 5s}}
      servers:
        - {{name: o1, address: "10.77.0.1:{ORIGIN_PORT}"}}
"""


def add_address(ns):
    """10.77.0.1 becomes one of the namespace's addresses (on lo: the
    container may lack the dummy link type)."""
    sh("ip", "-n", ns, "addr", "add", "10.77.0.1/32", "dev", "lo")


def test_vigies_own_listeners_are_the_inside_too(netns, tmp_path):
    """A request looping back into vigie (lb's frontends here) is denied
    before any connect when the rules reach it only through a range or `*`:
    the exact bind and a 0.0.0.0 bind alike. The origin itself, on the same
    address, is reached."""
    ns, origin, procs = netns
    add_address(ns)
    start_proxy(ns, tmp_path, "10.0.0.0/8\n" + ARTICLE, procs, extra=OWN_LB)
    for url in ["http://10.77.0.1:8443/", "http://10.77.0.1:8444/"]:
        status, text = curl(ns, url)
        assert status == 403, (url, text)
        assert "own listener" in text, (url, text)
    status, text = curl(ns, "https://10.77.0.1:8443/", "-p", "-k")
    assert "403" in text, text
    time.sleep(0.3)
    assert connections(origin) == [], "a request reached the origin through vigie's own lb"
    status, text = curl(ns, f"http://10.77.0.1:{ORIGIN_PORT}/")
    assert status == 200 and text.endswith("origin"), text


def test_a_rule_naming_the_address_lets_the_loop_through(netns, tmp_path):
    ns, origin, procs = netns
    add_address(ns)
    start_proxy(ns, tmp_path, "10.77.0.1\n" + ARTICLE, procs, extra=OWN_LB)
    status, text = curl(ns, "http://10.77.0.1:8443/")
    assert status == 200 and text.endswith("origin"), text
