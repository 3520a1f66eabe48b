// The query pipeline without I/O (see answer.h).
#include "dns/server/answer.h"

#include <cstdio>
#include <cstring>

#include "core/check.h"
#include "core/dns/builders.h"
#include "core/dns/writer.h"

namespace vigie::dns {
namespace {

constexpr uint16_t kHinfo = 13;

void Put16(std::vector<std::byte>& w, size_t at, uint16_t v) {
  w[at] = std::byte(v >> 8);
  w[at + 1] = std::byte(v & 0xFF);
}

void Reply(Handled* out, QueryResult result, const Message& m, size_t limit) {
  out->action = Handled::Action::kReply;
  out->result = result;
  out->reply.clear();
  Encode(m, &out->reply, limit);
}

ResponseOptions Options(const DnsConfig& config) {
  ResponseOptions o;
  o.udp_size = config.edns_udp_size;
  return o;
}

// A cache hit becomes this client's reply: its ID, RD/CD bits, the
// question as the client wrote it, and an OPT record when it sent one.
bool PatchCached(CacheHit& hit, const Message& query, size_t limit, const DnsConfig& config) {
  std::vector<std::byte>& w = hit.wire;
  const Name& qname = query.questions[0].name;
  if (w.size() < kHeaderSize + qname.wire_size() + 4) {
    return false;
  }
  Put16(w, 0, query.header.id);
  auto flags = std::to_integer<uint8_t>(w[2]);
  flags = static_cast<uint8_t>((flags & ~0x01) | (query.header.rd ? 0x01 : 0));
  w[2] = std::byte(flags);
  auto flags2 = std::to_integer<uint8_t>(w[3]);
  flags2 = static_cast<uint8_t>((flags2 & ~0x10) | (query.header.cd ? 0x10 : 0) | 0x80);
  w[3] = std::byte(flags2);
  const std::string_view name = qname.wire();
  for (size_t i = 0; i < name.size(); ++i) {
    w[kHeaderSize + i] = std::byte(static_cast<uint8_t>(name[i]));
  }
  if (query.edns) {
    const uint16_t ar = static_cast<uint16_t>((std::to_integer<uint16_t>(w[10]) << 8) |
                                              std::to_integer<uint16_t>(w[11]));
    Put16(w, 10, static_cast<uint16_t>(ar + 1));
    const size_t at = w.size();
    w.resize(at + 11);
    w[at] = std::byte{0};
    Put16(w, at + 1, rr_type::kOpt);
    Put16(w, at + 3, config.edns_udp_size);
    Put16(w, at + 5, 0);  // extended rcode, version
    Put16(w, at + 7, query.edns->dnssec_ok ? 0x8000 : 0);
    Put16(w, at + 9, 0);
  }
  if (w.size() > limit) {
    // Rare: re-encode with truncation.
    auto m = DecodeMessage(w);
    if (!m) {
      return false;
    }
    w.clear();
    Encode(*m, &w, limit);
  }
  return true;
}

Message LocalAnswer(const Message& query, const Decision& d, const DnsConfig& config) {
  Message r = ResponseTo(query, Options(config));
  r.header.aa = true;
  const Question& q = query.questions[0];
  for (const auto& rec : *d.local) {
    if (rec.type == q.type || (rec.type == rr_type::kCname && q.type != rr_type::kCname)) {
      ResourceRecord rr;
      rr.name = q.name;
      rr.type = rec.type;
      rr.ttl = rec.ttl;
      rr.rdata = rec.rdata;
      r.answers.push_back(std::move(rr));
    }
  }
  if (r.answers.empty()) {
    r.authorities.push_back(SyntheticSoa(q.name, config.block_ttl));
  }
  return r;
}

// RFC 8482 §4.2: one synthesized HINFO "RFC8482" instead of everything.
Message MinimalAny(const Message& query, const DnsConfig& config) {
  Message r = ResponseTo(query, Options(config));
  ResourceRecord rr;
  rr.name = query.questions[0].name;
  rr.type = kHinfo;
  rr.ttl = 3600;
  const std::string_view cpu = "RFC8482";
  rr.rdata.push_back(std::byte(cpu.size()));
  for (char c : cpu) {
    rr.rdata.push_back(std::byte(static_cast<uint8_t>(c)));
  }
  rr.rdata.push_back(std::byte{0});
  r.answers.push_back(std::move(rr));
  return r;
}

// The RDATA of SyntheticSoa() for a given TTL, built once per TTL value.
const std::vector<std::byte>& SoaRdata(uint32_t ttl) {
  thread_local uint32_t cached_ttl = 0;
  thread_local std::vector<std::byte> rdata;
  if (rdata.empty() || cached_ttl != ttl) {
    rdata = SyntheticSoa(Name(), ttl).rdata;
    cached_ttl = ttl;
  }
  return rdata;
}

// The block answer written straight to wire form (the hot path of a
// filtering resolver): same content as BuildBlockAnswer's Message, without
// building one. Returns false when the caller must take the general path
// (a drop rule, or a reply that would not fit).
bool FastBlockReply(const Message& query, const Decision& d, const DnsConfig& config, size_t limit,
                    std::vector<std::byte>* out) {
  enum class Kind { kNxdomain, kNodata, kRefused, kAddresses } kind = Kind::kNxdomain;
  const std::vector<std::array<uint8_t, 4>>* v4 = &config.block_v4;
  const std::vector<std::array<uint8_t, 16>>* v6 = &config.block_v6;
  static const std::vector<std::array<uint8_t, 4>> kNull4 = {{0, 0, 0, 0}};
  static const std::vector<std::array<uint8_t, 16>> kNull6 = {{}};
  const BlockAnswer rule_answer = d.rule ? d.rule->answer : BlockAnswer::kDefault;
  switch (rule_answer) {
    case BlockAnswer::kDefault:
      switch (config.block_mode) {
        case BlockMode::kNxdomain:
          kind = Kind::kNxdomain;
          break;
        case BlockMode::kNodata:
          kind = Kind::kNodata;
          break;
        case BlockMode::kRefused:
          kind = Kind::kRefused;
          break;
        case BlockMode::kNull:
        case BlockMode::kAddress:
          kind = Kind::kAddresses;
          break;
      }
      break;
    case BlockAnswer::kNxdomain:
      kind = Kind::kNxdomain;
      break;
    case BlockAnswer::kNodata:
      kind = Kind::kNodata;
      break;
    case BlockAnswer::kRefused:
      kind = Kind::kRefused;
      break;
    case BlockAnswer::kNull:
      kind = Kind::kAddresses;
      v4 = &kNull4;
      v6 = &kNull6;
      break;
    case BlockAnswer::kDrop:
      return false;
  }
  const Question& q = query.questions[0];
  uint16_t answers = 0;
  bool soa = kind == Kind::kNxdomain || kind == Kind::kNodata;
  if (kind == Kind::kAddresses) {
    if (q.type == rr_type::kA && !v4->empty()) {
      answers = static_cast<uint16_t>(v4->size());
    } else if (q.type == rr_type::kAaaa && !v6->empty()) {
      answers = static_cast<uint16_t>(v6->size());
    } else {
      soa = true;  // NODATA for the other types
    }
  }
  // The EDE text: "blocked" or "blocked by list ID line N".
  std::string_view list = d.list != nullptr ? std::string_view(d.list->id) : "";
  list = list.substr(0, 200);
  const std::string_view prefix = list.empty() ? "blocked" : "blocked by list ";
  char line_text[24] = "";
  if (query.edns && !list.empty() && d.rule) {
    std::snprintf(line_text, sizeof line_text, " line %u", static_cast<unsigned>(d.rule->line));
  }
  const std::string_view line(line_text);
  const uint16_t ede_len = static_cast<uint16_t>(2 + prefix.size() + list.size() + line.size());
  const std::vector<std::byte>& soa_rdata = SoaRdata(config.block_ttl);
  const std::string_view qname = q.name.wire();
  const size_t rdlen = q.type == rr_type::kA ? 4 : 16;
  // Sized once and written in place: this is the hottest answer.
  const size_t size = kHeaderSize + qname.size() + 4 + answers * (12 + rdlen) +
                      (soa ? 12 + soa_rdata.size() : 0) + (query.edns ? 11 + 4 + ede_len : 0);
  std::vector<std::byte>& w = *out;
  w.resize(size);
  std::byte* p = w.data();
  auto put8 = [&p](uint8_t v) { *p++ = std::byte(v); };
  auto put16 = [&p](uint16_t v) {
    p[0] = std::byte(v >> 8);
    p[1] = std::byte(v & 0xFF);
    p += 2;
  };
  auto put32 = [&put16](uint32_t v) {
    put16(static_cast<uint16_t>(v >> 16));
    put16(static_cast<uint16_t>(v & 0xFFFF));
  };
  auto put_text = [&p](std::string_view t) {
    std::memcpy(p, t.data(), t.size());
    p += t.size();
  };
  put16(query.header.id);
  uint8_t flags1 = static_cast<uint8_t>(0x80 | ((query.header.opcode & 0x0F) << 3) |
                                        (query.header.rd ? 0x01 : 0));
  if (kind != Kind::kRefused) {
    flags1 |= 0x04;  // AA
  }
  const auto rc = static_cast<uint8_t>(kind == Kind::kNxdomain  ? rcode::kNxDomain
                                       : kind == Kind::kRefused ? rcode::kRefused
                                                                : rcode::kNoError);
  put8(flags1);
  put8(static_cast<uint8_t>(0x80 | (query.header.cd ? 0x10 : 0) | rc));
  put16(1);
  put16(answers);
  put16(soa ? 1 : 0);
  put16(query.edns ? 1 : 0);
  put_text(qname);
  put16(q.type);
  put16(q.klass);
  for (uint16_t i = 0; i < answers; ++i) {
    put16(0xC00C);
    put16(q.type);
    put16(rr_class::kIn);
    put32(config.block_ttl);
    put16(static_cast<uint16_t>(rdlen));
    if (q.type == rr_type::kA) {
      std::memcpy(p, (*v4)[i].data(), 4);
    } else {
      std::memcpy(p, (*v6)[i].data(), 16);
    }
    p += rdlen;
  }
  if (soa) {
    put16(0xC00C);
    put16(rr_type::kSoa);
    put16(rr_class::kIn);
    put32(config.block_ttl);
    put16(static_cast<uint16_t>(soa_rdata.size()));
    std::memcpy(p, soa_rdata.data(), soa_rdata.size());
    p += soa_rdata.size();
  }
  if (query.edns) {
    put8(0);
    put16(rr_type::kOpt);
    put16(config.edns_udp_size);
    put16(0);
    put16(query.edns->dnssec_ok ? 0x8000 : 0);
    put16(static_cast<uint16_t>(4 + ede_len));
    put16(edns_option::kExtendedError);
    put16(ede_len);
    put16(ede::kBlocked);
    put_text(prefix);
    put_text(list);
    put_text(line);
  }
  VIGIE_CHECK(p == w.data() + w.size(), "block answer size mismatch");
  return w.size() <= limit;
}

}  // namespace

std::string_view QueryResultName(QueryResult r) {
  switch (r) {
    case QueryResult::kBlocked:
      return "blocked";
    case QueryResult::kBlockedCname:
      return "blocked_cname";
    case QueryResult::kLocal:
      return "local";
    case QueryResult::kCached:
      return "cached";
    case QueryResult::kStale:
      return "stale";
    case QueryResult::kForwarded:
      return "forwarded";
    case QueryResult::kRefused:
      return "refused";
    case QueryResult::kFormErr:
      return "formerr";
    case QueryResult::kNotImp:
      return "notimp";
    case QueryResult::kServFail:
      return "servfail";
    case QueryResult::kDropped:
      return "dropped";
    case QueryResult::kAny:
      return "any";
    case QueryResult::kRateLimited:
      return "ratelimited";
    case QueryResult::kCount:
      break;
  }
  return "unknown";
}

size_t ReplyLimit(const Message& query, bool tcp, const DnsConfig& config) {
  return tcp ? 65535 : MaxUdpResponseSize(query, config.edns_udp_size);
}

std::optional<Message> BuildBlockAnswer(const Message& query, const Decision& d,
                                        const DnsConfig& config) {
  ResponseOptions o = Options(config);
  std::string text = "blocked";
  if (d.list != nullptr) {
    text += " by list " + d.list->id.substr(0, 200);
    if (d.rule) {
      text += " line " + std::to_string(d.rule->line);
    }
  }
  o.extended_error = ExtendedError{ede::kBlocked, std::move(text)};
  const Name& qname = query.questions[0].name;
  const ResourceRecord soa = SyntheticSoa(qname, config.block_ttl);
  BlockAnswer kind = d.rule ? d.rule->answer : BlockAnswer::kDefault;
  if (kind == BlockAnswer::kDefault) {
    switch (config.block_mode) {
      case BlockMode::kNxdomain:
        kind = BlockAnswer::kNxdomain;
        break;
      case BlockMode::kRefused:
        kind = BlockAnswer::kRefused;
        break;
      case BlockMode::kNodata:
        kind = BlockAnswer::kNodata;
        break;
      case BlockMode::kNull:
      case BlockMode::kAddress:
        return BuildAddressAnswer(query, config.block_ttl, config.block_v4, config.block_v6, soa,
                                  o);
    }
  }
  switch (kind) {
    case BlockAnswer::kNxdomain:
    case BlockAnswer::kDefault:
      return BuildNxdomain(query, soa, o);
    case BlockAnswer::kNull:
      return BuildAddressAnswer(query, config.block_ttl, {{0, 0, 0, 0}}, {{}}, soa, o);
    case BlockAnswer::kRefused:
      return BuildRefused(query, o);
    case BlockAnswer::kNodata:
      return BuildNodata(query, soa, o);
    case BlockAnswer::kDrop:
      return std::nullopt;
  }
  return BuildNxdomain(query, soa, o);
}

void HandleQuery(std::span<const std::byte> wire, const IpAddress& client, bool tcp,
                 const Snapshot& snap, ShardedCache* cache, CacheTime now, Handled* out,
                 bool limited) {
  const DnsConfig& config = *snap.config;
  out->prefetch = false;
  out->allowed = false;
  out->has_question = false;
  out->rule_list = nullptr;
  out->rule_allows = false;
  if (limited && config.rate_limit_action == RateLimitAction::kDrop) {
    // Cheapest under a flood: not even decoded.
    out->action = Handled::Action::kDrop;
    out->result = QueryResult::kRateLimited;
    return;
  }
  auto decoded = DecodeQuery(wire);
  if (!decoded) {
    auto header = DecodeHeader(wire);
    if (limited || !header || header->qr) {
      // Over the limit (no FORMERR for a flood), no header to answer, or a
      // response sent to us: never reply to it.
      out->action = Handled::Action::kDrop;
      out->result = limited ? QueryResult::kRateLimited : QueryResult::kDropped;
      return;
    }
    out->action = Handled::Action::kReply;
    out->result = QueryResult::kFormErr;
    out->reply.clear();
    Encode(BuildFormerr(*header), &out->reply, 512);
    return;
  }
  Message& query = *decoded;
  const size_t limit = ReplyLimit(query, tcp, config);
  if (config.query_log.enabled()) {
    out->has_question = true;
    out->qname = query.questions[0].name;
    out->qtype = query.questions[0].type;
  }
  if (limited) {
    if (config.rate_limit_action == RateLimitAction::kTruncate && !tcp) {
      Message r = ResponseTo(query, Options(config));
      r.header.tc = true;
      return Reply(out, QueryResult::kRateLimited, r, limit);
    }
    return Reply(out, QueryResult::kRateLimited, BuildRefused(query, Options(config)), limit);
  }
  bool allowed_client = false;
  for (const auto& c : config.clients) {
    if (c.Contains(client)) {
      allowed_client = true;
      break;
    }
  }
  if (!allowed_client) {
    return Reply(out, QueryResult::kRefused, BuildRefused(query, Options(config)), limit);
  }
  if (query.header.opcode != opcode::kQuery) {
    return Reply(out, QueryResult::kNotImp, BuildNotImp(query, Options(config)), limit);
  }
  if (query.edns && query.edns->version != 0) {
    Message r = ResponseTo(query, Options(config));
    r.SetFullRcode(rcode::kBadVers);
    return Reply(out, QueryResult::kFormErr, r, limit);
  }
  const Question& q = query.questions[0];
  if (q.klass != rr_class::kIn) {
    return Reply(out, QueryResult::kRefused, BuildRefused(query, Options(config)), limit);
  }
  const Decision d = snap.policy->Decide(q.name);
  if (d.list != nullptr && d.rule) {
    out->rule_list = d.list;
    out->rule_line = d.rule->line;
    out->rule_allows = d.verdict == Verdict::kAllowed;
  }
  if (d.verdict == Verdict::kBlocked) {
    if (!out->has_question) {
      out->has_question = true;
      out->qname = q.name;
      out->qtype = q.type;
    }
    if (FastBlockReply(query, d, config, limit, &out->reply)) {
      out->action = Handled::Action::kReply;
      out->result = QueryResult::kBlocked;
      return;
    }
    auto answer = BuildBlockAnswer(query, d, config);
    if (!answer) {
      out->action = Handled::Action::kDrop;
      out->result = QueryResult::kBlocked;
      return;
    }
    return Reply(out, QueryResult::kBlocked, *answer, limit);
  }
  if (d.verdict == Verdict::kLocal) {
    return Reply(out, QueryResult::kLocal, LocalAnswer(query, d, config), limit);
  }
  if (q.type == rr_type::kAny) {
    return Reply(out, QueryResult::kAny, MinimalAny(query, config), limit);
  }
  out->allowed = d.verdict == Verdict::kAllowed;
  CacheKeyInto(q.name, q.type, q.klass, &out->cache_key);
  if (cache != nullptr) {
    // The hit is copied into the reply buffer lent to it (a worker reuses
    // its Handled, so this allocates nothing once the buffer has grown).
    CacheHit hit;
    hit.wire.swap(out->reply);
    if (cache->Lookup(out->cache_key, now, false, &hit) && PatchCached(hit, query, limit, config)) {
      out->action = Handled::Action::kReply;
      out->result = QueryResult::kCached;
      out->reply.swap(hit.wire);
      out->prefetch = hit.prefetch;
      if (out->prefetch) {
        out->query = std::move(query);
      }
      return;
    }
    out->reply.swap(hit.wire);
  }
  out->action = Handled::Action::kForward;
  out->result = QueryResult::kForwarded;
  out->query = std::move(query);
}

void AnswerFromUpstream(const Message& query, bool tcp, bool allowed,
                        const Result<Message>& upstream, const Snapshot& snap, ShardedCache* cache,
                        CacheTime now, Handled* out) {
  const DnsConfig& config = *snap.config;
  const size_t limit = ReplyLimit(query, tcp, config);
  const uint16_t rc = upstream ? upstream->FullRcode() : rcode::kServFail;
  if (!upstream || (rc != rcode::kNoError && rc != rcode::kNxDomain)) {
    // RFC 8767: an expired answer beats SERVFAIL.
    if (cache != nullptr) {
      const Question& q = query.questions[0];
      if (auto hit = cache->Lookup(CacheKey(q.name, q.type, q.klass), now, true);
          hit && PatchCached(*hit, query, limit, config)) {
        out->action = Handled::Action::kReply;
        out->result = QueryResult::kStale;
        out->reply = std::move(hit->wire);
        return;
      }
    }
    Message r = ResponseTo(query, Options(config));
    r.header.rcode = static_cast<uint8_t>(upstream ? (rc & 0xF) : rcode::kServFail);
    if (!upstream) {
      r.header.rcode = static_cast<uint8_t>(rcode::kServFail);
    }
    return Reply(out, QueryResult::kServFail, r, limit);
  }
  std::optional<Cacheable> subset = CacheableSubset(*upstream);
  if (!allowed && config.cname_inspect) {
    // CNAME cloaking: a first-party name aliased to a listed tracker.
    for (const auto& rr : upstream->answers) {
      if (rr.type != rr_type::kCname) {
        continue;
      }
      auto target = RdataName(rr);
      if (!target) {
        continue;
      }
      const Decision d = snap.policy->Decide(*target);
      if (d.verdict == Verdict::kBlocked) {
        if (d.list != nullptr && d.rule) {
          out->rule_list = d.list;
          out->rule_line = d.rule->line;
          out->rule_allows = false;
        }
        auto answer = BuildBlockAnswer(query, d, config);
        if (!answer) {
          out->action = Handled::Action::kDrop;
          out->result = QueryResult::kBlockedCname;
          return;
        }
        return Reply(out, QueryResult::kBlockedCname, *answer, limit);
      }
      if (d.verdict == Verdict::kAllowed) {
        break;
      }
    }
  }
  Message r = ResponseTo(query, Options(config));
  if (subset) {
    if (cache != nullptr) {
      cache->Insert(*subset, now);
    }
    r.header.aa = false;
    r.header.ad = upstream->header.ad;
    r.answers = std::move(subset->message.answers);
    r.authorities = std::move(subset->message.authorities);
  } else {
    // Not cacheable (e.g. NXDOMAIN without SOA): pass the chain through.
    r.answers = upstream->answers;
    r.authorities = upstream->authorities;
  }
  r.header.rcode = static_cast<uint8_t>(rc & 0xF);
  return Reply(out, QueryResult::kForwarded, r, limit);
}

}  // namespace vigie::dns
