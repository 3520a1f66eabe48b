// Runtime API parsing, execution and framing, worded as haproxy 2.6.
#include "lb/stats/cli.h"

#include <charconv>

namespace vigie::lb::stats {
namespace {

constexpr const char* kRequireServer = "Require 'backend/server'.\n";
constexpr const char* kPermissionDenied = "Permission denied\n";

// haproxy's help lines for the commands vigie implements ("  %-40s: %s").
struct HelpLine {
  const char* usage;
  const char* text;
};
constexpr HelpLine kHelp[] = {
    {"clear counters [all]", "clear max statistics counters (or all counters)"},
    {"disable server (DEPRECATED)", "disable a server for maintenance (use 'set server' instead)"},
    {"enable server  (DEPRECATED)", "enable a disabled server (use 'set server' instead)"},
    {"get weight <bk>/<srv>", "report a server's current weight"},
    {"help [<command>]", "list matching or all commands"},
    {"prompt", "toggle interactive mode with prompt"},
    {"quit", "disconnect"},
    {"set server <bk>/<srv> [opts]", "change a server's state, weight, address or ssl"},
    {"set timeout [cli] <delay>", "change a timeout setting"},
    {"set weight <bk>/<srv>  (DEPRECATED)", "change a server's weight (use 'set server' instead)"},
    {"show info [desc|json|typed|float]*", "report information about the running process"},
    {"show servers state [<backend>]",
     "dump volatile server information (all or for a single backend)"},
    {"show stat [desc|json|no-maint|typed|up]*", "report counters for each proxy and server"},
};

std::vector<std::string_view> Words(std::string_view s) {
  std::vector<std::string_view> w;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
      ++i;
    std::size_t j = i;
    while (j < s.size() && s[j] != ' ' && s[j] != '\t')
      ++j;
    if (j > i)
      w.push_back(s.substr(i, j - i));
    i = j;
  }
  return w;
}

Error Reply(std::string text) {
  return Error(Errc::kInvalidArgument, std::move(text));
}

Result<void> SplitServer(std::string_view arg, Command& c) {
  std::size_t slash = arg.find('/');
  if (arg.empty() || slash == std::string_view::npos)
    return Reply(kRequireServer);
  c.backend = std::string(arg.substr(0, slash));
  c.server = std::string(arg.substr(slash + 1));
  return {};
}

bool ParseInt64(std::string_view s, std::int64_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

// haproxy's server_parse_weight_change_request() wording, including its two
// messages that lack a trailing newline.
Result<void> ParseWeight(std::string_view s, Command& c) {
  std::size_t digits = 0;
  if (digits < s.size() && (s[digits] == '-' || s[digits] == '+'))
    ++digits;
  std::size_t start = digits;
  while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9')
    ++digits;
  if (digits == start)
    return Reply("Empty weight string empty or preceded by garbage");
  std::int64_t w = 0;
  std::from_chars(s.data() + (s[0] == '+' ? 1 : 0), s.data() + digits, w);
  std::string_view rest = s.substr(digits);
  if (rest == "%") {
    if (w < 0)
      return Reply("Relative weight must be positive.\n");
    c.weight = static_cast<int>(std::min<std::int64_t>(w, 25600));
    c.weight_percent = true;
    return {};
  }
  if (w < 0 || w > 256)
    return Reply("Absolute weight can only be between 0 and 256 inclusive.\n");
  if (!rest.empty())
    return Reply("Trailing garbage in weight string");
  c.weight = static_cast<int>(w);
  return {};
}

Result<std::chrono::seconds> ParseCliTimeout(std::string_view s) {
  std::size_t d = 0;
  while (d < s.size() && s[d] >= '0' && s[d] <= '9')
    ++d;
  std::int64_t v = 0;
  if (d == 0 || !ParseInt64(s.substr(0, d), v))
    return Reply("Invalid timeout value.\n");
  std::string_view unit = s.substr(d);
  std::int64_t ms = 0;
  if (unit.empty() || unit == "s")
    ms = v * 1000;
  else if (unit == "ms")
    ms = v;
  else if (unit == "m")
    ms = v * 60000;
  else if (unit == "h")
    ms = v * 3600000;
  else if (unit == "d")
    ms = v * 86400000;
  else
    return Reply("Invalid timeout value.\n");
  if (ms < 1000 || ms > 2147483647)
    return Reply("Invalid timeout value.\n");
  return std::chrono::seconds(ms / 1000);
}

std::string UnknownCommand() {
  return "Unknown command, but maybe one of the following ones is a better match:\n" +
         HelpText().substr(
             std::string_view("The following commands are valid at this level:\n").size());
}

}  // namespace

std::string HelpText() {
  std::string out = "The following commands are valid at this level:\n";
  for (const HelpLine& h : kHelp) {
    std::string usage = h.usage;
    if (usage.size() < 40)
      usage.resize(40, ' ');
    out += "  " + usage + ": " + h.text + "\n";
  }
  return out;
}

std::vector<std::string> SplitCommands(std::string_view line) {
  std::vector<std::string> out(1);
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\' && i + 1 < line.size() && line[i + 1] == ';') {
      out.back() += ';';
      ++i;
    } else if (line[i] == ';') {
      out.emplace_back();
    } else {
      out.back() += line[i];
    }
  }
  return out;
}

