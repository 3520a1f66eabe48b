// Server selection for one backend, as haproxy 2.6 does it: roundrobin
// (dynamic, weighted, smooth), static-rr (haproxy's precomputed map),
// leastconn (weighted, ties by round robin), source (consistent hash of the
// client address, haproxy's chash), first (lowest id with a free slot).
// Backup servers serve only when no active server is usable (the first
// usable backup, or all of them with `option allbackups`). Per-server
// maxconn makes Select() answer "queue" when every candidate is full;
// slowstart ramps the effective weight from the time a server comes back.
//
// Pure: time is an argument, no I/O, no locks. Thread rules: one ServerPool
// is used by one thread at a time (the worker that owns the backend).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"

namespace vigie::lb::balance {

using Clock = std::chrono::steady_clock;

enum class Algorithm { kRoundRobin, kStaticRr, kLeastConn, kSource, kFirst };

// Operator-set state (`set server B/S state ...`).
enum class AdminState {
  kReady,  // takes traffic when healthy
  kDrain,  // effective weight 0: no new connections, existing ones stay
  kMaint,  // out of service, as if down
};

struct ServerSpec {
  std::string name;
  int id = 0;       // haproxy's server id (`first` orders by it); 0 = position + 1
  int weight = 1;   // 0..256, the configured ("initial") weight
  int maxconn = 0;  // 0 = unlimited
  bool backup = false;
  std::chrono::milliseconds slowstart{0};
  int maxqueue = 0;  // connections waiting for this server at most; 0 = unlimited
};

struct PoolOptions {
  Algorithm algorithm = Algorithm::kRoundRobin;
  bool allbackups = false;  // `option allbackups`
};

// The outcome of Select().
struct Pick {
  enum class Kind {
    kServer,    // connect to `server`; its connection count was incremented
    kQueue,     // every candidate is at maxconn: wait; `server` names the
                // server's own queue (source hashing) or is kNone (backend queue)
    kNoServer,  // no usable server at all: refuse the connection
  };
  static constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
  Kind kind = Kind::kNoServer;
  std::size_t server = kNone;  // index into the pool's servers

  friend bool operator==(const Pick&, const Pick&) = default;
};

// haproxy's weight scale: effective weights are user weight x 16 at full
// speed (BE_WEIGHT_SCALE), so slowstart can ramp in 1/16 steps.
inline constexpr int kWeightScale = 16;
inline constexpr int kMaxUserWeight = 256;

class ServerPool {
 public:
  // Servers start healthy, ready, at full weight (haproxy starts servers UP
  // and never applies slowstart at startup).
  ServerPool(PoolOptions options, std::vector<ServerSpec> servers);

  std::size_t size() const { return servers_.size(); }
  const ServerSpec& spec(std::size_t i) const { return servers_[i].spec; }
  // Index of the server named `name`, or Pick::kNone.
  std::size_t Find(std::string_view name) const;

  // Health-check verdict. Going up after having been down starts slowstart
  // at `now`.
  void SetHealthy(std::size_t i, bool healthy, Clock::time_point now);
  bool healthy(std::size_t i) const { return servers_[i].healthy; }

  // Leaving maintenance also starts slowstart at `now`.
  void SetAdmin(std::size_t i, AdminState state, Clock::time_point now);
  AdminState admin(std::size_t i) const { return servers_[i].admin; }

  // `set weight` / `set server B/S weight`: a user weight 0..256. With
  // static-rr only 0 and the initial weight are accepted (haproxy: "Backend
  // is using a static LB algorithm and only accepts weights '0%' and
  // '100%'."); errors are kInvalidArgument with haproxy's wording.
  Result<void> SetWeight(std::size_t i, int weight);
  int user_weight(std::size_t i) const { return servers_[i].user_weight; }

  // Effective weight at `now` on haproxy's x16 scale: 0 when not usable
  // (down, maint, drain, weight 0), ramping during slowstart.
  int EffectiveWeight(std::size_t i, Clock::time_point now) const;
  // Connection cap at `now` (maxconn ramped during slowstart); 0 = unlimited.
  int DynamicMaxconn(std::size_t i, Clock::time_point now) const;
  bool Usable(std::size_t i, Clock::time_point now) const { return EffectiveWeight(i, now) > 0; }

