// The server-side TLS context of the Riemann TLS listener (events.tls).
//
// Thread rules: a built context is immutable after MakeServerTlsContext
// returns; sessions on any worker share it through a shared_ptr, and a
// reload swaps in a new one (open connections keep the one they began with).
#pragma once

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "core/error.h"
#include "events/server/config.h"

namespace vigie::events {

// Reads the certificate chain, the private key and (when clients are
// verified) the CA file; TLS 1.2 or later. The error names the setting, the
// file and OpenSSL's reason, never the key's contents.
[[nodiscard]] Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerTlsContext(
    const TlsListenerConfig& config);

}  // namespace vigie::events
