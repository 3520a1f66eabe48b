// Conformance tests for the EGRESS_* parsers: every upstream unit-test vector
// (openshift/images egress/*/egress_*_test.go) replayed through the typed
// parse and the upstream renderer, plus the documented deviations.
#include "egress/spec/spec.h"

#include <map>

#include <gtest/gtest.h>

#include "egress/spec/upstream_render.h"

namespace vigie::egress {
namespace {

Environment RouterEnv(std::string source, std::string gateway, std::string dest) {
  return {{"EGRESS_ROUTER_MODE", "unit-test"},
          {"EGRESS_SOURCE", std::move(source)},
          {"EGRESS_GATEWAY", std::move(gateway)},
          {"EGRESS_DESTINATION", std::move(dest)}};
}

std::string RouterOutput(const Environment& env) {
  auto spec = ParseRouterEnvironment(env);
  if (!spec) {
    return "error: " + spec.error().ToString();
  }
  if (!spec->redirect) {
    return "no redirect";
  }
  return RenderUpstreamNftRules(*spec->redirect, spec->source);
}

std::string RouterError(const Environment& env) {
  auto spec = ParseRouterEnvironment(env);
  if (spec) {
    return "no error";
  }
  EXPECT_EQ(spec.error().code(), Errc::kInvalidArgument);
  return spec.error().ToString();
}

// --- egress_router_test.go: TestEgressRouter --------------------------------

TEST(UpstreamRouterVectors, GoodInputs) {
  struct Vector {
    std::string source, gateway, dest, output;
  };
  const std::string kFallbackOnly =
      "add rule ip nat prerouting iifname \"eth0\" dnat to 10.1.2.3\n"
      "add rule ip nat postrouting oifname \"macvlan0\" snat to 1.2.3.4\n";
  const std::string kMixed =
      "add rule ip nat prerouting iifname \"eth0\" tcp dport 80 dnat to 10.4.5.6\n"
      "add rule ip nat prerouting iifname \"eth0\" tcp dport 8080 dnat to 10.7.8.9:80\n"
      "add rule ip nat prerouting iifname \"eth0\" dnat to 10.1.2.3\n"
      "add rule ip nat postrouting oifname \"macvlan0\" snat to 1.2.3.4\n";
  const std::vector<Vector> vectors = {
      {"1.2.3.4", "192.0.2.1", "10.1.2.3", kFallbackOnly},
      {"1.2.3.4/24", "192.0.2.1", "10.1.2.3", kFallbackOnly},
      {"1.2.3.4", "192.0.2.1", "10.1.2.3", kFallbackOnly},
      {"1.2.3.4", "192.0.2.1", "10.1.2.3\n", kFallbackOnly},
      {"1.2.3.4", "192.0.2.1", "80 tcp 10.4.5.6",
       "add rule ip nat prerouting iifname \"eth0\" tcp dport 80 dnat to 10.4.5.6\n"
       "add rule ip nat postrouting oifname \"macvlan0\" snat to 1.2.3.4\n"},
      {"1.2.3.4", "192.0.2.1", "8080 tcp 10.7.8.9 80",
       "add rule ip nat prerouting iifname \"eth0\" tcp dport 8080 dnat to 10.7.8.9:80\n"
       "add rule ip nat postrouting oifname \"macvlan0\" snat to 1.2.3.4\n"},
      {"1.2.3.4", "192.0.2.1", "80 tcp 10.4.5.6\n8080 tcp 10.7.8.9 80",
       "add rule ip nat prerouting iifname \"eth0\" tcp dport 80 dnat to 10.4.5.6\n"
       "add rule ip nat prerouting iifname \"eth0\" tcp dport 8080 dnat to 10.7.8.9:80\n"
       "add rule ip nat postrouting oifname \"macvlan0\" snat to 1.2.3.4\n"},
      {"1.2.3.4", "192.0.2.1", "80 tcp 10.4.5.6\n8080 tcp 10.7.8.9 80\n10.1.2.3", kMixed},
      {"1.2.3.4", "192.0.2.1",
       "\n# My egress-router rules\n\n# Port 80 forwards to 10.4.5.6\n80 tcp 10.4.5.6\n\n"
       "# Port 8080 forwards to port 80 on 10.7.8.9\n8080 tcp 10.7.8.9 80\n\n"
       "# Skip this rule for now\n# 8443 tcp 10.7.8.9 443\n\n# Add new rules here\n\n"
       "# Fallback; don't add anything after this\n10.1.2.3\n\n"
       "# No, seriously, don't add anything here\n",
       kMixed},
  };
  for (size_t i = 0; i < vectors.size(); ++i) {
    const Vector& v = vectors[i];
    EXPECT_EQ(RouterOutput(RouterEnv(v.source, v.gateway, v.dest)), v.output) << "vector " << i + 1;
  }
}

// --- egress_router_test.go: TestEgressRouterBad -----------------------------

TEST(UpstreamRouterVectors, BadInputs) {
  struct Vector {
    std::string source, gateway, dest, error;
  };
  const std::vector<Vector> vectors = {
      {"not an IP address", "192.0.2.1", "10.1.2.3", "EGRESS_SOURCE unspecified or invalid"},
      {"not\nan\nIP\naddress", "192.0.2.1", "10.1.2.3", "EGRESS_SOURCE unspecified or invalid"},
      {"1.2.3.4", "not an IP address", "10.1.2.3", "EGRESS_GATEWAY unspecified or invalid"},
      {"1.2.3.4", "192.0.2.1", "", "EGRESS_DESTINATION unspecified"},
      {"1.2.3.4", "192.0.2.1", "not an IP address",
       "EGRESS_DESTINATION value 'not an IP address' is invalid"},
      {"1.2.3.4", "192.0.2.1", "10.1.2.3\n80 tcp 10.4.5.6",
       "EGRESS_DESTINATION fallback IP must be the last line"},
      {"1.2.3.4", "192.0.2.1", "10.1.2.3\n10.4.5.6",
       "EGRESS_DESTINATION fallback IP must be the last line"},
      {"1.2.3.4", "192.0.2.1", "80 tcp 10.4.5.6\n10.1.2.3\n8080 tcp 10.7.8.9 80",
       "EGRESS_DESTINATION fallback IP must be the last line"},
      {"1.2.3.4", "192.0.2.1", "80 tcp 10.4.5.6\ninvalid\n8080 tcp 10.7.8.9 80",
       "EGRESS_DESTINATION value 'invalid' is invalid"},
      {"1.2.3.4", "192.0.2.1", "80 sctp 10.4.5.6",
       "EGRESS_DESTINATION value '80 sctp 10.4.5.6' is invalid"},
      {"1.2.3.4", "192.0.2.1", "800000 tcp 10.4.5.6",
       "Invalid port: 800000, must be in the range 1 to 65535"},
      {"1.2.3.4", "192.0.2.1", "80 tcp 10.4.5.6\n8080 tcp 10.7.8.9 80\n80 tcp 10.7.8.9 900",
       "EGRESS_DESTINATION localport 80 is already used, must be unique for each destination"},
  };
  for (size_t i = 0; i < vectors.size(); ++i) {
    const Vector& v = vectors[i];
    EXPECT_EQ(RouterError(RouterEnv(v.source, v.gateway, v.dest)), v.error) << "vector " << i + 1;
  }
}

// --- Router: typed output, modes, locations ---------------------------------

TEST(RouterSpecTest, TypedRulesFromTheDocsExample) {
  auto spec = ParseEgressDestination(
      "80 tcp 203.0.113.25\n8080 tcp 203.0.113.26 80\n8443 tcp 203.0.113.26 443\n203.0.113.27");
  ASSERT_TRUE(spec) << spec.error().ToString();
  ASSERT_EQ(spec->rules.size(), 3u);
  EXPECT_EQ(spec->rules[0].local_port, 80);
  EXPECT_EQ(spec->rules[0].remote_port, 80);
  EXPECT_FALSE(spec->rules[0].remote_port_written);
  EXPECT_EQ(spec->rules[0].destination.ToString(), "203.0.113.25");
  EXPECT_EQ(spec->rules[1].local_port, 8080);
  EXPECT_EQ(spec->rules[1].remote_port, 80);
  EXPECT_TRUE(spec->rules[1].remote_port_written);
  EXPECT_EQ(spec->rules[2].line, 3);
  EXPECT_EQ(spec->rules[2].text, "8443 tcp 203.0.113.26 443");
  EXPECT_EQ(spec->rules[2].remote_port, 443);
  ASSERT_TRUE(spec->fallback);
  EXPECT_EQ(spec->fallback->line, 4);
  EXPECT_EQ(spec->fallback->destination.ToString(), "203.0.113.27");
}

TEST(RouterSpecTest, SourcePrefixAndSeedArticleEnvironment) {
  auto spec = ParseRouterEnvironment({{"EGRESS_SOURCE", "10.42.253.46"},
                                      {"EGRESS_GATEWAY", "10.42.253.1"},
                                      {"EGRESS_DESTINATION", "203.0.113.8"},
                                      {"EGRESS_ROUTER_MODE", "init"}});
  ASSERT_TRUE(spec) << spec.error().ToString();
  EXPECT_EQ(spec->mode, RouterMode::kInit);
  EXPECT_EQ(spec->source.ToString(), "10.42.253.46");
  EXPECT_EQ(spec->source_prefix_length, 32);
  EXPECT_EQ(spec->gateway.ToString(), "10.42.253.1");
  ASSERT_TRUE(spec->redirect);
  EXPECT_EQ(spec->redirect->fallback->destination.ToString(), "203.0.113.8");

  auto with_prefix = ParseRouterEnvironment(RouterEnv("1.2.3.4/24", "192.0.2.1", "10.1.2.3"));
  ASSERT_TRUE(with_prefix);
  EXPECT_EQ(with_prefix->source_prefix_length, 24);
  EXPECT_EQ(with_prefix->source.ToString(), "1.2.3.4");
}

TEST(RouterSpecTest, ModeDefaultsToLegacyAndProxyModesSkipDestination) {
  Environment env = RouterEnv("1.2.3.4", "192.0.2.1", "10.1.2.3");
  env.erase("EGRESS_ROUTER_MODE");
  auto legacy = ParseRouterEnvironment(env);
  ASSERT_TRUE(legacy);
  EXPECT_EQ(legacy->mode, RouterMode::kLegacy);
  EXPECT_TRUE(legacy->redirect);

  env["EGRESS_ROUTER_MODE"] = "";
  EXPECT_EQ(ParseRouterEnvironment(env)->mode, RouterMode::kLegacy);

  // http-proxy and dns-proxy never read EGRESS_DESTINATION, even when bad.
  for (std::string mode : {"http-proxy", "dns-proxy"}) {
    env["EGRESS_ROUTER_MODE"] = mode;
    env["EGRESS_DESTINATION"] = "garbage";
    auto spec = ParseRouterEnvironment(env);
    ASSERT_TRUE(spec) << mode;
    EXPECT_EQ(RouterModeName(spec->mode), mode);
    EXPECT_FALSE(spec->redirect);
  }
  env["EGRESS_ROUTER_MODE"] = "unidling";
  EXPECT_EQ(RouterError(env), "Unrecognized EGRESS_ROUTER_MODE 'unidling'");
  // Source and gateway are checked before the mode, as upstream does.
  env["EGRESS_GATEWAY"] = "";
  EXPECT_EQ(RouterError(env), "EGRESS_GATEWAY unspecified or invalid");
  env.erase("EGRESS_SOURCE");
  EXPECT_EQ(RouterError(env), "EGRESS_SOURCE unspecified or invalid");
}

TEST(RouterSpecTest, DebugFlag) {
  Environment env = RouterEnv("1.2.3.4", "192.0.2.1", "10.1.2.3");
  EXPECT_FALSE(ParseRouterEnvironment(env)->debug);
  env["EGRESS_ROUTER_DEBUG"] = "1";
  EXPECT_TRUE(ParseRouterEnvironment(env)->debug);
}

TEST(RouterSpecTest, SourceAndGatewayForms) {
  for (std::string bad : {"1.2.3.4/", "1.2.3.4/33", "1.2.3.4/x", "1.2.3", "1.2.3.4 ", " 1.2.3.4",
                          "256.1.1.1", "fe80::1", "1.2.3.4\n"}) {
    EXPECT_EQ(RouterError(RouterEnv(bad, "192.0.2.1", "10.1.2.3")),
              "EGRESS_SOURCE unspecified or invalid")
        << bad;
  }
  EXPECT_EQ(RouterError(RouterEnv("1.2.3.4", "192.0.2.1/24", "10.1.2.3")),
            "EGRESS_GATEWAY unspecified or invalid");
  EXPECT_TRUE(ParseRouterEnvironment(RouterEnv("1.2.3.4/0", "192.0.2.1", "10.1.2.3")));
}

TEST(RouterSpecTest, LexicalRules) {
  auto error = [](std::string dest) {
    auto spec = ParseEgressDestination(dest);
    return spec ? std::string("ok") : spec.error().ToString();
  };
  // Only whole-line comments.
  EXPECT_EQ(error("80 tcp 1.2.3.4 # web"),
            "EGRESS_DESTINATION value '80 tcp 1.2.3.4 # web' is invalid");
  // Tabs between fields are invalid; several spaces are fine.
  EXPECT_EQ(error("80\ttcp 1.2.3.4"), "EGRESS_DESTINATION value '80\ttcp 1.2.3.4' is invalid");
  EXPECT_EQ(error("80   tcp    1.2.3.4   8080"), "ok");
  // Leading and trailing blanks (tabs too) are trimmed by `read`.
  EXPECT_EQ(error("  \t80 tcp 1.2.3.4\t  "), "ok");
  // Protocol is lower-case tcp/udp only.
  EXPECT_EQ(error("80 TCP 1.2.3.4"), "EGRESS_DESTINATION value '80 TCP 1.2.3.4' is invalid");
  EXPECT_EQ(error("53 udp 1.2.3.4"), "ok");
  // Local ports are unique across tcp and udp.
  EXPECT_EQ(error("53 tcp 1.2.3.4\n53 udp 1.2.3.5"),
            "EGRESS_DESTINATION localport 53 is already used, must be unique for each destination");
  // The destination port is validated before the local port.
  EXPECT_EQ(error("800000 tcp 1.2.3.4 900000"),
            "Invalid port: 900000, must be in the range 1 to 65535");
  EXPECT_EQ(error("0 tcp 1.2.3.4"), "Invalid port: 0, must be in the range 1 to 65535");
  EXPECT_EQ(error("80 tcp 1.2.3.4 65536"), "Invalid port: 65536, must be in the range 1 to 65535");
  EXPECT_EQ(error("65535 udp 1.2.3.4 1"), "ok");
  EXPECT_EQ(error("99999999999999999999999 tcp 1.2.3.4"),
            "Invalid port: 99999999999999999999999, must be in the range 1 to 65535");
  // After the fallback even an invalid line is reported as "not last".
  EXPECT_EQ(error("1.2.3.4\nwhatever"), "EGRESS_DESTINATION fallback IP must be the last line");
  // A destination made of comments only has no rules.
  auto empty = ParseEgressDestination("# nothing yet\n\n");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->rules.empty());
  EXPECT_FALSE(empty->fallback);
  // CR of a CRLF file: a blank "\r" line is blank ([[:space:]]), a rule
  // line ending in "\r" is invalid, exactly as upstream.
  EXPECT_EQ(error("\r\n80 tcp 1.2.3.4"), "ok");
  EXPECT_EQ(error("80 tcp 1.2.3.4\r"), "EGRESS_DESTINATION value '80 tcp 1.2.3.4\r' is invalid");
}

TEST(RouterSpecTest, DeviationOctetsAndLeadingZeros) {
  EXPECT_EQ(ParseEgressDestination("300.1.2.3").error().ToString(),
            "EGRESS_DESTINATION value '300.1.2.3' is invalid");
  EXPECT_EQ(ParseEgressDestination("80 tcp 010.1.2.3").error().ToString(),
            "EGRESS_DESTINATION value '80 tcp 010.1.2.3' is invalid");
  // Ports are decimal: "080" is 80 and collides with 80.
  EXPECT_EQ(ParseEgressDestination("080 tcp 1.2.3.4\n80 udp 1.2.3.4").error().ToString(),
            "EGRESS_DESTINATION localport 80 is already used, must be unique for each destination");
}

TEST(RouterSpecTest, ErrorLocationNamesVariableAndLine) {
  ErrorLocation where;
  auto spec = ParseEgressDestination("# c\n80 tcp 1.2.3.4\n\nbogus line", &where);
  ASSERT_FALSE(spec);
  EXPECT_EQ(where.variable, "EGRESS_DESTINATION");
  EXPECT_EQ(where.line, 4);
  ErrorLocation env_where;
  EXPECT_FALSE(ParseRouterEnvironment(RouterEnv("x", "192.0.2.1", "1.2.3.4"), &env_where));
  EXPECT_EQ(env_where.variable, "EGRESS_SOURCE");
  EXPECT_EQ(env_where.line, 0);
}

TEST(RouterSpecTest, OversizedValueIsLimitExceeded) {
  std::string huge(kMaxEnvValueBytes + 1, '#');
  auto spec = ParseEgressDestination(huge);
  ASSERT_FALSE(spec);
  EXPECT_EQ(spec.error().code(), Errc::kLimitExceeded);
}

// --- egress_http_proxy_test.go: TestGenerateSquidConf -----------------------

std::string SquidOutput(std::string_view in) {
  auto spec = ParseHttpProxyDestination(in);
  if (!spec) {
    return "error: " + spec.error().ToString();
  }
  return RenderUpstreamSquidAcl(*spec);
}

TEST(UpstreamHttpProxyVectors, GoodInputs) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"*", "\nhttp_access allow all\n"},
      {"example.com",
       "\nacl dest1 dstdomain example.com\nhttp_access allow dest1\n\nhttp_access deny all\n"},
      {"!example.com",
       "\nacl dest1 dstdomain example.com\nhttp_access deny dest1\n\nhttp_access deny all\n"},
      {"*.example.com",
       "\nacl dest1 dstdomain .example.com\nhttp_access allow dest1\n\nhttp_access deny all\n"},
      {"192.168.1.1",
       "\nacl dest1 dst 192.168.1.1\nhttp_access allow dest1\n\nhttp_access deny all\n"},
      {"192.168.1.0/24",
       "\nacl dest1 dst 192.168.1.0/24\nhttp_access allow dest1\n\nhttp_access deny all\n"},
      {"\n!*.example.net\n*\n",
       "\nacl dest1 dstdomain .example.net\nhttp_access deny dest1\n\nhttp_access allow all\n"},
      {"\n# HTTP proxy "
       "config\n\n!*.bad.example.com\n*.example.com\n\n192.168.0.0/16\nfe80::/10\n\n# end\n",
       "\nacl dest1 dstdomain .bad.example.com\nhttp_access deny dest1\n"
       "\nacl dest2 dstdomain .example.com\nhttp_access allow dest2\n"
       "\nacl dest3 dst 192.168.0.0/16\nhttp_access allow dest3\n"
       "\nacl dest4 dst fe80::/10\nhttp_access allow dest4\n"
       "\nhttp_access deny all\n"},
  };
  for (size_t i = 0; i < vectors.size(); ++i) {
    EXPECT_EQ(SquidOutput(vectors[i].first), vectors[i].second) << "vector " << i + 1;
  }
}

