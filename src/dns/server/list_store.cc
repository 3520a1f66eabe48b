// Loading lists (files, conditional HTTP(S) GET, last good copy) and building
// the Policy.
#include "dns/server/list_store.h"

#include <fstream>
#include <sstream>

#include "core/file.h"
#include "core/log.h"
#include "dns/server/http_fetch.h"

namespace vigie::dns {
namespace {

Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error(vigie::Errc::kNotFound, path + ": cannot open");
  }
  in.seekg(0, std::ios::end);
  const auto size = static_cast<uint64_t>(in.tellg());
  if (size > max_bytes) {
    return Error(vigie::Errc::kLimitExceeded, path + ": larger than max_list_size");
  }
  in.seekg(0);
  std::string text(size, '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  if (!in) {
    return Error(vigie::Errc::kIo, path + ": read error");
  }
  return text;
}

std::vector<std::byte> LocalRdata(const LocalRecordConfig& r) {
  std::vector<std::byte> out;
  if (r.type == rr_type::kA || r.type == rr_type::kAaaa) {
    auto ip = IpAddress::Parse(r.value);
    for (size_t i = 0; ip && i < ip->size(); ++i) {
      out.push_back(std::byte(ip->bytes()[i]));
    }
  } else if (auto n = Name::FromText(r.value)) {
    for (char c : n->wire()) {
      out.push_back(std::byte(static_cast<uint8_t>(c)));
    }
  }
  return out;
}

}  // namespace

std::string CopyPath(const std::string& state_dir, const std::string& list_id) {
  if (state_dir.empty()) {
    return "";
  }
  std::string safe;
  for (char c : list_id) {
    safe +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') ? c : '_';
  }
  return state_dir + "/" + safe + ".list";
}

Result<std::string> ListStore::Load(const DnsConfig& config, const ListSourceConfig& list,
                                    ListStatus& status) {
  status.refreshed = std::chrono::system_clock::now();
  if (!list.IsUrl()) {
    auto text = ReadFile(list.source, config.max_list_bytes);
    status.ok = static_cast<bool>(text);
    status.message = text ? "loaded" : text.error().ToString();
    return text;
  }
  UrlState& st = urls_[list.source];
  const std::string copy = CopyPath(config.state_dir, list.id);
  const std::string meta = copy.empty() ? "" : copy + ".meta";
  if (!meta.empty() && st.etag.empty() && st.last_modified.empty()) {
    // First load after a restart: the validators saved with the copy.
    if (auto m = ReadFile(meta, 4096)) {
      std::istringstream in(*m);
      std::getline(in, st.etag);
      std::getline(in, st.last_modified);
    }
  }
  auto have_copy = [&]() -> bool {
    if (!copy.empty()) {
      std::ifstream f(copy);
      return static_cast<bool>(f);
    }
    return st.have_text;
  };
  auto read_copy = [&]() -> Result<std::string> {
    if (!copy.empty()) {
      return ReadFile(copy, config.max_list_bytes);
    }
    return st.text;
  };
  HttpFetchRequest req;
  req.url = list.source;
  req.ca_file = list.ca_file;
  req.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(config.download_timeout);
  req.max_bytes = config.max_list_bytes;
  if (have_copy()) {
    req.etag = st.etag;
    req.last_modified = st.last_modified;
  }
  auto res = HttpGet(req);
  if (res && res->status == 200) {
    st.etag = res->etag;
    st.last_modified = res->last_modified;
    st.fetched = status.refreshed;
    if (!copy.empty()) {
      auto saved = WriteFileAtomically(copy, res->body);
      if (saved) {
        saved = WriteFileAtomically(meta, st.etag + "\n" + st.last_modified + "\n");
      }
      if (!saved) {
        log::Get("dns")->warn("list {}: cannot save the last good copy: {}", list.id,
                              saved.error().ToString());
      }
    } else {
      st.text = res->body;
      st.have_text = true;
    }
    status.ok = true;
    status.message = "downloaded";
    return std::move(res->body);
  }
  if (res) {  // 304
    auto text = read_copy();
    if (text) {
      status.ok = true;
      status.from_copy = true;
      status.message = "not modified";
      return text;
    }
    st.etag.clear();
    st.last_modified.clear();
    status.message = "not modified, but the saved copy is gone: " + text.error().ToString();
    return text.error();
  }
  status.ok = false;
  const std::string why = res.error().ToString();
  if (have_copy()) {
    auto text = read_copy();
    if (text) {
      status.from_copy = true;
      status.message = "download failed (" + why + "); using the last good copy";
      return text;
    }
  }
  status.message = "download failed (" + why + "); no previous copy";
  return res.error();
}

BuiltPolicy ListStore::Build(const DnsConfig& config) {
  std::lock_guard lock(mu_);
  const auto start = std::chrono::steady_clock::now();
  BuiltPolicy out;
  PolicyBuilder builder;
  auto add = [&](const ListSourceConfig& list, const char* kind, bool force_allow) {
    ListStatus status;
    status.id = list.id;
    status.source = list.source;
    status.kind = kind;
    uint16_t index = builder.AddList(ListInfo{list.id, list.source});
    auto text = Load(config, list, status);
    if (text) {
      ParseOptions opts;
      opts.format = list.format;
      opts.max_reported_issues = 20;
      ParseReport report = builder.AddListText(
          index, *text, opts,
          force_allow ? std::optional<RuleAction>(RuleAction::kAllow) : std::nullopt);
      status.rules = report.rules;
      status.errors = report.errors;
      status.issues = std::move(report.issues);
    }
    out.lists.push_back(std::move(status));
  };
  for (const auto& l : config.block) {
    add(l, "block", false);
  }
  for (const auto& l : config.allow) {
    add(l, "allow", true);
  }
  for (const auto& r : config.local) {
    auto name = NormalizeDomain(r.name);
    if (name) {
      (void)builder.AddLocalRecord(*name, LocalRecord{r.type, r.ttl, LocalRdata(r)});
    }
  }
  out.policy = std::make_shared<const Policy>(std::move(builder).Build());
  out.build_time = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  return out;
}

}  // namespace vigie::dns