Result<Command> ParseCommand(std::string_view text) {
  std::vector<std::string_view> w = Words(text);
  Command c;
  auto arg = [&](std::size_t i) { return i < w.size() ? w[i] : std::string_view{}; };
  if (w.empty())
    return Reply(UnknownCommand());
  if (w[0] == "help") {
    c.kind = CommandKind::kHelp;
    return c;
  }
  if (w[0] == "prompt") {
    c.kind = CommandKind::kPrompt;
    return c;
  }
  if (w[0] == "quit") {
    c.kind = CommandKind::kQuit;
    return c;
  }
  if (w[0] == "show" && arg(1) == "info") {
    c.kind = CommandKind::kShowInfo;
    return c;
  }
  if (w[0] == "show" && arg(1) == "stat") {
    c.kind = CommandKind::kShowStat;
    for (std::size_t i = 2; i < w.size(); ++i) {
      if (w[i] == "typed" || w[i] == "json" || w[i] == "desc" || w[i] == "up" ||
          w[i] == "no-maint") {
        return Reply("vigie: 'show stat " + std::string(w[i]) + "' is not supported.\n");
      }
    }
    // Three numeric arguments filter; anything else shows everything, as haproxy.
    std::int64_t a = 0, b = 0, d = 0;
    if (w.size() >= 5 && ParseInt64(w[2], a) && ParseInt64(w[3], b) && ParseInt64(w[4], d)) {
      c.filter = StatFilter{a, b, d};
    }
    return c;
  }
  if (w[0] == "clear" && arg(1) == "counters") {
    c.kind = CommandKind::kClearCounters;
    c.all = arg(2) == "all";  // haproxy ignores any other word there
    return c;
  }
  if (w[0] == "show" && arg(1) == "servers" && arg(2) == "state") {
    c.kind = CommandKind::kShowServersState;
    c.arg = std::string(arg(3));
    return c;
  }
  if ((w[0] == "enable" || w[0] == "disable") && arg(1) == "server") {
    c.kind = w[0] == "enable" ? CommandKind::kEnableServer : CommandKind::kDisableServer;
    VIGIE_TRY(SplitServer(arg(2), c));
    return c;
  }
  if (w[0] == "get" && arg(1) == "weight") {
    c.kind = CommandKind::kGetWeight;
    VIGIE_TRY(SplitServer(arg(2), c));
    return c;
  }
  if (w[0] == "set" && arg(1) == "weight") {
    c.kind = CommandKind::kSetServerWeight;
    VIGIE_TRY(SplitServer(arg(2), c));
    VIGIE_TRY(ParseWeight(arg(3), c));
    return c;
  }
  if (w[0] == "set" && arg(1) == "timeout") {
    if (arg(2) != "cli")
      return Reply("'set timeout' only supports 'cli'.\n");
    if (arg(3).empty())
      return Reply("Expects an integer value.\n");
    c.kind = CommandKind::kSetTimeoutCli;
    VIGIE_ASSIGN_OR_RETURN(c.timeout, ParseCliTimeout(arg(3)));
    return c;
  }
  if (w[0] == "set" && arg(1) == "server") {
    VIGIE_TRY(SplitServer(arg(2), c));
    std::string_view what = arg(3);
    std::string_view value = arg(4);
    if (what == "state") {
      c.kind = CommandKind::kSetServerState;
      if (value == "ready")
        c.admin = ServerAdmin::kReady;
      else if (value == "drain")
        c.admin = ServerAdmin::kDrain;
      else if (value == "maint")
        c.admin = ServerAdmin::kMaint;
      else
        return Reply("'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n");
      return c;
    }
    if (what == "weight") {
      c.kind = CommandKind::kSetServerWeight;
      VIGIE_TRY(ParseWeight(value, c));
      return c;
    }
    if (what == "health") {
      c.kind = CommandKind::kSetServerHealth;
      if (value == "up")
        c.health_up = true;
      else if (value == "down")
        c.health_up = false;
      else
        return Reply("'set server <srv> health' expects 'up', 'stopping', or 'down'.\n");
      return c;
    }
    return Reply(
        "'set server <srv>' only supports 'agent', 'health', 'state', 'weight', 'addr', 'fqdn', "
        "'check-addr' and 'check-port'.\n");
  }
  return Reply(UnknownCommand());
}

