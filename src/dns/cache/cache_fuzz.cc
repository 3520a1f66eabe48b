// Fuzz target: what an upstream answers, through the cache. Any bytes that
// decode as a response go through CacheableSubset, Insert and Lookup (the
// TTL offsets rewritten on the way out); the hit must decode, keep the
// question, carry only records of the question's chain, and no TTL above
// the configured caps; after its TTL (and the stale window) it is gone.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/check.h"
#include "core/dns/message.h"
#include "dns/cache/cache.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigie::dns;  // NOLINT(google-build-using-namespace)
  auto response = DecodeMessage(std::as_bytes(std::span(data, size)));
  if (!response) {
    return 0;
  }
  auto subset = CacheableSubset(*response);
  if (!subset) {
    return 0;
  }
  VIGIE_CHECK(subset->message.questions.size() == 1, "a cacheable answer without one question");
  CacheConfig config;
  config.max_ttl = 3600;
  config.max_negative_ttl = 900;
  config.stale_window = 60;
  Cache cache(config);
  const CacheTime t0 = CacheTime{} + std::chrono::hours(1);
  if (!cache.Insert(*subset, t0)) {
    return 0;  // a zero TTL is not stored
  }
  const Question& q = subset->message.questions[0];
  const std::string key = CacheKey(q.name, q.type, q.klass);
  auto hit = cache.Lookup(key, t0);
  VIGIE_CHECK(hit.has_value(), "an inserted answer is not found at once");
  auto back = DecodeMessage(hit->wire);
  VIGIE_CHECK(back.has_value(), "a cache hit does not decode");
  VIGIE_CHECK(back->questions.size() == 1 && back->questions[0] == q, "the question changed");
  const uint32_t cap =
      subset->kind == CacheKind::kNegative ? config.max_negative_ttl : config.max_ttl;
  for (auto s : {Section::kAnswer, Section::kAuthority, Section::kAdditional}) {
    for (const ResourceRecord& rr : back->SectionRecords(s)) {
      VIGIE_CHECK(rr.ttl <= cap, "a TTL above the cap");
    }
  }
  VIGIE_CHECK(back->additionals.empty(), "the additional section was cached");
  // Past every TTL and the stale window, nothing is served.
  VIGIE_CHECK(!cache.Lookup(key, t0 + std::chrono::seconds(cap + config.stale_window + 2), true),
              "an expired answer is still served");
  return 0;
}
