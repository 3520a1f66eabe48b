// Quoting and percent-encoding.
#include "core/text.h"

#include <cstdio>

namespace vigie {

namespace {

int HexValue(char h) {
  if (h >= '0' && h <= '9') {
    return h - '0';
  }
  if (h >= 'a' && h <= 'f') {
    return h - 'a' + 10;
  }
  if (h >= 'A' && h <= 'F') {
    return h - 'A' + 10;
  }
  return -1;
}

// The length of the valid UTF-8 sequence at p (lead byte c >= 0x80), or 0:
// no overlongs, no surrogates, nothing past U+10FFFF.
size_t Utf8Length(const unsigned char* p, const unsigned char* end) {
  unsigned char c = *p;
  size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
  if (n == 0 || c > 0xf4 || static_cast<size_t>(end - p) < n) {
    return 0;
  }
  for (size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xc0) != 0x80) {
      return 0;
    }
  }
  if (n == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0))) {
    return 0;
  }
  if (n == 4 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))) {
    return 0;
  }
  return n;
}

}  // namespace

void AppendQuoted(std::string_view s, std::string& out, QuoteStyle style) {
  static constexpr char kHex[] = "0123456789abcdef";
  const bool json = style == QuoteStyle::kJson || style == QuoteStyle::kJsonOctets;
  out.push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      // Copy the run of plain bytes at once (hot: every event rendered).
      const auto* run = p;
      while (p < end && *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') {
        ++p;
      }
      out.append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
      continue;
    }
    ++p;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      continue;
    }
    if (style == QuoteStyle::kJsonOctets) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
      continue;
    }
    switch (c) {
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\b':
      case '\f':
        if (style != QuoteStyle::kYaml) {
          out += c == '\b' ? "\\b" : "\\f";
          continue;
        }
        break;
      default:
        break;
    }
    if (c < 0x20 || (c == 0x7f && style == QuoteStyle::kYaml)) {
      if (style == QuoteStyle::kEdn) {
        out += static_cast<char>(c);
      } else {
        out += json ? "\\u00" : "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
      continue;
    }
    if (c < 0x80 || !json) {  // DEL outside YAML; UTF-8 as is in YAML and EDN
      out += static_cast<char>(c);
      continue;
    }
    if (size_t n = Utf8Length(p - 1, end); n != 0) {
      out.append(reinterpret_cast<const char*>(p - 1), n);
      p += n - 1;
    } else {
      out += "\xef\xbf\xbd";
    }
  }
  out.push_back('"');
}

std::string YamlQuote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  AppendQuoted(text, out, QuoteStyle::kYaml);
  return out;
}

void AppendJsonString(std::string_view s, std::string& out, JsonBytes bytes) {
  AppendQuoted(s, out, bytes == JsonBytes::kOctets ? QuoteStyle::kJsonOctets : QuoteStyle::kJson);
}

std::string JsonString(std::string_view s, JsonBytes bytes) {
  std::string out;
  out.reserve(s.size() + 2);
  AppendJsonString(s, out, bytes);
  return out;
}

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
      continue;
    }
    if (c == '%' && i + 2 < s.size()) {
      int hi = HexValue(s[i + 1]);
      int lo = HexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += c;
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view piece = query.substr(0, amp);
    if (!piece.empty()) {
      size_t eq = piece.find('=');
      out.emplace_back(PercentDecode(piece.substr(0, eq)),
                       eq == std::string_view::npos ? "" : PercentDecode(piece.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) {
      break;
    }
    query.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace vigie
