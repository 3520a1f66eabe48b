// The query pipeline without I/O: decode a client's query, apply access
// control, the policy (local > allow > block) and the cache, and either
// produce the reply bytes or say that the query must go upstream; then turn
// an upstream answer (or its failure) into the client's reply with the CNAME
// cloaking check, caching and serve-stale. The server's coroutines only move
// the bytes.
//
// Thread rules: pure functions over an immutable Snapshot and a thread-safe
// ShardedCache; safe from any worker.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/dns/message.h"
#include "core/ip.h"
#include "dns/blocklist/policy.h"
#include "dns/cache/cache.h"
#include "dns/server/config.h"

namespace vigie::dns {

// What the workers answer from; swapped as a whole on reload/refresh.
struct Snapshot {
  std::shared_ptr<const DnsConfig> config;
  std::shared_ptr<const Policy> policy;
};

// How a query ended, for /metrics and the query log.
enum class QueryResult : uint8_t {
  kBlocked,       // a block rule on the question name
  kBlockedCname,  // a block rule on a CNAME in the upstream answer
  kLocal,         // a local record
  kCached,        // fresh cache entry
  kStale,         // expired entry served because upstreams failed
  kForwarded,     // upstream answer
  kRefused,       // client not allowed, or a class we do not serve
  kFormErr,       // malformed query answered FORMERR
  kNotImp,        // opcode other than QUERY
  kServFail,      // every upstream failed and nothing stale
  kDropped,       // malformed beyond answering, or a drop rule
  kAny,           // RFC 8482 minimal ANY answer
  kRateLimited,   // over the client's rate limit (dropped, REFUSED or TC=1)
  kCount
};
std::string_view QueryResultName(QueryResult r);

struct Handled {
  enum class Action : uint8_t { kReply, kDrop, kForward };
  Action action = Action::kDrop;
  QueryResult result = QueryResult::kDropped;
  std::vector<std::byte> reply;  // kReply
  // kForward: the decoded query, its cache key, and whether an allow rule
  // matched (no CNAME check then).
  Message query;
  std::string cache_key;
  bool allowed = false;
  // kReply from the cache: popular entry near expiry, refresh it upstream.
  bool prefetch = false;
  // The question, set for blocked queries (for /dns/top) and for every
  // decoded query when the query log is on; has_question says which.
  bool has_question = false;
  Name qname;
  uint16_t qtype = 0;
  // The block or allow rule that decided (blocked, blocked_cname, allowed
  // forwards); rule_list points into the snapshot's Policy.
  const ListInfo* rule_list = nullptr;
  uint32_t rule_line = 0;
  bool rule_allows = false;
};

// Handles one query read from a client. `tcp` decides the size limit
// (65535, else the client's EDNS size capped by the config). `limited`:
// the client is over its rate limit; the query is answered per
// config.rate_limit_action (dropped, REFUSED, or TC=1 without records).
void HandleQuery(std::span<const std::byte> wire, const IpAddress& client, bool tcp,
                 const Snapshot& snap, ShardedCache* cache, CacheTime now, Handled* out,
                 bool limited = false);

// The reply to `query` given the upstream's answer or failure. Fills
// out->reply (action kReply) and out->result.
void AnswerFromUpstream(const Message& query, bool tcp, bool allowed,
                        const Result<Message>& upstream, const Snapshot& snap, ShardedCache* cache,
                        CacheTime now, Handled* out);

// The block answer for `query` under `rule` (its own answer kind, else the
// configured mode); nullopt for a drop rule. EDE 15 names the list.
std::optional<Message> BuildBlockAnswer(const Message& query, const Decision& d,
                                        const DnsConfig& config);

// Largest reply for this query on this transport.
size_t ReplyLimit(const Message& query, bool tcp, const DnsConfig& config);

}  // namespace vigie::dns
