// Fuzz target: the string codecs every component uses on outside input
// (query strings of admin and events URLs, names written back as JSON and
// YAML). Each contract in core/text.h is checked, not only "no crash":
// PercentDecode undoes PercentEncode; ParseQueryString gives at most one
// pair per '&'-separated piece; JsonString is one valid JSON string that
// reads back as the input (valid UTF-8 and octets alike, for what each
// mode promises); YamlQuote loads back as exactly the input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "core/check.h"
#include "core/text.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  VIGIE_CHECK(vigie::PercentDecode(vigie::PercentEncode(in), false) == in,
              "PercentDecode does not undo PercentEncode");
  const size_t pieces = static_cast<size_t>(std::count(in.begin(), in.end(), '&')) + 1;
  VIGIE_CHECK(vigie::ParseQueryString(in).size() <= pieces, "more pairs than pieces");

  std::string octets = vigie::JsonString(in, vigie::JsonBytes::kOctets);
  nlohmann::json parsed = nlohmann::json::parse(octets, nullptr, /*allow_exceptions=*/false);
  VIGIE_CHECK(parsed.is_string(), "JsonString (octets) is not one JSON string");
  bool ascii = std::all_of(in.begin(), in.end(),
                           [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) {
    VIGIE_CHECK(parsed.get<std::string>() == in, "JsonString (octets) changed ASCII text");
  }
  std::string utf8 = vigie::JsonString(in);
  parsed = nlohmann::json::parse(utf8, nullptr, /*allow_exceptions=*/false);
  VIGIE_CHECK(parsed.is_string(), "JsonString (UTF-8) is not one JSON string");
  if (ascii) {
    VIGIE_CHECK(parsed.get<std::string>() == in, "JsonString (UTF-8) changed ASCII text");
  }

  std::string yaml = vigie::YamlQuote(in);
  try {
    YAML::Node node = YAML::Load(yaml);
    VIGIE_CHECK(node.IsScalar() && node.as<std::string>() == in,
                "YamlQuote does not load back as the input");
  } catch (const YAML::Exception&) {
    VIGIE_CHECK(false, "YamlQuote is not valid YAML");
  }
  return 0;
}
