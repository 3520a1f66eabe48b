// The client side of the HTTP proxy's connections: the watchdog that bounds
// every wait, client reads and writes, and the answers the proxy makes itself.
#include "egress/proxy/connection.h"

#include <boost/asio/write.hpp>

#include "egress/http/response.h"

namespace vigie::egress::proxy {

using net::Awaitable;
using net::kUseTuple;
using SteadyClock = std::chrono::steady_clock;

net::TaskDone Task(Shared& shared, std::string what) {
  return net::TaskDone{"egress http proxy: " + std::move(what), shared.log.get(),
                       &shared.m.task_failures_total};
}

Awaitable<void> Watchdog(ConnPtr c) {
  while (!c->finished) {
    c->timer.expires_at(c->deadline);
    co_await c->timer.async_wait(kUseTuple);
    if (c->finished)
      break;
    if (SteadyClock::now() < c->deadline)
      continue;
    if (c->on_timeout == Conn::OnTimeout::kCloseUpstream) {
      c->upstream_timed_out = true;
      c->CloseUpstream();
      // The client still gets an answer, within a bound.
      c->SetDeadline(kErrorWriteGrace, Conn::OnTimeout::kCloseClient);
    } else {
      c->client_timed_out = true;
      c->CloseClient();
      c->CloseUpstream();
      c->ClearDeadline();
    }
  }
}

void WriteAccessLog(const Snapshot& snap, const Conn& c, const Transaction& t) {
  if (!snap.access_log)
    return;
  snap.access_log->info(
      AccessLogLine(t, c.client_ip, std::chrono::system_clock::now(), SteadyClock::now()));
}

Awaitable<bool> WriteClient(ConnPtr c, Shared& shared, std::string_view data, Duration timeout) {
  c->SetDeadline(timeout, Conn::OnTimeout::kCloseClient);
  auto [ec, n] = co_await asio::async_write(c->client, asio::buffer(data), kUseTuple);
  shared.m.client_sent_bytes_total.Inc(n);
  co_return !ec;
}

Awaitable<bool> ReadClient(ConnPtr c, Shared& shared, std::string& buf) {
  auto [ec, n] = co_await c->client.async_read_some(asio::buffer(c->read_buf), kUseTuple);
  buf.append(c->read_buf.data(), n);
  shared.m.client_received_bytes_total.Inc(n);
  co_return !ec && n > 0;
}

Awaitable<Next> Deny(ConnPtr c, Shared& shared, const Snapshot& snap, Transaction& t,
                     std::string rule, bool keep_alive) {
  shared.m.denied_total.Inc();
  std::string response =
      http::BuildDenialResponse({.url = t.Url(), .rule = rule, .keep_alive = keep_alive});
  t.squid_status = "TCP_DENIED";
  t.status = 403;
  t.reply_bytes = response.size();
  t.content_type = "text/plain";
  bool ok = co_await WriteClient(c, shared, response, kErrorWriteGrace);
  WriteAccessLog(snap, *c, t);
  co_return ok&& keep_alive ? Next::kContinue : Next::kClose;
}

Awaitable<Next> Fail(ConnPtr c, Shared& shared, const Snapshot& snap, Transaction& t, int status,
                     std::string detail, std::string_view squid_status) {
  std::string response = http::BuildErrorResponse(status, detail);
  t.squid_status = squid_status;
  t.status = status;
  t.reply_bytes = response.size();
  t.content_type = "text/plain";
  co_await WriteClient(c, shared, response, kErrorWriteGrace);
  WriteAccessLog(snap, *c, t);
  co_return Next::kClose;
}

}  // namespace vigie::egress::proxy
