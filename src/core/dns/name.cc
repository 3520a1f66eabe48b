// Name parsing, printing, comparison and the bounded compressed-name reader.
#include "core/dns/name.h"

#include <array>
#include <cstring>

namespace vigie::dns {
namespace {

Error At(Errc code, size_t offset, std::string_view what) {
  return Error(code, "offset " + std::to_string(offset) + ": " + std::string(what));
}

const uint8_t* Bytes(std::span<const std::byte> s) {
  return reinterpret_cast<const uint8_t*>(s.data());
}

}  // namespace

Result<Name> Name::FromText(std::string_view text) {
  if (text.empty()) {
    return Error(Errc::kBadName, "empty name");
  }
  if (text == ".") {
    return Name();
  }
  auto fail = [&](Errc code, std::string_view why) {
    return Error(code, std::string(why) + " in \"" + std::string(text.substr(0, 300)) + "\"");
  };
  std::string wire;
  wire.reserve(text.size() + 2);
  size_t label_start = 0;
  wire.push_back('\0');
  bool closed = false;  // the last label was closed by an unescaped dot
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (c == '.') {
      size_t len = wire.size() - label_start - 1;
      if (len == 0) {
        return fail(Errc::kBadName, "empty label");
      }
      if (len > kMaxLabelLength) {
        return fail(Errc::kBadLabel, "label longer than 63 octets");
      }
      wire[label_start] = static_cast<char>(len);
      ++i;
      closed = true;
      if (i < text.size()) {
        label_start = wire.size();
        wire.push_back('\0');
        closed = false;
      }
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= text.size()) {
        return fail(Errc::kBadName, "dangling escape");
      }
      char n = text[i + 1];
      if (n >= '0' && n <= '9') {
        if (i + 4 > text.size()) {
          return fail(Errc::kBadName, "short \\DDD escape");
        }
        int v = 0;
        for (size_t k = 1; k <= 3; ++k) {
          char d = text[i + k];
          if (d < '0' || d > '9') {
            return fail(Errc::kBadName, "bad \\DDD escape");
          }
          v = v * 10 + (d - '0');
        }
        if (v > 255) {
          return fail(Errc::kBadName, "\\DDD escape over 255");
        }
        wire.push_back(static_cast<char>(v));
        i += 4;
      } else {
        wire.push_back(n);
        i += 2;
      }
    } else {
      wire.push_back(c);
      ++i;
    }
    if (wire.size() > kMaxNameLength) {
      return fail(Errc::kNameTooLong, "name longer than 255 octets");
    }
  }
  if (!closed) {
    size_t len = wire.size() - label_start - 1;
    if (len > kMaxLabelLength) {
      return fail(Errc::kBadLabel, "label longer than 63 octets");
    }
    wire[label_start] = static_cast<char>(len);
  }
  wire.push_back('\0');
  if (wire.size() > kMaxNameLength) {
    return fail(Errc::kNameTooLong, "name longer than 255 octets");
  }
  return Name(std::move(wire));
}

Result<Name> Name::FromWire(std::span<const std::byte> wire) {
  Name n;
  Limits limits;
  limits.max_pointer_hops = 0;
  // A standalone name has no header; ReadName's header rule is about pointers,
  // which a standalone name may not contain at all.
  VIGIE_ASSIGN_OR_RETURN(size_t end, ReadName(wire, 0, limits, &n));
  if (end != wire.size()) {
    return At(Errc::kTrailingData, end, "octets after the name");
  }
  return n;
}

int Name::LabelCount() const {
  int count = 0;
  for (size_t i = 0; static_cast<uint8_t>(wire_[i]) != 0; i += 1 + static_cast<uint8_t>(wire_[i])) {
    ++count;
  }
  return count;
}

std::string_view Name::Label(int index) const {
  size_t i = 0;
  for (int k = 0; k < index && static_cast<uint8_t>(wire_[i]) != 0; ++k) {
    i += 1 + static_cast<uint8_t>(wire_[i]);
  }
  return std::string_view(wire_).substr(i + 1, static_cast<uint8_t>(wire_[i]));
}

namespace {

// How an octet is written in presentation form: 0 as is, 1 after a
// backslash, 2 as \DDD.
constexpr std::array<uint8_t, 256> kEscapeClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    if (c <= 0x20 || c >= 0x7f) {
      t[c] = 2;
    } else if (c == '.' || c == '\\' || c == '"' || c == ';' || c == '(' || c == ')' || c == '$' ||
               c == '@') {
      t[c] = 1;
    }
  }
  return t;
}();

// Appends the presentation form of the labels in `wire` (with a dot after
// each), lowercased when `lower`. Written into a stack buffer first (at most
// 4 characters per octet of a 255-octet name) and appended once.
void AppendText(std::string_view wire, bool lower, std::string* out) {
  char buf[4 * kMaxNameLength + 4];
  size_t n = 0;
  for (size_t i = 0; static_cast<uint8_t>(wire[i]) != 0;) {
    const size_t len = static_cast<uint8_t>(wire[i]);
    for (size_t k = 1; k <= len; ++k) {
      auto c = static_cast<uint8_t>(wire[i + k]);
      if (lower) {
        c = AsciiLower(c);
      }
      switch (kEscapeClass[c]) {
        case 0:
          buf[n++] = static_cast<char>(c);
          break;
        case 1:
          buf[n++] = '\\';
          buf[n++] = static_cast<char>(c);
          break;
        default:
          buf[n++] = '\\';
          buf[n++] = static_cast<char>('0' + c / 100);
          buf[n++] = static_cast<char>('0' + (c / 10) % 10);
          buf[n++] = static_cast<char>('0' + c % 10);
          break;
      }
    }
    buf[n++] = '.';
    i += 1 + len;
  }
  out->append(buf, n);
}

}  // namespace

