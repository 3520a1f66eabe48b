// Fuzz target: the forward proxy's request path on untrusted bytes. Feeds
// the input to core's RequestHeadParser in two pieces (split point from the
// first byte) and checks it agrees with a one-shot parse; then runs target
// parsing, body framing, the origin rewrite and the destination ACL. The
// same bytes also go through the EGRESS_* parsers. Under g++ the corpus is
// replayed by ctest.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/check.h"
#include "core/http/framing.h"
#include "core/http/http_error.h"
#include "core/http/request_head.h"
#include "egress/acl/acl.h"
#include "egress/acl/check_target.h"
#include "egress/http/access_log.h"
#include "egress/http/forward.h"
#include "egress/http/proxy_target.h"
#include "egress/http/response.h"
#include "egress/spec/spec.h"

namespace {

using vigie::IpAddress;
using vigie::egress::DestinationAcl;

const DestinationAcl& SeedAcl() {
  static const DestinationAcl acl(
      *vigie::egress::ParseHttpProxyDestination("!perdu.com\n!*.perdu.com\n!10.42.253.0/24\n"
                                                "*.example.com\nfe80::/10\n*\n"));
  return acl;
}

void RunRequestPath(std::string_view data, size_t split) {
  vigie::http::HeadLimits limits;
  limits.max_head_bytes = 4096;
  limits.max_request_line_bytes = 1024;
  limits.max_field_line_bytes = 1024;
  limits.max_fields = 32;

  vigie::http::RequestHeadParser whole(limits);
  auto whole_result = whole.Feed(data);

  vigie::http::RequestHeadParser pieces(limits);
  auto first = pieces.Feed(data.substr(0, split));
  size_t consumed = first ? *first : 0;
  bool failed = !first;
  if (!failed && !pieces.done()) {
    auto second = pieces.Feed(data.substr(split));
    failed = !second;
    consumed += second ? *second : 0;
  }
  // Splitting must not change the outcome.
  VIGIE_CHECK(failed == !whole_result, "split parse disagrees with one-shot parse");
  if (failed) {
    VIGIE_CHECK(vigie::http::StatusForError(whole_result.error()) >= 400, "error without a status");
    return;
  }
  VIGIE_CHECK(pieces.done() == whole.done(), "split parse completion differs");
  if (!whole.done())
    return;
  VIGIE_CHECK(consumed == *whole_result, "split parse consumed a different length");
  VIGIE_CHECK(consumed <= limits.max_head_bytes, "head limit not enforced");

  const auto& head = whole.head();
  auto target = vigie::egress::http::ParseProxyTarget(head.method, head.target);
  if (!target)
    return;
  std::vector<IpAddress> addresses = {IpAddress::V4({10, 42, 253, 7}), IpAddress::V4({1, 2, 3, 4})};
  auto decision = SeedAcl().Decide(target->host, std::span(addresses).first(data.size() % 3));
  auto by_name = SeedAcl().DecideByName(target->host);
  if (by_name) {
    VIGIE_CHECK(by_name->action == SeedAcl().Decide(target->host, {}).action,
                "DecideByName disagrees with Decide");
  }
  std::string page = vigie::egress::http::BuildDenialResponse(
      {target->LogUrl(), decision.RuleDescription(), true, "vigie"});
  VIGIE_CHECK(page.find("\r\n\r\n") != std::string::npos, "denial without a head end");

  auto framing = vigie::http::DetermineRequestBodyFraming(head);
  if (!framing || target->kind == vigie::egress::http::ProxyTarget::Kind::kConnect)
    return;
  auto out = vigie::egress::http::BuildOriginRequest(head, *target, *framing, {}, "10.0.0.1");
  VIGIE_CHECK(out.has_value(), "rewrite failed for a forward target");
  // The rewritten head must itself parse, with the same framing.
  vigie::http::RequestHeadParser reparse;
  auto again = reparse.Feed(*out);
  VIGIE_CHECK(again && reparse.done() && *again == out->size(), "rewritten head does not parse");
  auto framing_again = vigie::http::DetermineRequestBodyFraming(reparse.head());
  VIGIE_CHECK(framing_again && framing_again->kind == framing->kind &&
                  framing_again->length == framing->length,
              "rewrite changed the body framing");

  vigie::egress::http::AccessLogEntry entry;
  entry.method = head.method;
  std::string url = target->LogUrl();
  entry.url = url;
  std::string line = vigie::egress::http::FormatSquidAccessLog(entry);
  VIGIE_CHECK(line.find('\n') == std::string::npos, "log line split");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t split = size == 0 ? 0 : static_cast<size_t>(data[0]) % (size + 1);
  RunRequestPath(input, split);
  (void)vigie::egress::ParseEgressDestination(input);
  (void)vigie::egress::ParseDnsProxyDestination(input);
  auto spec = vigie::egress::ParseHttpProxyDestination(input);
  if (spec) {
    DestinationAcl acl(*spec);
    (void)acl.Decide("www.example.com", {});
  }
  (void)vigie::egress::ParseCheckTarget(input.substr(0, 300));
  return 0;
}
