// The admin HTTP endpoint: /healthz, /metrics, /status and routes that
// components add (/lb/..., /dns/...). Loopback by default. Boost.Beast is
// kept inside admin.cc so that this header stays cheap to include.
//
// Thread rules: AdminServer runs on the control io_context; handlers run
// there too, one at a time, so they may touch control-thread state freely.
// AddRoute may be called before or after Listen, from the control thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "core/ip.h"
#include "core/metrics.h"
#include "core/net.h"

namespace vigie {

struct AdminConfig {
  Address listen{Address::Kind::kInet, "127.0.0.1", 9901, {}};
  // Admin routes can reload and stop things: a non-loopback address must be
  // asked for explicitly.
  bool allow_remote = false;
  // Host names besides loopback names and IP literals that requests may
  // carry (DNS-rebinding guard), and origins besides the loopback ones that
  // may POST (core/http/browser_guard.h).
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> allowed_origins;
};

bool ParseValue(const config::Field& f, AdminConfig& out);

struct AdminRequest {
  std::string method;  // "GET", "POST"
  std::string path;    // "/dns/why"
  std::string query;   // "name=x&y=z", undecoded
  std::string body;
  // The decoded value of query parameter `key`, or "".
  std::string Param(std::string_view key) const;
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using AdminHandler = std::function<AdminResponse(const AdminRequest&)>;

class AdminServer {
 public:
  AdminServer(net::asio::io_context& control, metrics::Registry& registry);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // `path` is matched exactly, or as a prefix when it ends in '/'. A later
  // route with the same path replaces the earlier one.
  void AddRoute(std::string path, AdminHandler handler);
  void RemoveRoute(const std::string& path);

  // Starts listening; returns the bound address (port 0 resolved).
  [[nodiscard]] Result<Address> Listen(const AdminConfig& config);
  // Stops accepting, closes idle connections; requests in flight finish.
  void Stop();
  // Connections still open.
  std::size_t active_sessions() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// A blocking HTTP/1.1 request to an admin endpoint (for `vigie reload` and
// friends): returns the status and body, or a connection error.
[[nodiscard]] Result<AdminResponse> CallAdmin(const Address& admin, const std::string& method,
                                              const std::string& target,
                                              std::chrono::milliseconds timeout);

}  // namespace vigie
