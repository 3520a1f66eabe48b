// The configuration reader: YAML (via yaml-cpp, kept out of this header) into
// a small tree of Values that remember where they came from, and a Field /
// MapReader pair that reads that tree into typed structs while collecting
// every error of the file at once, each naming file:line:column, the dotted
// field path and the reason. Unknown keys are errors with a "did you mean".
//
// A component reads its section like this:
//
//   bool ParseValue(const config::Field& f, AdminConfig& out) {
//     auto m = f.AsMap();
//     m.Optional("listen", out.listen);
//     m.Optional("grace", out.grace, BareUnit::kSeconds);
//     return m.ok();
//   }
//
// Thread rules: a loaded Document is immutable and may be shared; a
// Diagnostics and the readers over it belong to one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/ip.h"
#include "core/units.h"

namespace vigie::config {

// 1-based; 0 when unknown.
struct Mark {
  int line = 0;
  int column = 0;
};

struct MapEntry;

struct Value {
  enum class Kind { kNull, kScalar, kSequence, kMap };
  Kind kind = Kind::kNull;
  Mark mark;
  std::string scalar;             // for kScalar
  bool quoted = false;            // the scalar was written in quotes
  std::vector<Value> items;       // for kSequence
  std::vector<MapEntry> entries;  // for kMap, in file order

  bool is_null() const { return kind == Kind::kNull; }
  bool is_scalar() const { return kind == Kind::kScalar; }
  bool is_sequence() const { return kind == Kind::kSequence; }
  bool is_map() const { return kind == Kind::kMap; }
  // The value of key `key` in a map, or nullptr.
  const Value* Find(std::string_view key) const;
};

struct MapEntry {
  Value key;
  Value value;
};

struct Diagnostic {
  std::string file;
  Mark mark;
  std::string path;  // "lb.listen[0].servers[2].address"; empty for file-level errors
  std::string reason;
  // What the operator wrote instead of a file line, when the value came from
  // an Overlay ("--ttl"); empty otherwise.
  std::string origin;
  // "file:line:col: path: reason", or "file: origin (path): reason".
  std::string ToString() const;
};

// Collects the errors of one file.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}
  void Add(Mark mark, std::string path, std::string reason);
  // Names the origin of the values at these paths (path -> "--flag"): an
  // error at such a path, or inside it ("x[2]", "x.y"), names the origin.
  void SetOrigins(std::map<std::string, std::string> origins) { origins_ = std::move(origins); }
  bool empty() const { return list_.empty(); }
  std::size_t size() const { return list_.size(); }
  const std::vector<Diagnostic>& list() const { return list_; }
  const std::string& file() const { return file_; }
  // One line per error, each ending in '\n'.
  std::string ToString() const;

 private:
  std::string file_;
  std::vector<Diagnostic> list_;
  std::map<std::string, std::string> origins_;
};

// Parses YAML text. A syntax error is reported in `diag` with its place, and
// the result is a null Value. Duplicate keys in a map are reported too (YAML
// says they are an error; yaml-cpp would silently keep the first).
Value ParseYaml(std::string_view text, Diagnostics& diag);

class MapReader;

// A Value plus its dotted path, and where to report errors about it.
class Field {
 public:
  Field(const Value& value, std::string path, Diagnostics& diag)
      : value_(&value), path_(std::move(path)), diag_(&diag) {}

  const Value& value() const { return *value_; }
  const std::string& path() const { return path_; }
  Diagnostics& diag() const { return *diag_; }
  Mark mark() const { return value_->mark; }

  // Records an error about this field. Always returns false, so parsers can
  // `return f.Fail("...")`.
  bool Fail(std::string reason) const;

  // The scalar text, or an error naming the expected kind.
  const std::string* Scalar(std::string_view expected = "a value") const;
  // A reader over this field's map entries. On a non-map it reports an
  // error and reads nothing.
  MapReader AsMap() const;
  // The elements of a sequence, each with its indexed path ("x[3]"). A
  // scalar is accepted as a one-element list when `allow_scalar`.
  std::vector<Field> Items(bool allow_scalar = false) const;
  // The entries of a map whose keys are names chosen by the operator
  // (e.g. per-component log levels): (key, field) in file order.
  std::vector<std::pair<std::string, Field>> Entries() const;

 private:
  const Value* value_;
  std::string path_;
  Diagnostics* diag_;
};

// Reads typed values from a map Field. Keys asked for are remembered; when the
// reader is finished (explicitly or on destruction), every other key is
// reported as unknown, with the closest known key as a suggestion.
class MapReader {
 public:
  MapReader(const Field& field, bool is_map);
  MapReader(MapReader&& other) noexcept;
  MapReader& operator=(MapReader&&) = delete;
  MapReader(const MapReader&) = delete;
  ~MapReader();

  // The field for `key`, if present (and not null).
  std::optional<Field> Get(std::string_view key);
  bool Has(std::string_view key) const;

  // Parses `key` into `out` if present; leaves `out` unchanged otherwise.
  // Returns false only when the key is present and invalid.
  template <class T, class... Args>
  bool Optional(std::string_view key, T& out, Args&&... args) {
    auto f = Get(key);
    if (!f) {
      return true;
    }
    return Track(ParseValue(*f, out, std::forward<Args>(args)...));
  }

  // Like Optional, but a missing key is an error.
  template <class T, class... Args>
  bool Required(std::string_view key, T& out, Args&&... args) {
    auto f = Get(key);
    if (!f) {
      return Track(MissingKey(key));
    }
    return Track(ParseValue(*f, out, std::forward<Args>(args)...));
  }