std::string Name::ToText() const {
  if (IsRoot()) {
    return ".";
  }
  std::string out;
  out.reserve(wire_.size() + 4);
  AppendText(wire_, false, &out);
  return out;
}

std::string Name::ToKey() const {
  std::string text;
  text.reserve(wire_.size() + 4);
  AppendKey(&text);
  return text;
}

void Name::AppendKey(std::string* out) const {
  const size_t start = out->size();
  AppendText(wire_, true, out);
  if (out->size() > start) {
    out->pop_back();  // the trailing dot
  }
}

Name Name::Lowercased() const {
  std::string w = wire_;
  for (size_t i = 0; static_cast<uint8_t>(w[i]) != 0;) {
    size_t len = static_cast<uint8_t>(w[i]);
    for (size_t k = 1; k <= len; ++k) {
      w[i + k] = static_cast<char>(AsciiLower(static_cast<uint8_t>(w[i + k])));
    }
    i += 1 + len;
  }
  return Name(std::move(w));
}

Name Name::Parent() const {
  if (IsRoot()) {
    return Name();
  }
  return Name(wire_.substr(1 + static_cast<uint8_t>(wire_[0])));
}

bool Name::IsSubdomainOf(const Name& zone) const {
  if (zone.wire_.size() > wire_.size()) {
    return false;
  }
  // Walk label boundaries so "xample.com" never matches inside "example.com".
  size_t i = 0;
  while (wire_.size() - i > zone.wire_.size()) {
    i += 1 + static_cast<uint8_t>(wire_[i]);
  }
  if (wire_.size() - i != zone.wire_.size()) {
    return false;
  }
  for (size_t k = 0; k < zone.wire_.size(); ++k) {
    if (AsciiLower(static_cast<uint8_t>(wire_[i + k])) !=
        AsciiLower(static_cast<uint8_t>(zone.wire_[k]))) {
      return false;
    }
  }
  return true;
}

bool operator==(const Name& a, const Name& b) {
  if (a.wire_.size() != b.wire_.size()) {
    return false;
  }
  for (size_t k = 0; k < a.wire_.size(); ++k) {
    if (AsciiLower(static_cast<uint8_t>(a.wire_[k])) !=
        AsciiLower(static_cast<uint8_t>(b.wire_[k]))) {
      return false;
    }
  }
  return true;
}

size_t NameHash::operator()(const Name& n) const {
  // FNV-1a over the lowercased wire form.
  uint64_t h = 1469598103934665603ULL;
  for (char c : n.wire()) {
    h ^= AsciiLower(static_cast<uint8_t>(c));
    h *= 1099511628211ULL;
  }
  return static_cast<size_t>(h);
}

Result<size_t> ReadName(std::span<const std::byte> message, size_t offset, const Limits& limits,
                        Name* out) {
  const uint8_t* p = Bytes(message);
  const size_t size = message.size();
  std::string wire;
  wire.reserve(32);
  size_t pos = offset;
  size_t run_start = offset;  // start of the label run being read; pointers must go before it
  size_t end = 0;             // offset past the name in the original stream, once known
  int hops = 0;
  for (;;) {
    if (pos >= size) {
      return At(Errc::kTruncated, pos, "name runs past the end of the message");
    }
    uint8_t len = p[pos];
    if ((len & 0xC0) == 0xC0) {
      if (pos + 1 >= size) {
        return At(Errc::kTruncated, pos, "compression pointer cut short");
      }
      size_t target = (static_cast<size_t>(len & 0x3F) << 8) | p[pos + 1];
      if (hops >= limits.max_pointer_hops) {
        return At(Errc::kTooManyHops, pos,
                  "more than " + std::to_string(limits.max_pointer_hops) + " compression pointers");
      }
      if (target < kHeaderSize) {
        return At(Errc::kBadPointer, pos, "compression pointer into the header");
      }
      if (target >= run_start) {
        return At(Errc::kBadPointer, pos,
                  "compression pointer to " + std::to_string(target) + " does not point backwards");
      }
      if (end == 0) {
        end = pos + 2;
      }
      ++hops;
      pos = target;
      run_start = target;
      continue;
    }
    if ((len & 0xC0) != 0) {
      return At(Errc::kBadLabel, pos, "reserved label type");
    }
    if (len == 0) {
      wire.push_back('\0');
      if (end == 0) {
        end = pos + 1;
      }
      break;
    }
    if (pos + 1 + len > size) {
      return At(Errc::kTruncated, pos, "label runs past the end of the message");
    }
    if (wire.size() + 1 + len + 1 > kMaxNameLength) {
      return At(Errc::kNameTooLong, pos, "name longer than 255 octets");
    }
    wire.append(reinterpret_cast<const char*>(p + pos), 1 + len);
    pos += 1 + len;
  }
  out->wire_ = std::move(wire);
  return end;
}

}  // namespace vigie::dns
