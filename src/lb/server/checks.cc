// The check itself (L4, L6, L7), the loop that schedules it with
// inter/fastinter/downinter and applies rise/fall, and starting one loop per
// checked server of a snapshot.
#include "lb/server/checks.h"

#include <algorithm>
#include <cerrno>

#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/accept.h"
#include "core/log.h"
#include "core/task.h"
#include "lb/health/http_check.h"
#include "lb/server/proxy.h"

namespace vigie::lb {
namespace {

using namespace boost::asio::experimental::
    awaitable_operators;  // NOLINT(google-build-using-namespace)
using health::CheckOutcome;
using health::CheckStatus;
using net::kUseTuple;
using net::tcp;
using Millis = std::chrono::milliseconds;
namespace ssl = asio::ssl;

Millis Since(SteadyClock::time_point t) {
  return std::chrono::duration_cast<Millis>(SteadyClock::now() - t);
}

std::shared_ptr<ssl::context> MakeTlsContext(const haproxy_cfg::HealthCheckSettings& c,
                                             std::string& error) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  boost::system::error_code ec;
  if (c.verify_none) {
    ctx->set_verify_mode(ssl::verify_none, ec);
  } else {
    ctx->set_verify_mode(ssl::verify_peer, ec);
    if (!c.ca_file.empty()) {
      ctx->load_verify_file(c.ca_file, ec);
    } else {
      ctx->set_default_verify_paths(ec);
    }
  }
  if (ec) {
    error = ec.message();
  }
  return ctx;
}

std::string TlsReason(const boost::system::error_code& ec) {
  std::string r = ec.message();
  return r.size() > 200 ? r.substr(0, 200) : r;
}

// Sends the HTTP check and reads the status line over `stream`.
template <class Stream>
net::Awaitable<CheckOutcome> HttpPart(Stream& stream, const haproxy_cfg::HttpCheck& hc,
                                      asio::steady_timer& timer) {
  health::HttpCheckRequest req;
  req.method = hc.method;
  req.uri = hc.uri;
  req.version = hc.version;
  req.headers = hc.headers;
  std::string bytes = health::BuildHttpCheckRequest(req);
  CheckOutcome out;
  auto w = co_await (asio::async_write(stream, asio::buffer(bytes), kUseTuple) ||
                     timer.async_wait(kUseTuple));
  if (w.index() == 1) {
    out.status = CheckStatus::kL7Tout;
    co_return out;
  }
  if (std::get<0>(std::get<0>(w))) {
    out.status = CheckStatus::kSockErr;
    out.info = std::get<0>(std::get<0>(w)).message();
    co_return out;
  }
  std::string received;
  std::array<char, 1024> buf{};
  for (;;) {
    auto r = co_await (stream.async_read_some(asio::buffer(buf), kUseTuple) ||
                       timer.async_wait(kUseTuple));
    if (r.index() == 1) {
      out.status = CheckStatus::kL7Tout;
      co_return out;
    }
    auto [ec, n] = std::get<0>(r);
    received.append(buf.data(), n);
    if (auto verdict = health::EvaluateHttpCheckResponse(received, hc.expect_status)) {
      co_return *verdict;
    }
    if (ec || received.size() > health::kMaxStatusLine) {
      out.status = CheckStatus::kL7Rsp;
      out.info = ec ? std::string() : std::string("response too long");
      co_return out;
    }
  }
}

// Errors that say this host is short of something, not that the server
// is unwell. haproxy counts them as a failed check (SOCKERR); vigie does
// not, so a local shortage cannot take every server DOWN and outlast
// itself as an outage (docs/lb.md).
bool IsLocalShortage(const boost::system::error_code& ec) {
  // Out of descriptors, buffers or memory (the accept loop's own list), or
  // out of local ports.
  return net::AcceptBackoff::IsResourceError(ec) ||
         (ec.category() == boost::system::system_category() && ec.value() == EADDRNOTAVAIL);
}

}  // namespace