// --- egress_http_proxy_test.go: TestGenerateSquidConfBad --------------------

TEST(UpstreamHttpProxyVectors, BadInputs) {
  EXPECT_EQ(SquidOutput(""), "error: No EGRESS_HTTP_PROXY_DESTINATION specified");
  EXPECT_EQ(SquidOutput("*\nexample.com"), "error: Wildcard must be last rule, if present");
  EXPECT_EQ(SquidOutput("foo bar"), "error: Bad destination 'foo bar'");
}

// --- HTTP proxy: typed rules, seed article, quirks --------------------------

TEST(HttpProxySpecTest, SeedArticleRules) {
  auto spec = ParseHttpProxyDestination("!perdu.com\n!*.perdu.com\n!10.42.253.0/24\n*\n");
  ASSERT_TRUE(spec) << spec.error().ToString();
  ASSERT_EQ(spec->rules.size(), 3u);
  EXPECT_EQ(spec->rules[0].kind, ProxyRuleKind::kHost);
  EXPECT_EQ(spec->rules[0].action, AclAction::kDeny);
  EXPECT_EQ(spec->rules[0].name, "perdu.com");
  EXPECT_EQ(spec->rules[0].text, "!perdu.com");
  EXPECT_EQ(spec->rules[1].kind, ProxyRuleKind::kDomain);
  EXPECT_EQ(spec->rules[1].name, "perdu.com");
  EXPECT_EQ(spec->rules[1].token, ".perdu.com");
  EXPECT_EQ(spec->rules[2].kind, ProxyRuleKind::kAddress);
  EXPECT_EQ(spec->rules[2].prefix.ToString(), "10.42.253.0/24");
  EXPECT_EQ(spec->rules[2].line, 3);
  EXPECT_EQ(spec->rules[2].number, 3);
  ASSERT_TRUE(spec->wildcard);
  EXPECT_EQ(spec->wildcard->line, 4);
  EXPECT_EQ(spec->wildcard->number, 4);
  EXPECT_EQ(spec->default_action(), AclAction::kAllow);
}