std::string Execute(const Command& c, Runtime& rt, Level level) {
  auto find = [&]() -> std::string {
    switch (rt.FindServer(c.backend, c.server)) {
      case Runtime::Lookup::kNoBackend:
        return "No such backend.\n";
      case Runtime::Lookup::kNoServer:
        return "No such server.\n";
      case Runtime::Lookup::kOk:
        break;
    }
    return "";
  };
  auto admin_only = [&]() { return level != Level::kAdmin; };
  switch (c.kind) {
    case CommandKind::kShowInfo:
      return RenderShowInfo(rt.Info());
    case CommandKind::kShowStat:
      return RenderShowStat(rt.Stats(), c.filter);
    case CommandKind::kShowServersState: {
      std::vector<ServerStateRow> rows = rt.ServersState();
      if (!c.arg.empty()) {
        if (!rt.HasBackend(c.arg))
          return "Can't find backend.\n";
        std::erase_if(rows, [&](const ServerStateRow& r) { return r.be_name != c.arg; });
      }
      return RenderShowServersState(rows);
    }
    case CommandKind::kEnableServer:
    case CommandKind::kDisableServer:
    case CommandKind::kSetServerState:
    case CommandKind::kSetServerHealth:
    case CommandKind::kSetServerWeight: {
      if (admin_only())
        return kPermissionDenied;
      if (std::string e = find(); !e.empty())
        return e;
      if (c.kind == CommandKind::kEnableServer)
        rt.SetAdmin(c.backend, c.server, ServerAdmin::kReady);
      else if (c.kind == CommandKind::kDisableServer)
        rt.SetAdmin(c.backend, c.server, ServerAdmin::kMaint);
      else if (c.kind == CommandKind::kSetServerState)
        rt.SetAdmin(c.backend, c.server, c.admin);
      else if (c.kind == CommandKind::kSetServerHealth)
        rt.SetHealth(c.backend, c.server, c.health_up);
      else {
        int w = c.weight;
        if (c.weight_percent) {
          w = std::min(256, rt.GetWeight(c.backend, c.server).second * c.weight / 100);
        }
        auto r = rt.SetWeight(c.backend, c.server, w);
        if (!r)
          return r.error().context();
      }
      return "";
    }
    case CommandKind::kGetWeight: {
      if (std::string e = find(); !e.empty())
        return e;
      auto [cur, init] = rt.GetWeight(c.backend, c.server);
      return std::to_string(cur) + " (initial " + std::to_string(init) + ")\n";
    }
    case CommandKind::kClearCounters:
      if (level == Level::kUser || (c.all && level != Level::kAdmin))
        return kPermissionDenied;
      rt.ClearCounters(c.all);
      return "";
    case CommandKind::kHelp:
      return HelpText();
    case CommandKind::kPrompt:
    case CommandKind::kSetTimeoutCli:
    case CommandKind::kQuit:
      return "";
  }
  return "";
}

CliSession::Reply CliSession::OnLine(std::string_view line, Runtime& runtime) {
  Reply reply;
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  std::vector<std::string> commands = SplitCommands(line);
  for (size_t i = 0; i < commands.size(); ++i) {
    if (reply.output.size() > kMaxLineOutput) {
      reply.output += "vigie: the reply passed " + std::to_string(kMaxLineOutput >> 20) +
                      " MiB; the last " + std::to_string(commands.size() - i) +
                      " commands of this line were not run.\n\n";
      if (prompt_)
        reply.output += "> ";
      break;
    }
    const std::string& text = commands[i];
    auto parsed = ParseCommand(text);
    if (!parsed) {
      reply.output += parsed.error().context();
    } else if (parsed->kind == CommandKind::kQuit) {
      reply.close = true;
      return reply;
    } else if (parsed->kind == CommandKind::kPrompt) {
      prompt_ = !prompt_;
    } else if (parsed->kind == CommandKind::kSetTimeoutCli) {
      timeout_ = parsed->timeout;
    } else {
      reply.output += Execute(*parsed, runtime, level_);
    }
    reply.output += '\n';
    if (prompt_)
      reply.output += "> ";
  }
  reply.close = !prompt_;
  return reply;
}

}  // namespace vigie::lb::stats
