// DNS over TLS to an upstream (RFC 7858): one TLS connection per upstream
// per worker, reused for every query of that worker and pipelined (queries
// written as they come, answers matched by ID and question in any order,
// RFC 7766 §6.2.1.1), closed after an idle time and reopened on demand.
// The certificate is verified by default: against server_name when given
// (also sent as SNI), else against the upstream's IP address.
//
// Thread rules: a DotConnection belongs to one worker's io_context and is
// used from that thread only.
#pragma once

#include <memory>
#include <string>

#include "core/dns/message.h"
#include "core/error.h"
#include "core/metrics.h"
#include "core/net.h"
#include "core/units.h"
#include "dns/server/config.h"

namespace vigie::dns {

class DotConnection;

// Counters the connection bumps (may be null).
struct DotCounters {
  metrics::Counter* handshakes = nullptr;  // TLS connections established
  metrics::Counter* failures = nullptr;    // connects or handshakes that failed
};

// A connection object for `upstream` (nothing is opened until the first
// query). Fails when the TLS settings cannot be loaded (a bad ca_file).
Result<std::shared_ptr<DotConnection>> MakeDotConnection(const net::asio::any_io_executor& ex,
                                                         const UpstreamConfig& upstream,
                                                         Duration idle_timeout,
                                                         DotCounters counters = {});

// Sends `query` (its ID is replaced by a fresh random one) and waits at most
// `timeout` for the matching answer, connecting first if needed. Errors:
// kTimeout, kUnavailable (connect, TLS handshake or certificate failure,
// connection lost).
net::Awaitable<Result<Message>> QueryDot(std::shared_ptr<DotConnection> conn, Message query,
                                         Duration timeout);

// Closes the connection and fails the queries waiting on it.
void CloseDot(DotConnection& conn);

// A drain: closes the connection once no query waits on it (now when none
// does); the queries waiting get their answers (or their own timeouts).
void DrainDot(DotConnection& conn);

}  // namespace vigie::dns
