// The dns error category.
#include <string>

#include "core/dns/types.h"

namespace vigie::dns {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "dns"; }
  std::string message(int c) const override {
    switch (static_cast<Errc>(c)) {
      case Errc::kOk:
        return "ok";
      case Errc::kTruncated:
        return "message truncated";
      case Errc::kBadLabel:
        return "bad label";
      case Errc::kNameTooLong:
        return "name too long";
      case Errc::kBadPointer:
        return "bad compression pointer";
      case Errc::kTooManyHops:
        return "too many compression pointers";
      case Errc::kTooManyRecords:
        return "too many records";
      case Errc::kMessageTooLarge:
        return "message too large";
      case Errc::kBadRdata:
        return "bad rdata";
      case Errc::kBadEdns:
        return "bad EDNS";
      case Errc::kNotAQuery:
        return "not a query";
      case Errc::kTrailingData:
        return "trailing data after message";
      case Errc::kBadName:
        return "bad domain name";
      case Errc::kBadLine:
        return "bad list line";
    }
    return "unknown dns error";
  }
};

}  // namespace

const std::error_category& DnsCategory() {
  static const Category category;
  return category;
}

std::error_code make_error_code(Errc e) {
  return {static_cast<int>(e), DnsCategory()};
}

}  // namespace vigie::dns
