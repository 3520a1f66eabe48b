// The threads: N worker io_contexts, one thread each (a connection stays on
// its worker for life), plus one control io_context run by the main thread
// for the admin endpoint, reloads and signals.
//
// Thread rules: construct, Start and Join from the main thread. worker(i) and
// workers() may be used from any thread once started.
#pragma once

#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "core/net.h"

namespace vigie {

class Runtime {
 public:
  // `workers` <= 0 means one per core.
  explicit Runtime(int workers);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  net::asio::io_context& control() { return control_; }
  std::size_t worker_count() const { return workers_.size(); }
  net::asio::io_context& worker(std::size_t i) { return *workers_[i]; }
  // Every worker context, e.g. for net::ListenTcpOn.
  std::vector<net::asio::io_context*> workers();
  // The next worker in round-robin order, for work not tied to a connection.
  net::asio::io_context& NextWorker();

  // Starts one thread per worker. The workers keep running until Release.
  void StartWorkers();
  // Lets each worker return once it has no more work (drain).
  void ReleaseWorkers();
  // True when every worker thread has returned from run().
  bool WorkersIdle() const;
  // Stops the workers now, abandoning their remaining work.
  void StopWorkers();
  void JoinWorkers();

 private:
  net::asio::io_context control_{1};
  std::vector<std::unique_ptr<net::asio::io_context>> workers_;
  std::vector<std::optional<net::asio::executor_work_guard<net::asio::io_context::executor_type>>>
      guards_;
  std::vector<std::thread> threads_;
  std::unique_ptr<std::atomic<int>> running_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace vigie