  // Picks a server for a new connection from `client_address` (4 bytes for
  // IPv4, 16 for IPv6, network order; only `source` reads it). On kServer
  // the server's connection count is already incremented. `avoid` (a
  // redispatch: the server the connection just failed on) is left out
  // while another candidate remains, as haproxy's assign_server avoids the
  // previous server.
  Pick Select(std::span<const std::uint8_t> client_address, Clock::time_point now,
              std::size_t avoid = Pick::kNone);
  // A connection to `i` ended (or failed); frees its slot.
  void ConnectionEnded(std::size_t i);
  // Counts a connection that was not assigned by Select (e.g. dequeued).
  void ConnectionStarted(std::size_t i);
  int connections(std::size_t i) const { return servers_[i].served; }

  // Server queues (haproxy's per-server pendconns). With `source` a client
  // hashes to one server, and when that server is full it waits for that
  // server: HashTarget names it (full or not; Pick::kNone for the other
  // algorithms, which queue in the backend, or when none is usable). A
  // waiter joins and leaves through QueueChanged; QueueFull says the server
  // already has `maxqueue` waiting, and haproxy then refuses the connection
  // (SRV_STATUS_FULL: a failed connection, `econ`) rather than queue it.
  std::size_t HashTarget(std::span<const std::uint8_t> client_address, Clock::time_point now);
  void QueueChanged(std::size_t i, int delta) { servers_[i].queued += delta; }
  int queued(std::size_t i) const { return servers_[i].queued; }
  bool QueueFull(std::size_t i) const {
    return servers_[i].spec.maxqueue > 0 && servers_[i].queued >= servers_[i].spec.maxqueue;
  }

  // Usable active and backup servers at `now` (for "N active and M backup
  // servers left" log lines).
  int UsableActive(Clock::time_point now) const;
  int UsableBackup(Clock::time_point now) const;

 private:
  struct State {
    ServerSpec spec;
    int user_weight = 1;
    bool healthy = true;
    AdminState admin = AdminState::kReady;
    Clock::time_point ramp_start{};
    bool ramping = false;
    int served = 0;
    int queued = 0;                   // waiters bound to this server (source hashing)
    std::int64_t smooth_current = 0;  // roundrobin
    std::uint64_t position_seq = 0;   // leastconn tie-break: when last repositioned
  };

  bool Full(std::size_t i, Clock::time_point now) const;
  // Candidate indices (usable active, else backups per allbackups) at now.
  std::vector<std::size_t> Candidates(Clock::time_point now) const;
  Pick Take(std::size_t i);
  Pick SelectRoundRobin(const std::vector<std::size_t>& c, Clock::time_point now);
  Pick SelectStatic(const std::vector<std::size_t>& c, Clock::time_point now);
  Pick SelectLeastConn(const std::vector<std::size_t>& c, Clock::time_point now);
  Pick SelectSource(const std::vector<std::size_t>& c, std::span<const std::uint8_t> addr,
                    Clock::time_point now);
  // The ring's server for `addr` among `c`, or Pick::kNone when empty.
  std::size_t HashChoose(const std::vector<std::size_t>& c, std::span<const std::uint8_t> addr,
                         Clock::time_point now);
  Pick SelectFirst(const std::vector<std::size_t>& c, Clock::time_point now);
  void Reposition(std::size_t i) { servers_[i].position_seq = ++seq_; }

  PoolOptions options_;
  std::vector<State> servers_;
  std::uint64_t seq_ = 0;
  // static-rr map, rebuilt when the candidate set or weights change.
  std::vector<std::size_t> map_;
  std::vector<std::pair<std::size_t, int>> map_key_;
  std::size_t map_index_ = 0;
  // source: consistent-hash ring (key, server), rebuilt like the map.
  std::vector<std::pair<std::uint32_t, std::size_t>> ring_;
  std::vector<std::pair<std::size_t, int>> ring_key_;
};

// haproxy's full_hash() (Bob Jenkins' full avalanche) and the source-address
// hash get_server_sh() feeds the consistent-hash ring with.
std::uint32_t FullHash(std::uint32_t a);
std::uint32_t SourceHash(std::span<const std::uint8_t> address);

}  // namespace vigie::lb::balance
