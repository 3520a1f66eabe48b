// The worker-side listeners: Riemann TCP (framed, pipelined, in-order
// replies), the same over TLS, and UDP (one Msg per datagram), carbon plaintext over TCP and
// statsd over UDP, plus the HTTP/WebSocket port (http.cc). Connections stay
// on the worker that accepted them; decoding happens there, and events go
// to the EventCore in batches.
//
// Thread rules: the Listeners object is created, started and stopped on the
// control thread; its sockets live on the workers.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "core/accept.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/runtime.h"
#include "events/server/config.h"
#include "events/server/event_core.h"

namespace vigie::events {

// What every session shares: the event core, the current config snapshot,
// the TLS context (when events.tls is on), the stop flag and the open
// connections (bounded by max_connections, set with the config).
struct SessionShared {
  EventCore* core = nullptr;
  std::atomic<std::shared_ptr<const EventsConfig>> config;
  std::atomic<std::shared_ptr<boost::asio::ssl::context>> tls;
  std::atomic<bool> stopping{false};
  std::shared_ptr<net::ConnectionLimit> connections = std::make_shared<net::ConnectionLimit>();

  void SetConfig(std::shared_ptr<const EventsConfig> c) {
    connections->set_limit(c->max_connections);
    config.store(std::move(c));
  }
};

class Listeners {
 public:
  Listeners(Runtime& runtime, std::shared_ptr<SessionShared> shared);
  ~Listeners();
  // Binds every configured listener (all or nothing).
  [[nodiscard]] Result<void> Start(const EventsConfig& config);
  // "events-tcp 127.0.0.1:5555", ...
  std::vector<std::string> Describe() const;
  // Closes the listening sockets; open connections finish their work.
  void Stop();

  struct State;

 private:
  Runtime& runtime_;
  std::shared_ptr<SessionShared> shared_;
  std::shared_ptr<State> state_;
};

// http.cc: one connection to the HTTP port (WebSocket/SSE/HTTP), accepted
// by the listeners' shared accept loop; Beast's stream keeps its deadlines.
net::Awaitable<void> HttpSession(net::tcp::socket sock, std::shared_ptr<SessionShared> sh);

}  // namespace vigie::events
