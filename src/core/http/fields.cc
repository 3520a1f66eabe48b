// Field lookup and the list rule.
#include "core/http/fields.h"

#include <algorithm>

namespace vigie::http {
namespace {

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

std::optional<std::string_view> FindField(std::span<const HeaderField> fields,
                                          std::string_view name) {
  for (const HeaderField& field : fields) {
    if (EqualsIgnoreCase(field.name, name)) {
      return field.value;
    }
  }
  return std::nullopt;
}

size_t CountFields(std::span<const HeaderField> fields, std::string_view name) {
  return static_cast<size_t>(std::count_if(fields.begin(), fields.end(), [&](const HeaderField& f) {
    return EqualsIgnoreCase(f.name, name);
  }));
}

std::string CombineFields(std::span<const HeaderField> fields, std::string_view name) {
  std::string out;
  for (const HeaderField& field : fields) {
    if (EqualsIgnoreCase(field.name, name)) {
      if (!out.empty()) {
        out += ", ";
      }
      out += field.value;
    }
  }
  return out;
}

std::vector<std::string_view> SplitList(std::string_view value) {
  std::vector<std::string_view> items;
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    size_t begin = item.find_first_not_of(" \t");
    if (begin != std::string_view::npos) {
      size_t end = item.find_last_not_of(" \t");
      items.push_back(item.substr(begin, end - begin + 1));
    }
    if (comma == std::string_view::npos) {
      break;
    }
    value.remove_prefix(comma + 1);
  }
  return items;
}

bool ListHas(std::string_view value, std::string_view token) {
  std::vector<std::string_view> items = SplitList(value);
  return std::any_of(items.begin(), items.end(),
                     [&](std::string_view item) { return EqualsIgnoreCase(item, token); });
}

}  // namespace vigie::http
