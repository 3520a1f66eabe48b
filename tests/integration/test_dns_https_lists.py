# ctest-labels: peer
"""Block lists over https:// end to end: a Python http.server wrapped in TLS
serves a hosts list on loopback with a certificate from a test CA made by
the openssl CLI; nsd is the upstream, dig the client. Covers a private CA
(`ca_file`), conditional GET over TLS (304), verification against the
system store failing while the last good copy in state_dir keeps blocking,
a certificate for another name, and a redirect from https to http.
Nothing leaves 127.0.0.1."""
import functools
import http.server
import re
import shutil
import signal
import ssl
import threading

import pytest

from vigie_harness import dns_yaml, make_pki, start_dns, wait_for
from test_dns import HOSTS_LIST, QuietHandler, dig, nsd  # noqa: F401  (nsd: the upstream fixture)

pytestmark = pytest.mark.skipif(
    not (shutil.which("nsd") and shutil.which("dig") and shutil.which("openssl")),
    reason="needs nsd, dig and openssl (apt-get install nsd bind9-dnsutils openssl)")


@pytest.fixture
def pki(tmp_path):
    """A CA, a server certificate for localhost/127.0.0.1 and one for
    wrong.vigie.test, both signed by the CA."""
    return make_pki(tmp_path / "pki",
                    [("server", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
                     ("wrong", "subjectAltName=DNS:wrong.vigie.test")])


class HttpsListServer:
    """http.server over TLS serving a directory. It answers If-Modified-Since
    with 304 as real list hosts do, and records each request's conditional
    headers. /to-http redirects to a clear-text URL."""

    def __init__(self, root, cert, key):
        self.root = root
        self.requests = []  # (path, If-None-Match, If-Modified-Since)
        self.not_modified = 0
        self.lock = threading.Lock()
        server = self

        class Handler(QuietHandler):
            def do_GET(self):
                with server.lock:
                    server.requests.append((self.path, self.headers.get("If-None-Match"),
                                            self.headers.get("If-Modified-Since")))
                if self.path == "/to-http":
                    self.send_response(302)
                    self.send_header("Location", f"http://127.0.0.1:{server.port}/hosts")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                super().do_GET()

            def send_response(self, code, message=None):
                if code == 304:
                    with server.lock:
                        server.not_modified += 1
                super().send_response(code, message)

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(cert), str(key))
        handler = functools.partial(Handler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path, host="localhost"):
        return f"https://{host}:{self.port}/{path}"

    def conditional(self):
        with self.lock:
            return [r for r in self.requests if r[2] is not None]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def serve_lists(tmp_path, pki, cert, subdir):
    root = tmp_path / subdir
    root.mkdir()
    (root / "hosts").write_text(HOSTS_LIST)
    return HttpsListServer(root, pki / f"{cert}.pem", pki / f"{cert}.key")


@pytest.fixture
def https_lists(tmp_path, pki):
    s = serve_lists(tmp_path, pki, "server", "www")
    yield s
    s.stop()


@pytest.fixture
def wrong_name_lists(tmp_path, pki):
    s = serve_lists(tmp_path, pki, "wrong", "www-wrong")
    yield s
    s.stop()


def config(nsd_port, state_dir, block):
    return dns_yaml(f"127.0.0.1:{nsd_port}", f"""  upstream_timeout: 1s
  download_timeout: 5s
  refresh: 1h
  state_dir: "{state_dir}"
  cache: {{enabled: false}}
  block:
{block}""")



def lists_text(s):
    return s.http("GET", "/dns/lists")[1]


def metric(s, name):
    body = s.http("GET", "/metrics")[1]
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", body, re.M)
    return float(m.group(1)) if m else None