  // Reports keys that were never asked for. Idempotent.
  void Finish();
  // Whether every read so far succeeded.
  bool ok() const { return ok_; }
  const Field& field() const { return field_; }

 private:
  bool Track(bool ok) {
    ok_ = ok_ && ok;
    return ok;
  }
  bool MissingKey(std::string_view key) const;

  Field field_;
  bool is_map_;
  bool finished_ = false;
  bool ok_ = true;
  std::vector<std::string> known_;
};

// ParseValue overloads for the shared value types. Each returns false after
// recording an error on the field. Components add overloads for their own
// structs in their own namespace (found by argument-dependent lookup).
bool ParseValue(const Field& f, std::string& out);
bool ParseValue(const Field& f, bool& out);
bool ParseValue(const Field& f, int64_t& out);
bool ParseValue(const Field& f, int& out);
bool ParseValue(const Field& f, uint16_t& out);
bool ParseValue(const Field& f, uint32_t& out);
bool ParseValue(const Field& f, uint64_t& out);
bool ParseValue(const Field& f, double& out);
bool ParseValue(const Field& f, Duration& out, BareUnit bare = BareUnit::kNone);
bool ParseValue(const Field& f, ByteSize& out);
bool ParseValue(const Field& f, IpAddress& out);
bool ParseValue(const Field& f, Cidr& out);
bool ParseValue(const Field& f, Address& out, const AddressOptions& options = {});

// An integer within [lo, hi].
bool ParseInRange(const Field& f, int64_t& out, int64_t lo, int64_t hi);

// One of a fixed set of words; the error lists them.
template <class E>
bool ParseEnum(const Field& f, E& out, std::initializer_list<std::pair<std::string_view, E>> words);

template <class T, class... Args>
bool ParseValue(const Field& f, std::vector<T>& out, Args&&... args) {
  std::vector<T> parsed;
  bool ok = true;
  for (const Field& item : f.Items()) {
    T v{};
    if (ParseValue(item, v, args...)) {
      parsed.push_back(std::move(v));
    } else {
      ok = false;
    }
  }
  if (ok) {
    out = std::move(parsed);
  }
  return ok;
}

template <class T, class... Args>
bool ParseValue(const Field& f, std::optional<T>& out, Args&&... args) {
  T v{};
  if (!ParseValue(f, v, std::forward<Args>(args)...)) {
    return false;
  }
  out = std::move(v);
  return true;
}

template <class E>
bool ParseEnum(const Field& f, E& out,
               std::initializer_list<std::pair<std::string_view, E>> words) {
  const std::string* s = f.Scalar("one of the listed words");
  if (s == nullptr) {
    return false;
  }
  std::string list;
  for (const auto& [word, value] : words) {
    if (*s == word) {
      out = value;
      return true;
    }
    list += list.empty() ? "" : ", ";
    list += word;
  }
  return f.Fail("unknown value \"" + *s + "\" (expected one of: " + list + ")");
}

// A loaded file: its text (for hashing and /status), and the tree.
struct Document {
  std::string path;  // "<embedded>" for the built-in default
  std::string text;
  Value root;
};

// Reads and parses a file. I/O and YAML syntax errors go to `diag`.
std::optional<Document> LoadFile(const std::string& path, Diagnostics& diag);
// Parses text held in memory (the embedded default config, tests).
std::optional<Document> LoadText(std::string name, std::string text, Diagnostics& diag);

// Values set in code rather than read from a file: a subcommand's flags
// (`vigie events --ttl 30s`). An overlay is laid over a loaded document (or
// over nothing) before the document is read, so the component's own readers
// validate flags exactly as they validate vigie.yaml; errors about an
// overlaid value name its origin ("<flags>: --ttl (events.ttl): ...").
class Overlay {
 public:
  struct Entry {
    std::string path{};  // dotted, from the root: "events.ttl"
    enum class Kind { kScalar, kSequence, kMap } kind = Kind::kScalar;
    std::vector<std::string> values{};  // one for kScalar; the items of kSequence
    std::string origin{};               // "--ttl"
  };
  // A scalar at `path`, replacing what is there.
  void Set(std::string path, std::string value, std::string origin);
  // A sequence of scalars at `path`, replacing what is there.
  void SetList(std::string path, std::vector<std::string> values, std::string origin);
  // An empty map at `path` unless one is there: a section present with its
  // defaults ("egress: {http_proxy: {}}").
  void SetMap(std::string path, std::string origin);
  // Every entry of `other`, after this one's.
  void Append(const Overlay& other) {
    entries_.insert(entries_.end(), other.entries_.begin(), other.entries_.end());
  }

  bool empty() const { return entries_.empty(); }
  const std::vector<Entry>& entries() const { return entries_; }
  // path -> origin, for Diagnostics::SetOrigins.
  std::map<std::string, std::string> Origins() const;
  // One line per entry, in order ("events.ttl: \"30s\"  # --ttl"): what the
  // config hash covers, and what `vigie check` may print.
  std::string ToString() const;

 private:
  std::vector<Entry> entries_;
};

// Lays `overlay` over `root` (a map, or null for an empty document). Maps on
// the way to a path are created; a non-map on the way is replaced by a map.
void ApplyOverlay(const Overlay& overlay, Value& root);

}  // namespace vigie::config