TEST(HttpProxySpecTest, NumbersCountRulesLinesCountLines) {
  auto spec = ParseHttpProxyDestination("# head\n\na.example\n# mid\nb.example\n");
  ASSERT_TRUE(spec);
  ASSERT_EQ(spec->rules.size(), 2u);
  EXPECT_EQ(spec->rules[0].line, 3);
  EXPECT_EQ(spec->rules[0].number, 1);
  EXPECT_EQ(spec->rules[1].line, 5);
  EXPECT_EQ(spec->rules[1].number, 2);
  EXPECT_EQ(spec->default_action(), AclAction::kDeny);
}

TEST(HttpProxySpecTest, NamesAreNormalizedTokensKept) {
  auto spec = ParseHttpProxyDestination("*.Example.COM.\nWWW.Example.org");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->rules[0].name, "example.com");
  EXPECT_EQ(spec->rules[0].token, ".Example.COM.");
  EXPECT_EQ(spec->rules[1].name, "www.example.org");
  EXPECT_EQ(spec->rules[1].token, "WWW.Example.org");
}

TEST(HttpProxySpecTest, AddressRules) {
  auto spec =
      ParseHttpProxyDestination("192.168.1.1/24\n::ffff:10.0.0.0/104\n!2001:db8::/32\n1.2.3.4");
  ASSERT_TRUE(spec) << spec.error().ToString();
  EXPECT_EQ(spec->rules[0].prefix.ToString(), "192.168.1.0/24");  // host bits cleared
  EXPECT_EQ(spec->rules[0].token, "192.168.1.1/24");
  EXPECT_EQ(spec->rules[1].prefix.ToString(), "10.0.0.0/8");  // mapped form folded
  EXPECT_EQ(spec->rules[2].action, AclAction::kDeny);
  EXPECT_EQ(spec->rules[2].prefix.ToString(), "2001:db8::/32");
  EXPECT_EQ(spec->rules[3].prefix.prefix_len(), 32);
}

