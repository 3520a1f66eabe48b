// Text for the files, lines and URLs vigie reads and writes: quoting that a
// reader gives back exactly (YAML, JSON), and percent-encoding (URL query
// strings). The one place each of these is done. Pure.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigie {

// The double-quoted string syntaxes vigie writes. All escape `"` and `\`
// and name \n \r \t; they differ in the rest:
enum class QuoteStyle {
  // YAML (what the config exporters write, loads back exactly): other C0
  // controls and DEL as \xNN; everything else, UTF-8 included, as is.
  kYaml,
  // EDN / Clojure (Riemann's query printer): \b \f named; other bytes as is.
  kEdn,
  // JSON text: \b \f named, other controls \u00XX; valid UTF-8 copied, each
  // byte of an invalid sequence U+FFFD.
  kJson,
  // JSON of octets (DNS names, which are not UTF-8): every byte below 0x20
  // or from 0x7f up as \u00XX, so any input is one valid JSON line.
  kJsonOctets,
};

// Appends `s` to `out` quoted in `style`, quotes included. The one string
// escaper in vigie.
void AppendQuoted(std::string_view s, std::string& out, QuoteStyle style);

// `text` as a YAML double-quoted scalar that loads back as exactly `text`.
std::string YamlQuote(std::string_view text);

// How AppendJsonString treats bytes outside printable ASCII.
enum class JsonBytes { kUtf8, kOctets };

// Appends `s` to `out` as a JSON string literal, quotes included
// (QuoteStyle::kJson or kJsonOctets).
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
