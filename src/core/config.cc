// The configuration reader. yaml-cpp is used only here: its exceptions are
// caught at this boundary and turned into diagnostics with their place.
#include "core/config.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "core/text.h"

namespace vigie::config {
namespace {

// Config files are small; anything larger is a mistake (or an attack on a
// reload endpoint) and is refused before parsing.
constexpr std::size_t kMaxConfigBytes = std::size_t{16} * 1024 * 1024;
constexpr int kMaxDepth = 64;

Mark ToMark(const YAML::Mark& m) {
  if (m.is_null()) {
    return {};
  }
  return {m.line + 1, m.column + 1};
}

Value Convert(const YAML::Node& node, Diagnostics& diag, const std::string& path, int depth) {
  Value v;
  v.mark = ToMark(node.Mark());
  if (depth > kMaxDepth) {
    diag.Add(v.mark, path, "nested deeper than " + std::to_string(kMaxDepth) + " levels");
    return v;
  }
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      v.kind = Value::Kind::kNull;
      break;
    case YAML::NodeType::Scalar:
      v.kind = Value::Kind::kScalar;
      v.scalar = node.Scalar();
      // yaml-cpp tags quoted scalars "!" and plain ones "?".
      v.quoted = node.Tag() == "!";
      break;
    case YAML::NodeType::Sequence: {
      v.kind = Value::Kind::kSequence;
      std::size_t i = 0;
      for (const auto& item : node) {
        v.items.push_back(Convert(item, diag, path + "[" + std::to_string(i) + "]", depth + 1));
        ++i;
      }
      break;
    }
    case YAML::NodeType::Map: {
      v.kind = Value::Kind::kMap;
      std::set<std::string> seen;
      for (const auto& kv : node) {
        Value key = Convert(kv.first, diag, path, depth + 1);
        std::string child = path.empty() ? key.scalar : path + "." + key.scalar;
        if (!key.is_scalar()) {
          diag.Add(key.mark, path, "map keys must be plain words");
          continue;
        }
        if (!seen.insert(key.scalar).second) {
          diag.Add(key.mark, child, "duplicate key \"" + key.scalar + "\"");
          continue;
        }
        Value val = Convert(kv.second, diag, child, depth + 1);
        v.entries.push_back(MapEntry{std::move(key), std::move(val)});
      }
      break;
    }
  }
  return v;
}

bool ParseInteger(const Field& f, int64_t& out, int64_t lo, int64_t hi, std::string_view what) {
  const std::string* s = f.Scalar(what);
  if (s == nullptr) {
    return false;
  }
  int64_t v = 0;
  const char* begin = s->data();
  const char* end = begin + s->size();
  auto [ptr, ec] = std::from_chars(begin, end, v);
  if (ec == std::errc::result_out_of_range) {
    return f.Fail("\"" + *s + "\" is out of range (" + std::to_string(lo) + ".." +
                  std::to_string(hi) + ")");
  }
  if (ec != std::errc() || ptr != end) {
    return f.Fail("not " + std::string(what) + ": \"" + *s + "\"");
  }
  if (v < lo || v > hi) {
    return f.Fail(std::to_string(v) + " is out of range (" + std::to_string(lo) + ".." +
                  std::to_string(hi) + ")");
  }
  out = v;
  return true;
}

}  // namespace

const Value* Value::Find(std::string_view key) const {
  for (const auto& [k, v] : entries) {
    if (k.scalar == key) {
      return &v;
    }
  }
  return nullptr;
}

std::string Diagnostic::ToString() const {
  std::string out = file;
  if (!origin.empty()) {
    return out + ": " + origin + (path.empty() ? "" : " (" + path + ")") + ": " + reason;
  }
  if (mark.line > 0) {
    out += ":" + std::to_string(mark.line) + ":" + std::to_string(mark.column);
  }
  out += ": ";
  if (!path.empty()) {
    out += path + ": ";
  }
  out += reason;
  return out;
}

void Diagnostics::Add(Mark mark, std::string path, std::string reason) {
  std::string origin;
  // The longest overlaid path that is `path` or contains it.
  for (const auto& [at, name] : origins_) {
    bool inside = path == at || (path.size() > at.size() && path.starts_with(at) &&
                                 (path[at.size()] == '.' || path[at.size()] == '['));
    if (inside) {
      origin = name;
    }
  }
  list_.push_back(Diagnostic{file_, mark, std::move(path), std::move(reason), std::move(origin)});
}

