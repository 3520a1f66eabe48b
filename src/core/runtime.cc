// Worker threads.
#include "core/runtime.h"

#include <atomic>

#include "core/log.h"

namespace vigie {

Runtime::Runtime(int workers) : running_(std::make_unique<std::atomic<int>>(0)) {
  std::size_t n = workers > 0 ? static_cast<std::size_t>(workers)
                              : std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < n; ++i) {
    // Concurrency hint 1: each context is only ever run by its own thread.
    workers_.push_back(std::make_unique<net::asio::io_context>(1));
    guards_.emplace_back(net::asio::make_work_guard(*workers_.back()));
  }
}

Runtime::~Runtime() {
  StopWorkers();
  JoinWorkers();
}

std::vector<net::asio::io_context*> Runtime::workers() {
  std::vector<net::asio::io_context*> out;
  out.reserve(workers_.size());
  for (auto& w : workers_) {
    out.push_back(w.get());
  }
  return out;
}

net::asio::io_context& Runtime::NextWorker() {
  return *workers_[next_.fetch_add(1, std::memory_order_relaxed) % workers_.size()];
}

void Runtime::StartWorkers() {
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    running_->fetch_add(1);
    threads_.emplace_back([this, i] {
      auto logger = log::Get("runtime");
      for (;;) {
        try {
          workers_[i]->run();
          break;
        } catch (const std::exception& e) {
          // A handler threw: log it and keep the worker alive.
          logger->error("worker {}: unhandled exception: {}", i, e.what());
        }
      }
      running_->fetch_sub(1);
    });
  }
}

void Runtime::ReleaseWorkers() {
  for (auto& g : guards_) {
    g.reset();
  }
}

bool Runtime::WorkersIdle() const {
  return running_->load() == 0;
}

void Runtime::StopWorkers() {
  ReleaseWorkers();
  for (auto& w : workers_) {
    w->stop();
  }
}

void Runtime::JoinWorkers() {
  for (auto& t : threads_) {
    if (t.joinable()) {
      t.join();
    }
  }
  threads_.clear();
}

}  // namespace vigie
