// The dns component's upstream client: a query forwarded over UDP (TCP when
// the answer is truncated) or DNS over TLS (dot_client.h), answers matched
// on ID and question, failover between the upstreams, one query in flight
// per question per worker (identical queries join it), and the prefetch of
// popular cache entries.
//
// Thread rules: the coroutines run on the worker `w` and touch only its
// state and the thread-safe Shared; the pure functions are safe anywhere.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/dns/message.h"
#include "core/error.h"
#include "core/net.h"
#include "core/units.h"
#include "dns/server/answer.h"
#include "dns/server/config.h"
#include "dns/server/worker.h"

namespace vigie::dns {

// Consecutive failures after which an upstream is tried after the others.
inline constexpr int kUpstreamFailuresToDemote = 3;

// The query sent upstream for `q`: a random ID (arc4random), RD, EDNS with
// our default UDP size.
Message UpstreamQuery(const Question& q);

// Whether `reply` answers `query`: a response with its ID and its one
// question (RFC 5452 §9.1). The transport has checked address and port.
bool MatchesQuery(const Message& reply, const Message& query);

// The order in which to try `upstreams`: the config's order, those with
// kUpstreamFailuresToDemote or more consecutive failures (in `failures`, by
// address; missing entries are added at 0) after the others.
std::vector<const UpstreamConfig*> FailoverOrder(const std::vector<UpstreamConfig>& upstreams,
                                                 std::unordered_map<std::string, int>& failures);

// Whether an upstream's result ends the failover: an answer that is neither
// SERVFAIL nor REFUSED. Anything else counts as that upstream's failure.
bool UsableAnswer(const Result<Message>& r);

// dns-0x20 (unbound's use-caps-for-id): `name` with each ASCII letter's
// case taken from the next bit of `random` (letters past its bits keep
// theirs). The reply must echo the question byte for byte, which a forger
// who guessed ID and port must also guess.
Name ScrambleCase(const Name& name, std::span<const std::byte> random);

// Puts the question and the records owned by its name back in the spelling
// of `asked` after a 0x20 exchange (the client never sees the scramble).
void RestoreCase(Message& reply, const Name& asked);

// One query for `q` over UDP from a fresh connected socket (kernel-chosen
// source port), waiting up to `timeout` for a reply that matches; others are
// counted in upstream_mismatched_total and ignored. With `caps` the name is
// scrambled (ScrambleCase); a matching reply whose question lost the case
// is Errc::kCancelled (the caller asks again without). Errors: kTimeout,
// kUnavailable (socket errors).
net::Awaitable<Result<Message>> QueryUdp(net::udp::endpoint upstream, Question q, Duration timeout,
                                         Shared* shared, bool caps = false);

// The same over one TCP connection (length-prefixed); `timeout` covers the
// connect, the write and the reads.
net::Awaitable<Result<Message>> QueryTcp(net::tcp::endpoint upstream, Question q, Duration timeout,
                                         Shared* shared);

// The upstream answer for `q` (cache key `key`): joins the query in flight
// for the same key on this worker, else sends one (failover over
// snap.config's upstreams) unless max_inflight are in flight (kLimitExceeded).
net::Awaitable<Upstreamed> Resolve(std::shared_ptr<Worker> w, Question q, std::string key,
                                   Snapshot snap);

// Refreshes the cache entry of `h` (a reply from the cache with
// h.prefetch set) upstream, in a coroutine of its own on `w`. Moves h.query.
void StartPrefetch(const std::shared_ptr<Worker>& w, Handled& h);

}  // namespace vigie::dns
