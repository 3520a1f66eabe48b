// Fuzz target: whatever a stats-socket client sends, line by line, never
// crashes the session, and:
// - a session not left in prompt mode closes after each line (haproxy's
//   non-interactive mode), and every reply it sends ends in '\n', so the
//   empty line that frames a command's answer is there for hatop to find;
// - a `level user` session changes nothing: every state command is refused.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lb/stats/cli.h"
#include "lb/stats/fake_runtime.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using vigie::lb::stats::CliSession;
using vigie::lb::stats::FakeRuntime;
using vigie::lb::stats::Level;

bool SameState(const FakeRuntime& a, const FakeRuntime& b) {
  if (a.backends.size() != b.backends.size())
    return false;
  for (const auto& [name, servers] : a.backends) {
    auto it = b.backends.find(name);
    if (it == b.backends.end() || it->second.size() != servers.size())
      return false;
    for (const auto& [sname, s] : servers) {
      auto jt = it->second.find(sname);
      if (jt == it->second.end() || jt->second.weight != s.weight || jt->second.admin != s.admin ||
          jt->second.up != s.up)
        return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  FakeRuntime admin_rt;
  FakeRuntime user_rt;
  const FakeRuntime initial;
  CliSession admin(Level::kAdmin);
  CliSession user(Level::kUser);
  bool admin_open = true;
  bool user_open = true;
  while (!in.empty() && (admin_open || user_open)) {
    std::size_t eol = in.find('\n');
    std::string_view line = in.substr(0, eol);
    in = eol == std::string_view::npos ? std::string_view() : in.substr(eol + 1);
    for (auto [session, rt, open] :
         {std::tuple(&admin, &admin_rt, &admin_open), std::tuple(&user, &user_rt, &user_open)}) {
      if (!*open)
        continue;
      CliSession::Reply r = session->OnLine(line, *rt);
      bool quit = r.close && session->prompt();
      if (!session->prompt() && !r.close)
        std::abort();  // non-interactive sessions answer one line, then close
      if (!quit && !r.output.empty() && r.output.back() != '\n' && !session->prompt())
        std::abort();
      *open = !r.close;
    }
  }
  if (!SameState(user_rt, initial))
    std::abort();
  return 0;
}
