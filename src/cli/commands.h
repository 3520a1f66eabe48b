// The subcommand table's entries. Each <cmd>_main.cc registers one
// subcommand on the CLI11 app; main.cc lists them. Subcommands are thin:
// parse flags, load config, call into core or a component, set the exit code.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/component.h"

namespace vigie::dns {
struct DnsFlags;
}  // namespace vigie::dns

namespace vigie::cli {

// The embedded default config (src/cli/default_config.yaml).
const char* DefaultConfig();
// vigie's version string.
const char* Version();
const char* ReleaseDate();  // "YYYY/MM/DD", as haproxy prints its own
// Every component `vigie serve` can run, in DESIGN.md's order.
std::vector<ComponentSpec> AllComponents();
// The same, with every section but `name`'s ignored (not started, not
// checked), so `vigie dns -c vigie.yaml` runs only the dns part of a full config.
std::vector<ComponentSpec> OnlySpecs(const std::string& name);

// Each Register function adds one subcommand; when it runs, it stores the
// process exit code in `exit_code`.
void RegisterServe(CLI::App& app, int& exit_code);
void RegisterCheck(CLI::App& app, int& exit_code);
void RegisterReload(CLI::App& app, int& exit_code);
void RegisterVersion(CLI::App& app, int& exit_code);

// Components: each <component>_main.cc registers its subcommand
// (`vigie lb`, `vigie dns`...) and adds its ComponentSpec for `vigie serve`.
void RegisterLb(CLI::App& app, int& exit_code);
void RegisterEgress(CLI::App& app, int& exit_code);
void RegisterDns(CLI::App& app, int& exit_code);
void RegisterEvents(CLI::App& app, int& exit_code);
void AddLbSpec(std::vector<ComponentSpec>& specs);
void AddEgressSpec(std::vector<ComponentSpec>& specs);
void AddDnsSpec(std::vector<ComponentSpec>& specs);
void AddEventsSpec(std::vector<ComponentSpec>& specs);

// `vigie dns why` and `vigie dns top`, under `vigie dns`; --block/--allow,
// which `vigie dns` and `vigie dns why` share.
void RegisterDnsWhy(CLI::App* dns, int& exit_code);
// `vigie egress check`, under `vigie egress`.
void RegisterEgressCheck(CLI::App* egress, int& exit_code);
void RegisterDnsTop(CLI::App* dns, int& exit_code);
std::vector<CLI::Option*> AddDnsListFlags(CLI::App* cmd, dns::DnsFlags& f);

}  // namespace vigie::cli
