// Text for the files and lines vigie writes: quoting that a reader gives
// back exactly. Pure.
#pragma once

#include <string>
#include <string_view>

namespace vigie {

// `text` as a YAML double-quoted scalar that loads back as exactly `text`:
// `"` and `\` escaped, \n \t \r by name, other C0 controls and DEL as \xNN
// (YAML's non-printable set), everything else (UTF-8 included) as is.
std::string YamlQuote(std::string_view text);

}  // namespace vigie