std::string Diagnostics::ToString() const {
  // In file order, whatever order the readers found them in.
  std::vector<const Diagnostic*> sorted;
  sorted.reserve(list_.size());
  for (const auto& d : list_) {
    sorted.push_back(&d);
  }
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic* a, const Diagnostic* b) {
    return std::pair(a->mark.line, a->mark.column) < std::pair(b->mark.line, b->mark.column);
  });
  std::string out;
  for (const Diagnostic* d : sorted) {
    out += d->ToString();
    out += '\n';
  }
  return out;
}

Value ParseYaml(std::string_view text, Diagnostics& diag) {
  try {
    YAML::Node root = YAML::Load(std::string(text));
    return Convert(root, diag, "", 0);
  } catch (const YAML::Exception& e) {
    diag.Add(ToMark(e.mark), "", e.msg);
  } catch (const std::exception& e) {
    diag.Add({}, "", std::string("cannot parse YAML: ") + e.what());
  }
  return Value{};
}

bool Field::Fail(std::string reason) const {
  diag_->Add(value_->mark, path_, std::move(reason));
  return false;
}

const std::string* Field::Scalar(std::string_view expected) const {
  if (value_->is_scalar()) {
    return &value_->scalar;
  }
  Fail("expected " + std::string(expected) + ", found " +
       (value_->is_map()        ? "a map"
        : value_->is_sequence() ? "a list"
                                : "nothing"));
  return nullptr;
}

MapReader Field::AsMap() const {
  if (value_->is_map()) {
    return MapReader(*this, true);
  }
  // An empty section ("dns:" with nothing under it) reads as all defaults.
  if (!value_->is_null()) {
    Fail(std::string("expected a map of settings, found ") +
         (value_->is_sequence() ? "a list" : "a single value"));
  }
  return MapReader(*this, false);
}

std::vector<Field> Field::Items(bool allow_scalar) const {
  std::vector<Field> out;
  if (value_->is_sequence()) {
    out.reserve(value_->items.size());
    for (std::size_t i = 0; i < value_->items.size(); ++i) {
      out.emplace_back(value_->items[i], path_ + "[" + std::to_string(i) + "]", *diag_);
    }
  } else if (allow_scalar && value_->is_scalar()) {
    out.emplace_back(*value_, path_, *diag_);
  } else if (!value_->is_null()) {
    Fail("expected a list");
  }
  return out;
}

std::vector<std::pair<std::string, Field>> Field::Entries() const {
  std::vector<std::pair<std::string, Field>> out;
  if (!value_->is_map()) {
    if (!value_->is_null()) {
      Fail("expected a map");
    }
    return out;
  }
  for (const auto& [k, v] : value_->entries) {
    out.emplace_back(k.scalar, Field(v, path_.empty() ? k.scalar : path_ + "." + k.scalar, *diag_));
  }
  return out;
}

MapReader::MapReader(const Field& field, bool is_map) : field_(field), is_map_(is_map) {}

MapReader::MapReader(MapReader&& other) noexcept
    : field_(other.field_),
      is_map_(other.is_map_),
      finished_(other.finished_),
      ok_(other.ok_),
      known_(std::move(other.known_)) {
  other.finished_ = true;
}

MapReader::~MapReader() {
  Finish();
}

std::optional<Field> MapReader::Get(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
    known_.emplace_back(key);
  }
  if (!is_map_) {
    return std::nullopt;
  }
  const Value* v = field_.value().Find(key);
  if (v == nullptr || v->is_null()) {
    return std::nullopt;
  }
  std::string path =
      field_.path().empty() ? std::string(key) : field_.path() + "." + std::string(key);
  return Field(*v, std::move(path), field_.diag());
}

bool MapReader::Has(std::string_view key) const {
  return is_map_ && field_.value().Find(key) != nullptr;
}

bool MapReader::MissingKey(std::string_view key) const {
  std::string path =
      field_.path().empty() ? std::string(key) : field_.path() + "." + std::string(key);
  field_.diag().Add(field_.mark(), path, "missing required setting");
  return false;
}

