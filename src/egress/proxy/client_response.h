// The origin's response head as the forward proxy sends it on to the client:
// hop-by-hop fields removed, Via appended, the framing field regenerated.
//
// Thread rules: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/http/framing.h"
#include "core/http/message.h"

namespace vigie::egress::proxy {

struct ClientResponseOptions {
  bool via = true;
  std::string_view via_name = "vigie";
  bool keep_alive = true;  // "Connection: keep-alive" / "close" to the client
};

// The head sent to the client: "HTTP/1.1 <status> <reason>", the origin's
// fields minus hop-by-hop ones and those named by Connection, Via appended,
// the framing field regenerated, and Connection.
std::string BuildClientResponseHead(const vigie::http::ResponseHead& head,
                                    const vigie::http::ResponseFraming& framing,
                                    const ClientResponseOptions& options);

}  // namespace vigie::egress::proxy