def test_private_ca_list_blocks_and_refreshes_with_304(tmp_path, pki, https_lists, nsd, serve):
    state = tmp_path / "state"
    state.mkdir()
    block = f'    - {{name: remote, url: "{https_lists.url("hosts")}", ca_file: "{pki}/ca.pem"}}\n'
    s = start_dns(serve, config(nsd.port, state, block))
    # (a) Downloaded over TLS, verified against the test CA: the name is blocked.
    assert "block remote " + https_lists.url("hosts") + ": downloaded, 2 rules" in lists_text(s)
    res = dig(s.dns_port, "ads.vigie.test")
    assert res["status"] == "NXDOMAIN", res["raw"]
    assert dig(s.dns_port, "www.vigie.test")["status"] == "NOERROR"
    assert metric(s, 'vigie_dns_list_ok{list="remote"}') == 1
    assert (state / "remote.list").read_text() == HOSTS_LIST
    assert https_lists.conditional() == []
    # (b) A second refresh (SIGHUP re-downloads) asks conditionally over TLS
    # and gets 304; the saved copy keeps blocking.
    s.signal(signal.SIGHUP)
    wait_for(lambda: "remote" in lists_text(s) and "not modified, 2 rules" in lists_text(s),
             what="the list refreshed with 304")
    cond = https_lists.conditional()
    assert len(cond) == 1 and cond[0][0] == "/hosts", https_lists.requests
    assert https_lists.not_modified == 1
    assert dig(s.dns_port, "ads.vigie.test")["status"] == "NXDOMAIN"
    assert metric(s, 'vigie_dns_list_ok{list="remote"}') == 1


def test_system_store_rejects_the_private_ca_and_the_saved_copy_is_used(
        tmp_path, pki, https_lists, nsd, serve):
    state = tmp_path / "state"
    state.mkdir()
    url = https_lists.url("hosts")
    with_ca = f'    - {{name: remote, url: "{url}", ca_file: "{pki}/ca.pem"}}\n'
    first = start_dns(serve, config(nsd.port, state, with_ca))
    assert "downloaded" in lists_text(first)
    first.stop()
    # (c) Restarted without ca_file: the system's trust store does not know
    # the test CA, so the download fails verification; the copy saved in
    # state_dir by the first run still blocks, and the failure is shown.
    without_ca = f'    - {{name: remote, url: "{url}"}}\n'
    s = start_dns(serve, config(nsd.port, state, without_ca))
    text = lists_text(s)
    assert "download failed (" + url + ": TLS handshake with localhost:" in text, text
    assert "certificate verify failed" in text, text
    assert "unable to get local issuer certificate" in text, text
    assert "using the last good copy, 2 rules" in text, text
    assert dig(s.dns_port, "ads.vigie.test")["status"] == "NXDOMAIN"
    assert metric(s, 'vigie_dns_list_ok{list="remote"}') == 0
    assert s.log_contains("certificate verify failed")
    _, status_body, _ = s.http("GET", "/status")
    assert "degraded: list remote" in status_body


def test_wrong_host_name_and_https_to_http_redirect_fail(
        tmp_path, pki, https_lists, wrong_name_lists, nsd, serve):
    state = tmp_path / "state"
    state.mkdir()
    block = (f'    - {{name: wrongname, url: "{wrong_name_lists.url("hosts")}", '
             f'ca_file: "{pki}/ca.pem"}}\n'
             f'    - {{name: downgrade, url: "{https_lists.url("to-http")}", '
             f'ca_file: "{pki}/ca.pem"}}\n')
    s = start_dns(serve, config(nsd.port, state, block))
    text = lists_text(s)
    # (d) The certificate is signed by the trusted CA but names another host.
    assert re.search(r"block wrongname .*: download failed \(.*TLS handshake with localhost:\d+: "
                     r"certificate verify failed.*\(hostname mismatch\).*\); no previous copy",
                     text), text
    # A list asked for over https is not followed to clear text.
    assert "redirect from https:// to http:// refused" in text, text
    assert metric(s, 'vigie_dns_list_ok{list="wrongname"}') == 0
    assert metric(s, 'vigie_dns_list_ok{list="downgrade"}') == 0
    assert not (state / "wrongname.list").exists()
    # Neither list applies: the name is answered by the upstream.
    res = dig(s.dns_port, "ads.vigie.test")
    assert res["status"] == "NOERROR" and res["answers"][0][3] == "127.0.0.2", res["raw"]