TEST(HttpProxySpecTest, BadDestinations) {
  auto error = [](std::string in) {
    auto spec = ParseHttpProxyDestination(in);
    return spec ? std::string("ok") : spec.error().ToString();
  };
  // The message quotes the line without its "!".
  EXPECT_EQ(error("!foo bar"), "Bad destination 'foo bar'");
  EXPECT_EQ(error("!*"), "Bad destination '*'");
  EXPECT_EQ(error("!!a.example"), "Bad destination '!a.example'");
  EXPECT_EQ(error("-a.example"), "Bad destination '-a.example'");
  EXPECT_EQ(error("a_b.example"), "Bad destination 'a_b.example'");
  EXPECT_EQ(error("*.x"), "Bad destination '*.x'");
  EXPECT_EQ(error("10.0.0.0/33"), "Bad destination '10.0.0.0/33'");
  EXPECT_EQ(error("1.2"), "Bad destination '1.2'");
  EXPECT_EQ(error("fe80::1::2"), "Bad destination 'fe80::1::2'");
  EXPECT_EQ(error("a.example\n*\nb.example"), "Wildcard must be last rule, if present");
  // A repeated "*" is accepted, as upstream does.
  EXPECT_EQ(error("a.example\n*\n*"), "ok");
  // A hex-looking name is a host name (deviation, see docs).
  auto cafe = ParseHttpProxyDestination("cafe.be");
  ASSERT_TRUE(cafe);
  EXPECT_EQ(cafe->rules[0].kind, ProxyRuleKind::kHost);
  EXPECT_EQ(cafe->rules[0].name, "cafe.be");
}