net::Awaitable<CheckOutcome> RunCheck(ServerRt& server, const haproxy_cfg::Backend& backend) {
  auto ex = co_await asio::this_coro::executor;
  const auto& c = server.cfg.check;
  auto timeouts =
      health::ComputeCheckTimeouts(c.inter, backend.timeouts.connect, backend.timeouts.check);
  auto started = SteadyClock::now();
  tcp::endpoint ep = server.endpoint;
  if (c.port) {
    ep.port(*c.port);
  }
  CheckOutcome out;
  tcp::socket sock(ex);
  boost::system::error_code open_ec;
  sock.open(ep.protocol(), open_ec);
  if (open_ec) {
    out.status = CheckStatus::kSockErr;
    out.info = open_ec.message();
    out.not_run = IsLocalShortage(open_ec);
    out.duration = Since(started);
    co_return out;
  }
  asio::steady_timer timer(ex);
  timer.expires_after(timeouts.connect);
  auto r = co_await (sock.async_connect(ep, kUseTuple) || timer.async_wait(kUseTuple));
  if (r.index() == 1) {
    out.status = CheckStatus::kL4Tout;
    out.duration = Since(started);
    co_return out;
  }
  if (auto [ec] = std::get<0>(r); ec) {
    out.status = CheckStatus::kL4Con;
    out.info = ec.message();
    out.not_run = IsLocalShortage(ec);
    out.duration = Since(started);
    co_return out;
  }
  boost::system::error_code ignored;
  sock.set_option(tcp::no_delay(true), ignored);
  timer.expires_after(timeouts.response);
  if (c.ssl) {
    std::string ctx_error;
    auto tls = MakeTlsContext(c, ctx_error);
    if (!ctx_error.empty()) {
      out.status = CheckStatus::kL6Rsp;
      out.info = "TLS set-up: " + ctx_error;
      out.duration = Since(started);
      co_return out;
    }
    ssl::stream<tcp::socket&> stream(sock, *tls);
    // SNI only with check-sni (servers are addresses, as in haproxy). The
    // certificate's name is checked, with `verify required`, against the
    // SNI, else `verifyhost`; neither (or no-verifyhost): the chain only.
    if (!c.sni.empty()) {
      SSL_set_tlsext_host_name(stream.native_handle(), c.sni.c_str());
    }
    const std::string& expected_name = c.sni.empty() ? c.verifyhost : c.sni;
    if (!c.verify_none && !c.no_verifyhost && !expected_name.empty()) {
      SSL_set_hostflags(stream.native_handle(), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (SSL_set1_host(stream.native_handle(), expected_name.c_str()) != 1) {
        out.status = CheckStatus::kL6Rsp;
        out.info = "TLS set-up: bad verifyhost name";
        out.duration = Since(started);
        co_return out;
      }
    }
    auto h = co_await (stream.async_handshake(ssl::stream_base::client, kUseTuple) ||
                       timer.async_wait(kUseTuple));
    if (h.index() == 1) {
      out.status = CheckStatus::kL6Tout;
      out.duration = Since(started);
      co_return out;
    }
    if (auto [ec] = std::get<0>(h); ec) {
      out.status = CheckStatus::kL6Rsp;
      out.info = TlsReason(ec);
      out.duration = Since(started);
      co_return out;
    }
    if (backend.http_check) {
      out = co_await HttpPart(stream, *backend.http_check, timer);
    } else {
      out.status = CheckStatus::kL6Ok;
    }
    // Close politely but do not wait for the peer's close_notify.
    sock.close(ignored);
    out.duration = Since(started);
    co_return out;
  }
  if (backend.http_check) {
    out = co_await HttpPart(sock, *backend.http_check, timer);
  } else {
    out.status = CheckStatus::kL4Ok;
  }
  out.duration = Since(started);
  co_return out;
}

net::Awaitable<void> CheckLoop(std::shared_ptr<CheckTask> task) {
  auto& be = *task->backend;
  auto& server = *be.servers[task->server];
  auto& logger = *task->shared->logger;
  task->timer->expires_after(task->first_delay);
  for (;;) {
    co_await task->timer->async_wait(kUseTuple);
    if (task->stopped) {
      co_return;
    }
    CheckOutcome outcome = co_await RunCheck(server, be.cfg);
    if (task->stopped) {
      co_return;
    }
    server.last_check_at = SteadyClock::now();
    auto& h = *server.health;
    if (outcome.not_run) {
      server.m.server_checks_not_run_total.Inc();
      static log::RateLimit limit;
      if (auto suppressed = limit.Allow()) {
        logger.warn(
            "Health check for server {}/{} not run: {} (this host's shortage; the server "
            "keeps its state){}",
            be.cfg.name, server.cfg.name, outcome.info, log::Suppressed(*suppressed));
      }
      task->timer->expires_after(h.CurrentInterval());
      continue;
    }
    auto report = h.OnResult(outcome);
    if (health::ResultOf(outcome.status) == health::CheckResult::kFailed) {
      server.m.server_check_failures_total.Inc();
    }
    bool drain = false;
    {
      std::lock_guard lock(be.mu);
      drain = be.pool.admin(task->server) == balance::AdminState::kDrain;
    }
    if (be.cfg.log_health_checks && report.log_check_line()) {
      logger.info("{}", health::HealthCheckLogLine(be.cfg.name, server.cfg.name, server.cfg.backup,
                                                   outcome, h, drain));
    }
    if (report.went_down || report.went_up) {
      auto now = SteadyClock::now();
      health::PoolCounts counts;
      {
        std::lock_guard lock(be.mu);
        be.pool.SetHealthy(task->server, report.went_up, now);
        counts.active = be.pool.UsableActive(now);
        counts.backup = be.pool.UsableBackup(now);
        counts.queued = static_cast<int>(be.queue.size());
        if (report.went_up) {
          be.DispatchLocked();
        }
        be.UpdateUpGauge();
      }
      counts.sessions = static_cast<int>(server.m.server_current_connections.value());
      const CheckOutcome* reason = be.cfg.log_health_checks ? nullptr : &outcome;
      server.last_change = now;
      server.m.server_up.Set(report.went_up ? 1 : 0);
      if (report.went_down) {
        server.down = true;
        server.down_since = now;
        server.m.server_down_transitions_total.Inc();
        logger.warn("{}", health::ServerDownLogLine(be.cfg.name, server.cfg.name, server.cfg.backup,
                                                    reason, counts));
        if (counts.active + counts.backup == 0) {
          logger.error("{}", health::NoServerLogLine(be.cfg.name, task->is_listen));
        }
        if (server.cfg.shutdown_sessions_on_down) {
          ShutdownSessions(task->backend, task->server, *task->shared);
        }
      } else {
        server.down = false;
        server.downtime += now - server.down_since;
        logger.info("{}", health::ServerUpLogLine(be.cfg.name, server.cfg.name, server.cfg.backup,
                                                  reason, counts));
      }
    }
    task->timer->expires_after(h.CurrentInterval());
  }
}

std::vector<std::shared_ptr<CheckTask>> StartChecks(const Snapshot& snap,
                                                    const std::shared_ptr<Shared>& shared,
                                                    asio::io_context& control) {
  using Millis = std::chrono::milliseconds;
  std::vector<std::pair<std::shared_ptr<BackendRt>, std::size_t>> checked;
  Millis min_inter{std::chrono::hours(24)};
  for (const auto& be : snap.backends) {
    for (const auto& s : be->servers) {
      if (s->health) {
        checked.emplace_back(be, s->index);
        min_inter = std::min(min_inter, s->cfg.check.inter);
      }
    }
  }
  min_inter = std::max(min_inter, Millis(1000));
  std::vector<std::shared_ptr<CheckTask>> tasks;
  int position = 0;
  for (auto& [be, i] : checked) {
    auto task = std::make_shared<CheckTask>();
    task->backend = be;
    task->server = i;
    task->shared = shared;
    task->timer = std::make_unique<asio::steady_timer>(control);
    task->first_delay =
        health::InitialCheckDelay(position++, static_cast<int>(checked.size()), min_inter);
    task->is_listen = be->cfg.from_listen;
    tasks.push_back(task);
    asio::co_spawn(control, CheckLoop(task),
                   net::TaskDone{"health check task", shared->logger.get()});
  }
  return tasks;
}

void StopChecks(std::vector<std::shared_ptr<CheckTask>>& tasks) {
  for (auto& t : tasks) {
    t->stopped = true;
    t->timer->cancel();
  }
  tasks.clear();
}

}  // namespace vigie::lb
