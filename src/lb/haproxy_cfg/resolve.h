// How the sections of a haproxy.cfg combine: what a section inherits from a
// defaults section when it starts (InheritDraft), and the finished drafts
// turned into the model's frontends and backends (Resolve). Pure functions.
#pragma once

#include <vector>

#include "lb/haproxy_cfg/draft.h"
#include "lb/haproxy_cfg/haproxy_cfg.h"

namespace vigie::lb::haproxy_cfg::internal {

// The draft a section of `kind` starts from, as haproxy 2.6 inherits:
// - a proxy (frontend, backend, listen) copies every setting of `base` (the
//   last defaults section, or the one it names with `from`), its
//   default-server included, but starts with no bind, server or use_backend;
// - a defaults section starts from haproxy's built-in values, or from a
//   copy of `base` when it names one with `from`; nullptr = built-in.
// The caller sets name and where. `base` may be nullptr only for kDefaults.
ProxyDraft InheritDraft(SectionKind kind, const ProxyDraft* base);

// Appends to `config` one Backend per backend or listen draft and one
// Frontend per frontend or listen draft, in declaration order:
// - proxy ids from 2 in declaration order, a listen's frontend and backend
//   sharing one (haproxy 2.6's `show stat` iid);
// - server ids: explicit `id`s kept (a duplicate is an error), the others
//   numbered 1, 2, ... skipping the used ones;
// - settings split by side: a backend drops client timeouts, a frontend
//   keeps only client, client-fin and the HTTP ones; http_check set only
//   with `option httpchk`;
// - a frontend's backend: its first use_backend, else default_backend, else
//   itself for a listen, else none (a warning unless it has a monitor-uri);
//   a named backend that does not exist is an error;
// - two frontends, or two backends, with one name are an error.
// Warnings: a backend-only proxy without server, a frontend without bind,
// `http-check expect` without `option httpchk`.
void Resolve(std::vector<ProxyDraft> proxies, Config& config, DiagnosticLog& log);

}  // namespace vigie::lb::haproxy_cfg::internal
