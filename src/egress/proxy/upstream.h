// The HTTP proxy's origin side: connecting to one of the addresses the ACL
// allowed, CONNECT tunnels, and forwarding a request (origin connections
// reused by the same client and pooled per worker for the next one, the
// request body sent on, the response relayed back). Internal to egress/proxy.
//
// Thread rules: everything runs on the connection's worker; the pool it
// uses is that worker's.
#pragma once

#include <string>
#include <vector>

#include "core/http/framing.h"
#include "core/http/request_head.h"
#include "core/ip.h"
#include "egress/http/proxy_target.h"
#include "egress/proxy/connection.h"

namespace vigie::egress::proxy {

// CONNECT: connects to one of `addresses` (allowed for `target`), answers
// 200 and relays both ways, starting with the client bytes `buf` holds,
// until either side ends or tunnel_idle_timeout; then the connection
// closes.
net::Awaitable<Next> Tunnel(ConnPtr c, Shared& shared, const Snapshot& snap, Transaction& t,
                            const http::ProxyTarget& target,
                            const std::vector<IpAddress>& addresses, std::string& buf);

// Any other method: sends the rewritten request and its body (`buf` holds
// the bytes after the head; what follows the body is left in it) to one of
// `addresses` on the client's origin connection when it goes to the same
// place, else a pooled one (requests without a body), else a new one, with
// one retry on a reused connection the origin had closed; then relays the
// response.
net::Awaitable<Next> Forward(ConnPtr c, Shared& shared, const Snapshot& snap, Transaction& t,
                             const vigie::http::RequestHead& head, const http::ProxyTarget& target,
                             vigie::http::BodyFraming framing, bool keep_alive,
                             const std::vector<IpAddress>& addresses, std::string& buf);

// Keeps the closing client's idle origin connection in its worker's pool
// for another client (a bounded pool; entries idle too long are dropped
// when met).
void PoolOrigin(const ConnPtr& c, Shared& shared);

}  // namespace vigie::egress::proxy