TEST(HttpProxySpecTest, DeviationWwwLineIsARule) {
  // Upstream's `^\w*$` blank test silently drops "www"; vigie keeps it.
  auto spec = ParseHttpProxyDestination("www\nexample.com");
  ASSERT_TRUE(spec);
  ASSERT_EQ(spec->rules.size(), 2u);
  EXPECT_EQ(spec->rules[0].name, "www");
  EXPECT_EQ(spec->rules[1].number, 2);
  // A single "w" is too short for a host name.
  EXPECT_EQ(ParseHttpProxyDestination("w").error().ToString(), "Bad destination 'w'");
}

TEST(HttpProxySpecTest, EnvironmentUnsetIsEmpty) {
  EXPECT_EQ(ParseHttpProxyEnvironment({}).error().ToString(),
            "No EGRESS_HTTP_PROXY_DESTINATION specified");
  auto spec = ParseHttpProxyEnvironment({{"EGRESS_HTTP_PROXY_DESTINATION", "*"}});
  ASSERT_TRUE(spec);
  EXPECT_TRUE(spec->wildcard);
}

// --- egress_dns_proxy_test.go: TestHAProxyFrontendBackendConf ---------------

std::string Frontend(int n, int port) {
  return "\nfrontend fe" + std::to_string(n) + "\n    bind :" + std::to_string(port) +
         "\n    default_backend be" + std::to_string(n);
}