void MapReader::Finish() {
  if (finished_) {
    return;
  }
  finished_ = true;
  if (!is_map_) {
    return;
  }
  for (const auto& [k, v] : field_.value().entries) {
    if (std::find(known_.begin(), known_.end(), k.scalar) != known_.end()) {
      continue;
    }
    std::string path = field_.path().empty() ? k.scalar : field_.path() + "." + k.scalar;
    std::string reason = "unknown setting \"" + k.scalar + "\"";
    if (auto guess = ClosestMatch(k.scalar, known_)) {
      reason += " (did you mean \"" + *guess + "\"?)";
    }
    field_.diag().Add(k.mark, path, reason);
    ok_ = false;
  }
}

bool ParseValue(const Field& f, std::string& out) {
  const std::string* s = f.Scalar("a string");
  if (s == nullptr) {
    return false;
  }
  out = *s;
  return true;
}

bool ParseValue(const Field& f, bool& out) {
  const std::string* s = f.Scalar("true or false");
  if (s == nullptr) {
    return false;
  }
  // YAML 1.2 booleans only: "yes"/"no"/"on" are the Norway problem.
  if (*s == "true") {
    out = true;
    return true;
  }
  if (*s == "false") {
    out = false;
    return true;
  }
  return f.Fail("expected true or false, found \"" + *s + "\"");
}

bool ParseInRange(const Field& f, int64_t& out, int64_t lo, int64_t hi) {
  return ParseInteger(f, out, lo, hi, "an integer");
}

bool ParseValue(const Field& f, int64_t& out) {
  return ParseInteger(f, out, std::numeric_limits<int64_t>::min(),
                      std::numeric_limits<int64_t>::max(), "an integer");
}

bool ParseValue(const Field& f, int& out) {
  int64_t v = 0;
  if (!ParseInteger(f, v, std::numeric_limits<int>::min(), std::numeric_limits<int>::max(),
                    "an integer")) {
    return false;
  }
  out = static_cast<int>(v);
  return true;
}

bool ParseValue(const Field& f, uint16_t& out) {
  int64_t v = 0;
  if (!ParseInteger(f, v, 0, 65535, "an integer")) {
    return false;
  }
  out = static_cast<uint16_t>(v);
  return true;
}

bool ParseValue(const Field& f, uint32_t& out) {
  int64_t v = 0;
  if (!ParseInteger(f, v, 0, std::numeric_limits<uint32_t>::max(), "a non-negative integer")) {
    return false;
  }
  out = static_cast<uint32_t>(v);
  return true;
}

bool ParseValue(const Field& f, uint64_t& out) {
  int64_t v = 0;
  if (!ParseInteger(f, v, 0, std::numeric_limits<int64_t>::max(), "a non-negative integer")) {
    return false;
  }
  out = static_cast<uint64_t>(v);
  return true;
}

bool ParseValue(const Field& f, double& out) {
  const std::string* s = f.Scalar("a number");
  if (s == nullptr) {
    return false;
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || ptr != s->data() + s->size() || !std::isfinite(v)) {
    return f.Fail("not a number: \"" + *s + "\"");
  }
  out = v;
  return true;
}

bool ParseValue(const Field& f, Duration& out, BareUnit bare) {
  const std::string* s = f.Scalar("a duration such as 10s");
  if (s == nullptr) {
    return false;
  }
  auto d = ParseDuration(*s, bare);
  if (!d) {
    return f.Fail(d.error().ToString());
  }
  out = *d;
  return true;
}

bool ParseValue(const Field& f, ByteSize& out) {
  const std::string* s = f.Scalar("a size such as 512MiB");
  if (s == nullptr) {
    return false;
  }
  auto b = ParseByteSize(*s);
  if (!b) {
    return f.Fail(b.error().ToString());
  }
  out = *b;
  return true;
}

bool ParseValue(const Field& f, IpAddress& out) {
  const std::string* s = f.Scalar("an IP address");
  if (s == nullptr) {
    return false;
  }
  auto ip = IpAddress::Parse(*s);
  if (!ip) {
    return f.Fail(ip.error().ToString());
  }
  out = *ip;
  return true;
}

bool ParseValue(const Field& f, Cidr& out) {
  const std::string* s = f.Scalar("a CIDR such as 10.0.0.0/8");
  if (s == nullptr) {
    return false;
  }
  auto c = Cidr::Parse(*s);
  if (!c) {
    return f.Fail(c.error().ToString());
  }
  out = *c;
  return true;
}

