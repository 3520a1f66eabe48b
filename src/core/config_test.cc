#include "core/config.h"

#include <gtest/gtest.h>

namespace vigie::config {
namespace {

struct Upstream {
  Address address;
  int weight = 1;
};

struct Sample {
  Address listen;
  Duration timeout = std::chrono::seconds(5);
  ByteSize cache{1024};
  std::vector<Upstream> upstreams;
  bool verbose = false;
  enum class Mode { kNx, kNull } mode = Mode::kNx;
};

bool ParseValue(const Field& f, Upstream& out) {
  auto m = f.AsMap();
  m.Required("address", out.address, AddressOptions{.allow_names = true});
  if (auto w = m.Get("weight")) {
    int64_t v = 0;
    if (ParseInRange(*w, v, 1, 256)) {
      out.weight = static_cast<int>(v);
    }
  }
  m.Finish();
  return m.ok();
}

bool ParseValue(const Field& f, Sample& out) {
  auto m = f.AsMap();
  m.Required("listen", out.listen);
  m.Optional("timeout", out.timeout, BareUnit::kSeconds);
  m.Optional("cache", out.cache);
  m.Optional("upstreams", out.upstreams);
  m.Optional("verbose", out.verbose);
  if (auto mode = m.Get("mode")) {
    ParseEnum(*mode, out.mode, {{"nxdomain", Sample::Mode::kNx}, {"null", Sample::Mode::kNull}});
  }
  return m.ok();
}

std::string Check(std::string_view yaml, Sample* out = nullptr) {
  Diagnostics diag("t.yaml");
  auto doc = LoadText("t.yaml", std::string(yaml), diag);
  if (doc) {
    Sample s;
    Field root(doc->root, "", diag);
    auto m = root.AsMap();
    m.Required("sample", s);
    m.Finish();
    if (out != nullptr) {
      *out = s;
    }
  }
  return diag.ToString();
}

TEST(ConfigTest, ReadsTypedValues) {
  Sample s;
  EXPECT_EQ(Check(R"(
sample:
  listen: 127.0.0.1:5353
  timeout: 1500ms
  cache: 2MiB
  verbose: true
  mode: "null"
  upstreams:
    - address: ns1.example:53
      weight: 3
    - address: 10.0.0.2:53
)",
                  &s),
            "");
  EXPECT_EQ(s.listen.port, 5353);
  EXPECT_EQ(s.timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(s.cache.bytes, 2u << 20);
  EXPECT_TRUE(s.verbose);
  EXPECT_EQ(s.mode, Sample::Mode::kNull);
  ASSERT_EQ(s.upstreams.size(), 2u);
  EXPECT_EQ(s.upstreams[0].address.host, "ns1.example");
  EXPECT_EQ(s.upstreams[0].weight, 3);
  EXPECT_EQ(s.upstreams[1].weight, 1);
}

TEST(ConfigTest, BareNumberUsesFieldUnit) {
  Sample s;
  EXPECT_EQ(Check("sample:\n  listen: 127.0.0.1:1\n  timeout: 7\n", &s), "");
  EXPECT_EQ(s.timeout, std::chrono::seconds(7));
}

TEST(ConfigTest, ReportsEveryErrorWithPlaceAndPath) {
  std::string out = Check(R"(sample:
  listen: 127.0.0.1
  timeout: 10 parsecs
  cache: 2G
  verbos: true
  mode: lie
  upstreams:
    - address: 10.0.0.1:53
      weight: 900
    - adress: 10.0.0.2:53
samples: 1
)");
  EXPECT_EQ(
      out,
      "t.yaml:2:11: sample.listen: missing port in \"127.0.0.1\" (write host:port)\n"
      "t.yaml:3:12: sample.timeout: unknown duration unit \"parsecs\" in \"10 parsecs\" "
      "(accepted: ns, us, ms, s, m, h, d)\n"
      "t.yaml:4:10: sample.cache: unknown size unit \"G\" in \"2G\"; accepted: a bare number of "
      "bytes, or a number with B, kB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB "
      "(powers of 1024)\n"
      "t.yaml:5:3: sample.verbos: unknown setting \"verbos\" (did you mean \"verbose\"?)\n"
      "t.yaml:6:9: sample.mode: unknown value \"lie\" (expected one of: nxdomain, null)\n"
      "t.yaml:9:15: sample.upstreams[0].weight: 900 is out of range (1..256)\n"
      "t.yaml:10:7: sample.upstreams[1].address: missing required setting\n"
      "t.yaml:10:7: sample.upstreams[1].adress: unknown setting \"adress\" (did you mean "
      "\"address\"?)\n"
      "t.yaml:11:1: samples: unknown setting \"samples\" (did you mean \"sample\"?)\n");
}

TEST(ConfigTest, SyntaxErrorHasPlace) {
  std::string out = Check("sample:\n  listen: [127.0.0.1:1\n");
  EXPECT_NE(out.find("t.yaml:3:1: "), std::string::npos) << out;
}

TEST(ConfigTest, DuplicateKeysAreErrors) {
  std::string out = Check("sample:\n  listen: 127.0.0.1:1\n  listen: 127.0.0.1:2\n");
  EXPECT_EQ(out, "t.yaml:3:3: sample.listen: duplicate key \"listen\"\n");
}

TEST(ConfigTest, WrongKindsAreNamed) {
  EXPECT_EQ(Check("sample:\n  listen: 127.0.0.1:1\n  verbose: [1]\n"),
            "t.yaml:3:12: sample.verbose: expected true or false, found a list\n");
  EXPECT_EQ(Check("sample: 3\n"),
            "t.yaml:1:9: sample: expected a map of settings, found a single value\n"
            "t.yaml:1:9: sample.listen: missing required setting\n");
  EXPECT_EQ(Check("sample:\n  listen: 127.0.0.1:1\n  verbose: yes\n"),
            "t.yaml:3:12: sample.verbose: expected true or false, found \"yes\"\n");
}

TEST(ConfigTest, MissingFileIsReported) {
  Diagnostics diag("/nonexistent/vigie.yaml");
  EXPECT_FALSE(LoadFile("/nonexistent/vigie.yaml", diag));
  EXPECT_EQ(diag.ToString(), "/nonexistent/vigie.yaml: cannot open: No such file or directory\n");
}

TEST(ConfigTest, DeepNestingIsBounded) {
  std::string deep(200, '[');
  Diagnostics diag("d.yaml");
  auto doc = LoadText("d.yaml", deep + std::string(200, ']'), diag);
  EXPECT_FALSE(doc);
  EXPECT_NE(diag.ToString().find("nested deeper than 64 levels"), std::string::npos)
      << diag.ToString();
}

// Reads `overlay` laid over `yaml` as the sample section, errors as text.
std::string CheckOverlaid(const std::string& yaml, const Overlay& overlay, Sample* out = nullptr) {
  Diagnostics diag("t.yaml");
  diag.SetOrigins(overlay.Origins());
  Value root = ParseYaml(yaml, diag);
  ApplyOverlay(overlay, root);
  Sample sample;
  if (const Value* v = root.Find("sample")) {
    ParseValue(Field(*v, "sample", diag), sample);
  }
  if (out != nullptr) {
    *out = sample;
  }
  return diag.ToString();
}

TEST(OverlayTest, SetsScalarsListsAndSectionsOverAFileOrNothing) {
  Sample s;
  // Over nothing: the overlay alone makes the section.
  Overlay only;
  only.Set("sample.listen", "127.0.0.1:7", "--listen");
  only.Set("sample.timeout", "2s", "--timeout");
  EXPECT_EQ(CheckOverlaid("", only, &s), "");
  EXPECT_EQ(s.listen.ToString(), "127.0.0.1:7");
  EXPECT_EQ(s.timeout, std::chrono::seconds(2));
  // Over a file: the overlay wins where it sets, the file stays elsewhere.
  EXPECT_EQ(CheckOverlaid("sample:\n  listen: 127.0.0.1:1\n  cache: 2KiB\n", only, &s), "");
  EXPECT_EQ(s.listen.ToString(), "127.0.0.1:7");
  EXPECT_EQ(s.cache.bytes, 2048u);
}

TEST(OverlayTest, ValuesAreTextAsTyped) {
  // A flag's "null" or "~" is that text, not YAML's null.
  Overlay o;
  o.Set("sample.listen", "~", "--listen");
  EXPECT_EQ(CheckOverlaid("", o),
            "t.yaml: --listen (sample.listen): missing port in \"~\" "
            "(write host:port)\n");
}

TEST(OverlayTest, ErrorsNameTheOriginInsteadOfALine) {
  Overlay o;
  o.Set("sample.listen", "127.0.0.1:1", "--listen");
  o.Set("sample.timeout", "soon", "--timeout");
  o.SetList("sample.upstreams", {"not-a-map"}, "--upstream");
  std::string out = CheckOverlaid("sample:\n  cache: lots\n", o);
  // The file's own error keeps its line; the flags' errors name the flag and the path.
  EXPECT_NE(out.find("t.yaml:2:10: sample.cache: "), std::string::npos) << out;
  EXPECT_NE(out.find("t.yaml: --timeout (sample.timeout): "), std::string::npos) << out;
  EXPECT_NE(out.find("t.yaml: --upstream (sample.upstreams[0]): "), std::string::npos) << out;
}

TEST(OverlayTest, ToStringListsEveryEntryWithItsOrigin) {
  Overlay o;
  o.Set("a.b", "x\"y", "--b");
  o.SetList("a.c", {"1", "2"}, "--c");
  o.SetMap("d", "cmd");
  EXPECT_EQ(o.ToString(), "a.b: \"x\\\"y\"  # --b\na.c: [\"1\", \"2\"]  # --c\nd: {}  # cmd\n");
}

}  // namespace
}  // namespace vigie::config