std::string HaproxyOutput(std::string_view dest, std::map<std::string, int, std::less<>> dns) {
  auto spec = ParseDnsProxyDestination(dest);
  if (!spec) {
    return "error: " + spec.error().ToString();
  }
  return RenderUpstreamHaproxyProxies(*spec, [&](std::string_view name) {
    auto it = dns.find(name);
    return it == dns.end() ? 1 : it->second;
  });
}

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t count = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1)) {
    ++count;
  }
  return count;
}

TEST(UpstreamDnsProxyVectors, GoodInputs) {
  struct Vector {
    std::string dest;
    std::vector<std::string> frontends, backends;
    std::map<std::string, int, std::less<>> dns;
  };
  const std::vector<Vector> vectors = {
      {"80 11.12.13.14",
       {Frontend(1, 80)},
       {"\nbackend be1\n    server dest1 11.12.13.14:80 check"},
       {}},
      {"80 11.12.13.14\n8080 21.22.23.24 100",
       {Frontend(1, 80), Frontend(2, 8080)},
       {"\nbackend be1\n    server dest1 11.12.13.14:80 check",
        "\nbackend be2\n    server dest1 21.22.23.24:100 check"},
       {}},
      {"80 example.com",
       {Frontend(1, 80)},
       {"\nbackend be1\n    server dest1 example.com:80 check resolvers dns-resolver"},
       {{"example.com", 1}}},
      {"80 example.com\n8080 foo.com 100",
       {Frontend(1, 80), Frontend(2, 8080)},
       {"\nbackend be1\n    server dest1 example.com:80 check resolvers dns-resolver",
        "\nbackend be2\n    server dest1 foo.com:100 check resolvers dns-resolver"},
       {{"example.com", 1}, {"foo.com", 1}}},
      {"80 11.12.13.14\n8080 example.com 100",
       {Frontend(1, 80), Frontend(2, 8080)},
       {"\nbackend be1\n    server dest1 11.12.13.14:80 check",
        "\nbackend be2\n    server dest1 example.com:100 check resolvers dns-resolver"},
       {{"example.com", 1}}},
      {"\n# My DNS proxy egress router rules\n\n# Port 80 forwards to 11.12.13.14\n80 "
       "11.12.13.14\n\n"
       "# Port 8080 forwards to port 100 on example.com\n8080 example.com 100\n\n"
       "# Skip this rule for now\n# 9000 foo.com 200\n\n# End\n",
       {Frontend(1, 80), Frontend(2, 8080)},
       {"\nbackend be1\n    server dest1 11.12.13.14:80 check",
        "\nbackend be2\n    server dest1 example.com:100 check resolvers dns-resolver"},
       {{"example.com", 1}}},
      {"\n# Port 8080 forwards to port 100 on example.com\n8080 example.com 100\n",
       {Frontend(1, 8080)},
       {"\nbackend be1\n    server-template dest 3 example.com:100 check resolvers dns-resolver"},
       {{"example.com", 3}}},
      {"\n80 11.12.13.14\n9000 foo.com 200\n8080 example.com 100\n8081 bar.com 100\n",
       {Frontend(1, 80), Frontend(2, 9000), Frontend(3, 8080), Frontend(4, 8081)},
       {"\nbackend be1\n    server dest1 11.12.13.14:80 check",
        "\nbackend be2\n    server-template dest 2 foo.com:200 check resolvers dns-resolver",
        "\nbackend be3\n    server dest1 example.com:100 check resolvers dns-resolver",
        "\nbackend be4\n    server dest1 bar.com:100 check resolvers dns-resolver"},
       {{"foo.com", 2}, {"example.com", 1}, {"bar.com", 1}}},
  };
  for (size_t i = 0; i < vectors.size(); ++i) {
    const Vector& v = vectors[i];
    std::string out = HaproxyOutput(v.dest, v.dns);
    for (const auto& frontend : v.frontends) {
      EXPECT_NE(out.find(frontend), std::string::npos) << "vector " << i + 1 << ": " << out;
    }
    for (const auto& backend : v.backends) {
      EXPECT_NE(out.find(backend), std::string::npos) << "vector " << i + 1 << ": " << out;
    }
    EXPECT_EQ(Count(out, "\nfrontend "), v.frontends.size()) << "vector " << i + 1;
    EXPECT_EQ(Count(out, "\nbackend "), v.backends.size()) << "vector " << i + 1;
  }
}

