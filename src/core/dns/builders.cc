// Response builders for synthesized answers.
#include "core/dns/builders.h"

namespace vigie::dns {

Message ResponseTo(const Message& query, const ResponseOptions& options) {
  Message r;
  r.header.id = query.header.id;
  r.header.qr = true;
  r.header.opcode = query.header.opcode;
  r.header.rd = query.header.rd;
  r.header.cd = query.header.cd;
  r.header.ra = options.recursion_available;
  r.questions = query.questions;
  if (query.edns) {
    Edns e;
    e.udp_size = options.udp_size;
    e.dnssec_ok = query.edns->dnssec_ok;
    if (options.extended_error) {
      e.AddExtendedError(*options.extended_error);
    }
    r.edns = std::move(e);
  }
  return r;
}

ResourceRecord SyntheticSoa(const Name& zone, uint32_t ttl) {
  Soa soa;
  // A name under .invalid (RFC 6761) so nobody mistakes it for a real server.
  soa.mname = *Name::FromText("vigie.invalid.");
  soa.rname = *Name::FromText("blocked.vigie.invalid.");
  soa.serial = 1;
  soa.refresh = 1800;
  soa.retry = 900;
  soa.expire = 604800;
  soa.minimum = ttl;
  return MakeSoa(zone, ttl, soa);
}

Message BuildNxdomain(const Message& query, const ResourceRecord& soa,
                      const ResponseOptions& options) {
  Message r = ResponseTo(query, options);
  r.header.aa = true;
  r.header.rcode = static_cast<uint8_t>(rcode::kNxDomain);
  r.authorities.push_back(soa);
  return r;
}

Message BuildNodata(const Message& query, const ResourceRecord& soa,
                    const ResponseOptions& options) {
  Message r = ResponseTo(query, options);
  r.header.aa = true;
  r.authorities.push_back(soa);
  return r;
}

Message BuildRefused(const Message& query, const ResponseOptions& options) {
  Message r = ResponseTo(query, options);
  r.header.rcode = static_cast<uint8_t>(rcode::kRefused);
  return r;
}

Message BuildNotImp(const Message& query, const ResponseOptions& options) {
  Message r = ResponseTo(query, options);
  r.header.rcode = static_cast<uint8_t>(rcode::kNotImp);
  return r;
}

Message BuildFormerr(const Header& query_header, const ResponseOptions& options) {
  Message r;
  r.header.id = query_header.id;
  r.header.qr = true;
  r.header.opcode = query_header.opcode;
  r.header.rd = query_header.rd;
  r.header.ra = options.recursion_available;
  r.header.rcode = static_cast<uint8_t>(rcode::kFormErr);
  return r;
}

Message BuildTruncated(const Message& query, const ResponseOptions& options) {
  Message r = ResponseTo(query, options);
  r.header.tc = true;
  return r;
}

Message BuildAddressAnswer(const Message& query, uint32_t ttl,
                           const std::vector<std::array<uint8_t, 4>>& v4,
                           const std::vector<std::array<uint8_t, 16>>& v6,
                           const ResourceRecord& soa, const ResponseOptions& options) {
  Message r = ResponseTo(query, options);
  r.header.aa = true;
  if (query.questions.size() != 1 || query.questions[0].klass != rr_class::kIn) {
    r.authorities.push_back(soa);
    return r;
  }
  const Question& q = query.questions[0];
  if (q.type == rr_type::kA && !v4.empty()) {
    for (const auto& a : v4) {
      r.answers.push_back(MakeA(q.name, ttl, a));
    }
  } else if (q.type == rr_type::kAaaa && !v6.empty()) {
    for (const auto& a : v6) {
      r.answers.push_back(MakeAaaa(q.name, ttl, a));
    }
  } else {
    r.authorities.push_back(soa);
  }
  return r;
}

}  // namespace vigie::dns
