// The query log: one JSON line per query (dns/stats/query_record.h) written
// by a thread of its own, so queries never wait for the disk. Each worker
// pushes records into its own bounded queue; when the queue is full the
// record is dropped and counted. The file is rotated by size (path.1 ..
// path.keep, as logrotate would) and reopened on Reopen() (SIGHUP/reload:
// after an external logrotate has moved it away).
//
// Thread rules: Push(worker, …) from that worker's thread only (one queue
// per worker, each behind its own lock); Configure/Reopen/Flush/Stop from
// any one thread (the control thread); the writer thread is internal.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics.h"
#include "dns/server/config.h"
#include "dns/stats/query_record.h"

namespace vigie::dns {

struct QueryLogCounters {
  metrics::Counter* lines = nullptr;      // lines written
  metrics::Counter* dropped = nullptr;    // records dropped: queue full or file not writable
  metrics::Counter* rotations = nullptr;  // size rotations
  metrics::Counter* errors = nullptr;     // open/write/rename failures
};

class QueryLog {
 public:
  QueryLog(size_t workers, QueryLogCounters counters);
  ~QueryLog();
  QueryLog(const QueryLog&) = delete;
  QueryLog& operator=(const QueryLog&) = delete;

  // New settings (path, size, keep, queue bound); the file is reopened
  // before the next write. An empty path stops logging (queues dropped).
  void Configure(const QueryLogConfig& config);
  // Close and reopen the file before the next write (logrotate's SIGHUP).
  void Reopen();
  // Whether Push() keeps records; read on the workers' hot path.
  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }

  // Queues one record from `worker`; drops it (counted) when that worker's
  // queue is full. Never blocks on I/O.
  void Push(size_t worker, QueryRecord record);

  // Starts the writer thread: it flushes the queues every `interval` and
  // when a queue is half full.
  void Start(std::chrono::milliseconds interval = std::chrono::milliseconds(200));
  // Writes what is queued now, on the calling thread (tests, shutdown).
  void Flush();
  // Flushes and stops the writer thread.
  void Stop();

 private:
  struct Queue {
    std::mutex mu;
    std::vector<QueryRecord> records;
  };
  void WriterLoop(std::chrono::milliseconds interval);
  void WriteBatch(std::vector<QueryRecord>& batch);  // io_mu_ held
  bool OpenFile();                                   // io_mu_ held
  void CloseFile();                                  // io_mu_ held
  void Rotate();                                     // io_mu_ held

  QueryLogCounters counters_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::atomic<bool> enabled_{false};
  std::atomic<uint32_t> queue_limit_{10000};

  std::mutex io_mu_;  // everything below
  QueryLogConfig config_;
  std::FILE* file_ = nullptr;
  uint64_t size_ = 0;
  bool reopen_ = false;
  bool open_failed_ = false;  // report an unwritable path once, not per flush
  std::string buffer_;

  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool kick_ = false;
  std::thread writer_;
};

}  // namespace vigie::dns
