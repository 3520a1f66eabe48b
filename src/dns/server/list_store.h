// vigie::dns::ListStore: loads the block and allow lists a DnsConfig names
// (files read from disk, http:// and https:// URLs fetched with conditional
// GET, certificates verified), keeps the last good copy of each URL list (in
// `state_dir` when set, else in memory) and falls back to it when a download
// fails (a TLS verification failure included), and builds the immutable
// Policy the workers answer from.
//
// Thread rules: Build may be called from any thread; calls are serialized by
// an internal mutex (the refresher thread and `vigie dns why` use it). The
// returned Policy is immutable.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dns/blocklist/policy.h"
#include "dns/server/config.h"

namespace vigie::dns {

struct ListStatus {
  std::string id;
  std::string source;
  std::string kind;        // "block" or "allow"
  bool ok = false;         // the list was read or downloaded (200 or 304) this time
  bool from_copy = false;  // served from the last good copy
  std::string message;     // "loaded", "not modified", "download failed: ...; using ..."
  uint32_t rules = 0;
  uint32_t errors = 0;
  std::vector<LineIssue> issues;  // the first few bad lines
  std::chrono::system_clock::time_point refreshed;
};

struct BuiltPolicy {
  std::shared_ptr<const Policy> policy;
  std::vector<ListStatus> lists;
  std::chrono::milliseconds build_time{0};
};

class ListStore {
 public:
  ListStore() = default;
  // Reads or downloads every list and builds a Policy; never fails as a
  // whole: a list that cannot be had at all is left out and reported.
  BuiltPolicy Build(const DnsConfig& config);

 private:
  struct UrlState {
    std::string etag;
    std::string last_modified;
    std::string text;  // last good copy, when there is no state_dir
    bool have_text = false;
    std::chrono::system_clock::time_point fetched;
  };
  // The text of one list, or an error; fills status.
  Result<std::string> Load(const DnsConfig& config, const ListSourceConfig& list,
                           ListStatus& status);
  std::mutex mu_;
  std::map<std::string, UrlState> urls_;  // by source URL
};

// The path of a URL list's last good copy under state_dir ("" without one).
std::string CopyPath(const std::string& state_dir, const std::string& list_id);

}  // namespace vigie::dns
