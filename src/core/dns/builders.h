// Builders for the responses the forwarder synthesizes: NXDOMAIN and NODATA
// with a SOA in the authority section (RFC 2308 §3, so downstream caches can
// cache the negative answer), REFUSED, FORMERR, NOTIMP, A/AAAA answers (null
// 0.0.0.0 / :: or custom addresses) and an empty TC=1 reply.
//
// Every builder returns a Message; encode it with Encode(msg, out,
// MaxUdpResponseSize(query)) which truncates with TC=1 when it must.
// Thread rules: pure functions.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/dns/message.h"

namespace vigie::dns {

struct ResponseOptions {
  // UDP payload size advertised in our OPT record.
  uint16_t udp_size = kDefaultEdnsUdpSize;
  // Added as an EDNS option when the query carried EDNS (RFC 8914 §3: only
  // to clients that signalled EDNS).
  std::optional<ExtendedError> extended_error;
  bool recursion_available = true;
};

// The common skeleton: the query's ID, opcode, RD and CD bits and question;
// QR set; RA per options; rcode NOERROR; EDNS echoed when the query had it
// (version 0, our UDP size, DO copied, no options but the EDE above).
Message ResponseTo(const Message& query, const ResponseOptions& options = {});

// A SOA record for synthesized negative answers, owned by `zone` (the
// blocked name or the rule's domain). Its TTL and MINIMUM are both `ttl`, so
// the negative-cache time (min of the two, RFC 2308 §5) is `ttl`.
ResourceRecord SyntheticSoa(const Name& zone, uint32_t ttl);

// rcode NXDOMAIN, AA set, `soa` in the authority section.
Message BuildNxdomain(const Message& query, const ResourceRecord& soa,
                      const ResponseOptions& options = {});
// rcode NOERROR, no answer, AA set, `soa` in the authority section.
Message BuildNodata(const Message& query, const ResourceRecord& soa,
                    const ResponseOptions& options = {});
// rcode REFUSED, no records.
Message BuildRefused(const Message& query, const ResponseOptions& options = {});
// rcode NOTIMP (unsupported opcode), no records.
Message BuildNotImp(const Message& query, const ResponseOptions& options = {});
// rcode FORMERR for a query that did not decode: only its header is known,
// so the reply echoes the ID, opcode and RD bit and carries no question.
Message BuildFormerr(const Header& query_header, const ResponseOptions& options = {});
// An empty reply with TC=1: the client must retry over TCP.
Message BuildTruncated(const Message& query, const ResponseOptions& options = {});

// The answer for a name answered with addresses (block "null" mode with
// {0.0.0.0} / {::}, or custom addresses): A queries get the v4 addresses, AAAA
// queries the v6 ones; a query of any other type, or of a family with no
// address, gets NODATA with `soa`, so no type leaks upstream. AA is set.
Message BuildAddressAnswer(const Message& query, uint32_t ttl,
                           const std::vector<std::array<uint8_t, 4>>& v4,
                           const std::vector<std::array<uint8_t, 16>>& v6,
                           const ResourceRecord& soa, const ResponseOptions& options = {});

}  // namespace vigie::dns
