// `vigie reload`: ask a running `vigie serve` to re-read its config, and
// print what it said (the errors, if it refused the new config).
#include <cstdio>

#include "cli/commands.h"
#include "cli/instances.h"
#include "core/server.h"

namespace vigie::cli {

void RegisterReload(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand(
      "reload",
      "Ask the running vigie to re-read and validate its config, then swap to it.\n"
      "On errors the running config is kept, the errors are printed and the exit code is 1.\n"
      "The admin endpoint is found from --admin, else from the config file's admin.listen,\n"
      "else the one standalone vigie (lb, dns, egress, events) running here, else\n"
      "vigie serve's 127.0.0.1:9901.");
  auto path = std::make_shared<std::string>();
  auto admin = std::make_shared<std::string>();
  cmd->add_option("-c,--config", *path, "The config file the running vigie uses");
  cmd->add_option("--admin", *admin, "Admin endpoint address (host:port)");
  cmd->callback([path, admin, &exit_code] {
    Address target = AdminConfig{}.listen;
    if (!admin->empty()) {
      auto parsed = ParseAddress(*admin);
      if (!parsed) {
        std::fprintf(stderr, "--admin: %s\n", parsed.error().ToString().c_str());
        exit_code = 2;
        return;
      }
      target = *parsed;
    } else if (path->empty()) {
      auto found = AdminOrFind({}, "", "vigie reload");
      if (!found) {
        exit_code = 2;
        return;
      }
      auto parsed = ParseAddress(*found);
      if (!parsed) {
        std::fprintf(stderr, "vigie reload: %s: %s\n", found->c_str(),
                     parsed.error().ToString().c_str());
        exit_code = 2;
        return;
      }
      target = *parsed;
    } else {
      // Only the admin address is needed; the server validates the rest.
      config::Diagnostics diag(*path);
      auto doc = config::LoadFile(*path, diag);
      if (doc) {
        if (const auto* a = doc->root.Find("admin")) {
          if (const auto* l = a->Find("listen")) {
            if (auto parsed = ParseAddress(l->scalar)) {
              target = *parsed;
            }
          }
        }
      }
    }
    auto reply = CallAdmin(target, "POST", "/reload", std::chrono::seconds(30));
    if (!reply) {
      std::fprintf(stderr, "vigie reload: %s\n", reply.error().ToString().c_str());
      exit_code = 2;
      return;
    }
    std::fputs(reply->body.c_str(), reply->status == 200 ? stdout : stderr);
    exit_code = reply->status == 200 ? 0 : 1;
  });
}

}  // namespace vigie::cli
