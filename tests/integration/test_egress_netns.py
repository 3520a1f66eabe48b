# ctest-labels: netns
"""egress redirect mode (kernel engine) in network namespaces the test creates:

    client (10.213.1.2) -- eth0 [router] macvlan0 (EGRESS_SOURCE 10.213.2.10)
                                                  -- dest (gateway 10.213.2.1,
                                                     destinations 10.213.3.5/.6)

The destination records the source address it sees: EGRESS_SOURCE, not the
client. Needs root (CAP_NET_ADMIN) and `ip netns`; skipped otherwise.
"""
import os
import signal
import subprocess
import time

import pytest

from vigie_harness import VIGIE, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")

RECORDER = r"""
import socket, sys, threading
def tcp(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port)); s.listen(8)
    while True:
        c, a = s.accept()
        c.sendall(f"tcp {port} from {a[0]}\n".encode()); c.close()
def udp(port):
    # Bound to the destination address, so replies leave from it (conntrack
    # matches them to the NATed flow).
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.213.3.5", port))
    while True:
        d, a = s.recvfrom(2048)
        s.sendto(f"udp {port} from {a[0]}\n".encode(), a)
for p in [80, 7000]:
    threading.Thread(target=tcp, args=(p,), daemon=True).start()
threading.Thread(target=udp, args=(5353,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"""

CLIENT_TCP = ("import socket,sys; s=socket.create_connection((sys.argv[1], int(sys.argv[2])), 5);"
              "print(s.recv(200).decode().strip())")
CLIENT_UDP = ("import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM);"
              "s.settimeout(5); s.sendto(b'hi', (sys.argv[1], int(sys.argv[2])));"
              "print(s.recv(200).decode().strip())")


def sh(*cmd, check=True):
    return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=30)


@pytest.fixture
def topology():
    tag = f"vge{os.getpid() % 100000}"
    client, router, dest = f"{tag}c", f"{tag}r", f"{tag}d"
    procs = []
    try:
        for ns in (client, router, dest):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "add", f"{tag}a", "netns", client, "type", "veth", "peer", "name",
           "eth0", "netns", router)
        sh("ip", "link", "add", f"{tag}b", "netns", dest, "type", "veth", "peer", "name",
           "macvlan0", "netns", router)
        sh("ip", "-n", client, "addr", "add", "10.213.1.2/24", "dev", f"{tag}a")
        sh("ip", "-n", client, "link", "set", f"{tag}a", "up")
        sh("ip", "-n", client, "route", "add", "default", "via", "10.213.1.1")
        sh("ip", "-n", router, "addr", "add", "10.213.1.1/24", "dev", "eth0")
        sh("ip", "-n", router, "link", "set", "eth0", "up")
        sh("ip", "netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        sh("ip", "-n", dest, "addr", "add", "10.213.2.1/24", "dev", f"{tag}b")
        sh("ip", "-n", dest, "addr", "add", "10.213.3.5/32", "dev", "lo")
        sh("ip", "-n", dest, "addr", "add", "10.213.3.6/32", "dev", "lo")
        sh("ip", "-n", dest, "link", "set", f"{tag}b", "up")
        rec = subprocess.Popen(["ip", "netns", "exec", dest, "/usr/bin/python3", "-c", RECORDER],
                               stdout=subprocess.PIPE, text=True, start_new_session=True)
        procs.append(rec)
        assert rec.stdout.readline().strip() == "ready"
        yield {"client": client, "router": router, "dest": dest, "procs": procs}
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        for ns in (client, router, dest):
            sh("ip", "netns", "del", ns, check=False)


def router_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("EGRESS_")}
    env.update(EGRESS_SOURCE="10.213.2.10/24", EGRESS_GATEWAY="10.213.2.1",
               EGRESS_DESTINATION="8080 tcp 10.213.3.5 80\n"
                                  "53 udp 10.213.3.5 5353\n"
                                  "# everything else\n"
                                  "10.213.3.6\n")
    return env


def from_client(t, script, port):
    r = sh("ip", "netns", "exec", t["client"], "/usr/bin/python3", "-c", script, "10.213.1.1",
           str(port))
    return r.stdout.strip()


def test_legacy_mode_nat_and_cleanup(topology):
    t = topology
    env = router_env()
    env["EGRESS_ROUTER_MODE"] = "legacy"
    p = subprocess.Popen(["ip", "netns", "exec", t["router"], VIGIE, "egress"], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    t["procs"].append(p)
    assert p.stdout.readline().startswith("installed nft table ip vigie_egress")
    assert p.stdout.readline().strip() == "ready: waiting for SIGTERM"
    # A rule of the operator's own, which vigie must leave alone.
    sh("ip", "netns", "exec", t["router"], "nft", "add table ip operator")
    # Port translation 8080 -> 80, and the destination sees EGRESS_SOURCE.
    assert from_client(t, CLIENT_TCP, 8080) == "tcp 80 from 10.213.2.10"
    assert from_client(t, CLIENT_UDP, 53) == "udp 5353 from 10.213.2.10"
    # The fallback takes any other port to 10.213.3.6, port unchanged.
    assert from_client(t, CLIENT_TCP, 7000) == "tcp 7000 from 10.213.2.10"
    routes = sh("ip", "-n", t["router"], "route").stdout
    assert "default via 10.213.2.1 dev macvlan0" in routes
    assert "10.213.2.10/24" in sh("ip", "-n", t["router"], "addr", "show", "macvlan0").stdout
    os.killpg(p.pid, signal.SIGTERM)
    assert p.wait(10) == 0
    tables = sh("ip", "netns", "exec", t["router"], "nft", "list", "tables").stdout
    assert "vigie_egress" not in tables
    assert "table ip operator" in tables


def test_init_mode_installs_and_exits(topology):
    t = topology
    env = router_env()
    env["EGRESS_ROUTER_MODE"] = "init"
    r = subprocess.run(["ip", "netns", "exec", t["router"], VIGIE, "egress"], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    ruleset = sh("ip", "netns", "exec", t["router"], "nft", "list", "table", "ip",
                 "vigie_egress").stdout
    assert "dnat to 10.213.3.5:80" in ruleset
    assert 'oifname "macvlan0" snat to 10.213.2.10' in ruleset
    assert from_client(t, CLIENT_TCP, 8080) == "tcp 80 from 10.213.2.10"
    # A rerun (pod restart) replaces the rules instead of doubling them.
    r = subprocess.run(["ip", "netns", "exec", t["router"], VIGIE, "egress"], env=env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    ruleset = sh("ip", "netns", "exec", t["router"], "nft", "list", "table", "ip",
                 "vigie_egress").stdout
    assert ruleset.count("dnat to 10.213.3.5:80") == 1
