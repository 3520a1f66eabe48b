// HTTP header fields (RFC 9110 §5): the field type both head parsers fill,
// case-insensitive name lookup and the comma-separated list rule.
//
// Thread rules: pure functions over values.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vigie::http {

struct HeaderField {
  std::string name;   // as received (token characters)
  std::string value;  // surrounding blanks removed
};

// Case-insensitive ASCII comparison, used for field names and tokens.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// The value of the first field named `name` (case-insensitive).
std::optional<std::string_view> FindField(std::span<const HeaderField> fields,
                                          std::string_view name);
// How many fields are named `name`.
size_t CountFields(std::span<const HeaderField> fields, std::string_view name);
// All values of `name` joined with ", " (the list-combination rule).
std::string CombineFields(std::span<const HeaderField> fields, std::string_view name);

// The items of a comma-separated list value, blanks trimmed, empty items
// dropped ("a, ,b" -> {"a", "b"}). The views point into `value`.
std::vector<std::string_view> SplitList(std::string_view value);
// Whether the list `value` holds `token` (case-insensitive).
bool ListHas(std::string_view value, std::string_view token);

}  // namespace vigie::http