TEST(UpstreamDnsProxyVectors, ExactBlockText) {
  EXPECT_EQ(HaproxyOutput("80 11.12.13.14", {}),
            "\nfrontend fe1\n    bind :80\n    default_backend be1\n\n"
            "backend be1\n    server dest1 11.12.13.14:80 check \n\n");
}

// --- egress_dns_proxy_test.go: TestHAProxyFrontendBackendConfBad ------------

TEST(UpstreamDnsProxyVectors, BadInputs) {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", "Must specify EGRESS_DNS_PROXY_DESTINATION"},
      {"80 11.12.13.14\ninvalid", "Bad destination 'invalid'"},
      {"80 11.12.13.14\n8080 invalid", "Bad destination '8080 invalid'"},
      {"99999 11.12.13.14", "Invalid port: 99999, must be in the range 1 to 65535"},
      {"80 11.12.13.14 88888", "Invalid port: 88888, must be in the range 1 to 65535"},
      {"80 11.12.13.14\n80 21.22.23.24 100",
       "Proxy port 80 already used, must be unique for each destination"},
  };
  for (size_t i = 0; i < vectors.size(); ++i) {
    EXPECT_EQ(HaproxyOutput(vectors[i].first, {}), "error: " + vectors[i].second)
        << "vector " << i + 1;
  }
}

