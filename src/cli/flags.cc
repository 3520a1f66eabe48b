// The shared serve flags, the flags-to-config overlay, admin requests.
#include "cli/flags.h"

#include <cstdio>

#include "cli/commands.h"
#include "cli/instances.h"

namespace vigie::cli {

CLI::Option* AddServeFlags(CLI::App& cmd, ServeFlags& flags, const ServeFlagsSpec& spec) {
  CLI::Option* config = nullptr;
  if (!spec.config_help.empty()) {
    config =
        cmd.add_option("-c,--config", flags.config, spec.config_help)->check(CLI::ExistingFile);
  }
  cmd.add_option("--admin", flags.admin,
                 "Admin endpoint: /healthz, /metrics, /status, POST /reload (default " +
                     spec.admin_default + ")");
  cmd.add_option("-j,--workers", flags.workers, "Worker threads (default: one per core)")
      ->check(CLI::Range(0, 256));
  cmd.add_option("--log-level", flags.log_level,
                 "trace, debug, info, warn, error, critical or off (default info)");
  cmd.add_option("--log-format", flags.log_format, "text or json (default text)");
  return config;
}

ConfigSource ServeSource(const ServeFlags& flags, const ServeFlagsSpec& spec,
                         config::Overlay component) {
  ConfigSource source;
  source.path = flags.config;
  if (flags.config.empty()) {
    source.embedded_text = spec.default_config;
  }
  config::Overlay& o = source.overlay;
  if (!flags.admin.empty()) {
    o.Set("admin.listen", flags.admin, "--admin");
  } else if (flags.config.empty() && spec.default_config.empty()) {
    o.Set("admin.listen", spec.admin_default, "--admin (default)");
  }
  if (flags.workers >= 0) {
    o.Set("runtime.workers", std::to_string(flags.workers), "--workers");
  }
  if (!flags.log_level.empty()) {
    o.Set("log.level", flags.log_level, "--log-level");
  }
  if (!flags.log_format.empty()) {
    o.Set("log.format", flags.log_format, "--log-format");
  }
  o.Append(component);
  return source;
}

int Serve(const ConfigSource& source, std::vector<ComponentSpec> specs,
          const std::function<void()>& on_ready, std::string_view instance) {
  Server server(source, std::move(specs), Version());
  std::optional<InstanceRecord> record;
  server.OnReady([&] {
    if (!instance.empty()) {
      record.emplace(instance, server.admin_address());
    }
    if (on_ready) {
      on_ready();
    }
  });
  return server.Run();  // `record` is removed as Serve returns
}

std::optional<AdminResponse> AskAdmin(const std::string& admin, const std::string& target,
                                      const std::string& who) {
  auto address = ParseAddress(admin, AddressOptions{.allow_unix = true, .allow_any_host = false});
  if (!address) {
    std::fprintf(stderr, "%s: --admin: %s\n", who.c_str(), address.error().ToString().c_str());
    return std::nullopt;
  }
  auto reply = CallAdmin(*address, "GET", target, std::chrono::seconds(10));
  if (!reply) {
    std::fprintf(stderr, "%s: %s: %s\n", who.c_str(), admin.c_str(),
                 reply.error().ToString().c_str());
    return std::nullopt;
  }
  return std::move(*reply);
}

int PrintAdminGet(const std::string& admin, const std::string& target, const std::string& who) {
  auto reply = AskAdmin(admin, target, who);
  if (!reply) {
    return 2;
  }
  std::fputs(reply->body.c_str(), reply->status == 200 ? stdout : stderr);
  return reply->status == 200 ? 0 : 1;
}

}  // namespace vigie::cli