bool ParseValue(const Field& f, Address& out, const AddressOptions& options) {
  const std::string* s = f.Scalar("an address such as 127.0.0.1:53");
  if (s == nullptr) {
    return false;
  }
  auto a = ParseAddress(*s, options);
  if (!a) {
    return f.Fail(a.error().ToString());
  }
  out = *a;
  return true;
}

std::optional<Document> LoadText(std::string name, std::string text, Diagnostics& diag) {
  if (text.size() > kMaxConfigBytes) {
    diag.Add({}, "", "file is larger than " + std::to_string(kMaxConfigBytes) + " bytes");
    return std::nullopt;
  }
  std::size_t before = diag.size();
  Document doc;
  doc.root = ParseYaml(text, diag);
  if (diag.size() != before) {
    return std::nullopt;
  }
  doc.path = std::move(name);
  doc.text = std::move(text);
  return doc;
}

std::optional<Document> LoadFile(const std::string& path, Diagnostics& diag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diag.Add({}, "", std::string("cannot open: ") + std::strerror(errno));
    return std::nullopt;
  }
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxConfigBytes) {
      diag.Add({}, "", "file is larger than " + std::to_string(kMaxConfigBytes) + " bytes");
      return std::nullopt;
    }
  }
  return LoadText(path, std::move(text), diag);
}

void Overlay::Set(std::string path, std::string value, std::string origin) {
  entries_.push_back(
      Entry{std::move(path), Entry::Kind::kScalar, {std::move(value)}, std::move(origin)});
}

void Overlay::SetList(std::string path, std::vector<std::string> values, std::string origin) {
  entries_.push_back(
      Entry{std::move(path), Entry::Kind::kSequence, std::move(values), std::move(origin)});
}

void Overlay::SetMap(std::string path, std::string origin) {
  entries_.push_back(Entry{std::move(path), Entry::Kind::kMap, {}, std::move(origin)});
}

std::map<std::string, std::string> Overlay::Origins() const {
  std::map<std::string, std::string> out;
  for (const auto& e : entries_) {
    if (e.kind != Entry::Kind::kMap) {
      out[e.path] = e.origin;
    }
  }
  return out;
}

std::string Overlay::ToString() const {
  std::string out;
  for (const auto& e : entries_) {
    out += e.path + ":";
    if (e.kind == Entry::Kind::kMap) {
      out += " {}";
    } else if (e.kind == Entry::Kind::kScalar) {
      out += " " + YamlQuote(e.values.front());
    } else {
      out += " [";
      for (std::size_t i = 0; i < e.values.size(); ++i) {
        out += (i ? ", " : "") + YamlQuote(e.values[i]);
      }
      out += "]";
    }
    out += "  # " + e.origin + "\n";
  }
  return out;
}

namespace {

Value ScalarValue(std::string text) {
  Value v;
  v.kind = Value::Kind::kScalar;
  v.scalar = std::move(text);
  // Flags are text as typed: never YAML's `~`, `null` or `yes`.
  v.quoted = true;
  return v;
}

// The map entry for `key` in `map` (made a map if it is not one), created
// empty when missing.
Value& Child(Value& map, std::string_view key) {
  if (!map.is_map()) {
    map = Value{};
    map.kind = Value::Kind::kMap;
  }
  for (auto& [k, v] : map.entries) {
    if (k.scalar == key) {
      return v;
    }
  }
  MapEntry entry;
  entry.key = ScalarValue(std::string(key));
  map.entries.push_back(std::move(entry));
  return map.entries.back().value;
}

}  // namespace

void ApplyOverlay(const Overlay& overlay, Value& root) {
  for (const auto& e : overlay.entries()) {
    Value* at = &root;
    std::string_view rest = e.path;
    while (!rest.empty()) {
      std::size_t dot = rest.find('.');
      at = &Child(*at, rest.substr(0, dot));
      rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    }
    switch (e.kind) {
      case Overlay::Entry::Kind::kScalar:
        *at = ScalarValue(e.values.front());
        break;
      case Overlay::Entry::Kind::kSequence:
        *at = Value{};
        at->kind = Value::Kind::kSequence;
        for (const auto& v : e.values) {
          at->items.push_back(ScalarValue(v));
        }
        break;
      case Overlay::Entry::Kind::kMap:
        if (!at->is_map()) {
          *at = Value{};
          at->kind = Value::Kind::kMap;
        }
        break;
    }
  }
}

}  // namespace vigie::config