TEST(DnsProxySpecTest, TypedRules) {
  auto spec = ParseDnsProxyEnvironment(
      {{"EGRESS_DNS_PROXY_DESTINATION", "# c\n53 10.0.0.53\n8080 Example.com. 80\n"},
       {"EGRESS_DNS_PROXY_DEBUG", "1"}});
  ASSERT_TRUE(spec) << spec.error().ToString();
  EXPECT_TRUE(spec->debug);
  ASSERT_EQ(spec->rules.size(), 2u);
  EXPECT_EQ(spec->rules[0].line, 2);
  EXPECT_EQ(spec->rules[0].number, 1);
  ASSERT_TRUE(spec->rules[0].address);
  EXPECT_EQ(spec->rules[0].address->ToString(), "10.0.0.53");
  EXPECT_EQ(spec->rules[0].target_port, 53);
  EXPECT_FALSE(spec->rules[1].address);
  EXPECT_EQ(spec->rules[1].target, "Example.com.");
  EXPECT_EQ(spec->rules[1].target_port, 80);
  EXPECT_EQ(ParseDnsProxyEnvironment({}).error().ToString(),
            "Must specify EGRESS_DNS_PROXY_DESTINATION");
}

TEST(DnsProxySpecTest, LexicalRules) {
  auto error = [](std::string in) {
    auto spec = ParseDnsProxyDestination(in);
    return spec ? std::string("ok") : spec.error().ToString();
  };
  EXPECT_EQ(error("80 a.b"), "ok");
  EXPECT_EQ(error("80 a-.b"), "ok");
  EXPECT_EQ(error("80 -a.b"), "Bad destination '80 -a.b'");
  EXPECT_EQ(error("80 ab."), "Bad destination '80 ab.'");
  EXPECT_EQ(error("80\texample.com"), "Bad destination '80\texample.com'");
  EXPECT_EQ(error("80 example.com x"), "Bad destination '80 example.com x'");
  EXPECT_EQ(error("80 999.1.1.1"), "Bad destination '80 999.1.1.1'");  // deviation
  // The port is checked before the target port.
  EXPECT_EQ(error("0 1.2.3.4 0"), "Invalid port: 0, must be in the range 1 to 65535");
  EXPECT_EQ(error("80 1.2.3.4 0"), "Invalid port: 0, must be in the range 1 to 65535");
}

}  // namespace
}  // namespace vigie::egress
