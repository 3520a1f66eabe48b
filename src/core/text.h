// Text for the files, lines and URLs vigie reads and writes: quoting that a
// reader gives back exactly (YAML, JSON), and percent-encoding (URL query
// strings). The one place each of these is done. Pure.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigie {

// `text` as a YAML double-quoted scalar that loads back as exactly `text`:
// `"` and `\` escaped, \n \t \r by name, other C0 controls and DEL as \xNN
// (YAML's non-printable set), everything else (UTF-8 included) as is.
std::string YamlQuote(std::string_view text);

// How AppendJsonString treats bytes outside printable ASCII.
enum class JsonBytes {
  // Text: valid UTF-8 is copied, each byte of an invalid sequence becomes
  // U+FFFD; controls are escaped (\n \r \t \b \f by name, others \u00XX).
  kUtf8,
  // Octets (DNS names, which are not UTF-8): every byte below 0x20 or from
  // 0x7f up becomes \u00XX, so any input is one valid JSON line.
  kOctets,
};

// Appends `s` to `out` as a JSON string literal, quotes included.
void AppendJsonString(std::string_view s, std::string& out, JsonBytes bytes = JsonBytes::kUtf8);
std::string JsonString(std::string_view s, JsonBytes bytes = JsonBytes::kUtf8);

// Decodes a URL query component: "%41" is 'A', '+' a space when
// `plus_is_space` (form encoding); a malformed escape ("%zz", "%4") is kept
// as written.
std::string PercentDecode(std::string_view s, bool plus_is_space = true);
// Encodes everything but RFC 3986's unreserved characters
// (A-Z a-z 0-9 - . _ ~) as %XX.
std::string PercentEncode(std::string_view s);
// A query string ("a=1&b=x%20y&c") as decoded (key, value) pairs in order;
// a key without '=' has an empty value; empty pieces are skipped.
std::vector<std::pair<std::string, std::string>> ParseQueryString(std::string_view query);

}  // namespace vigie
