// The query log writer (see query_log.h).
#include "dns/server/query_log.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

namespace vigie::dns {

QueryLog::QueryLog(size_t workers, QueryLogCounters counters) : counters_(counters) {
  for (size_t i = 0; i < std::max<size_t>(1, workers); ++i) {
    queues_.push_back(std::make_unique<Queue>());
  }
}

QueryLog::~QueryLog() {
  Stop();
  std::lock_guard lock(io_mu_);
  CloseFile();
}

void QueryLog::Configure(const QueryLogConfig& config) {
  std::lock_guard lock(io_mu_);
  config_ = config;
  reopen_ = true;
  open_failed_ = false;
  queue_limit_ = config.queue_lines;
  enabled_ = config.enabled();
}

void QueryLog::Reopen() {
  std::lock_guard lock(io_mu_);
  reopen_ = true;
  open_failed_ = false;
}

void QueryLog::Push(size_t worker, QueryRecord record) {
  Queue& q = *queues_[worker % queues_.size()];
  const uint32_t limit = queue_limit_.load(std::memory_order_relaxed);
  bool kick = false;
  {
    std::lock_guard lock(q.mu);
    if (q.records.size() >= limit) {
      counters_.dropped->Inc();
      return;
    }
    q.records.push_back(std::move(record));
    kick = q.records.size() == limit / 2;
  }
  if (kick) {
    {
      std::lock_guard lock(wake_mu_);
      kick_ = true;
    }
    wake_.notify_one();
  }
}

void QueryLog::Start(std::chrono::milliseconds interval) {
  if (writer_.joinable()) {
    return;
  }
  {
    std::lock_guard lock(wake_mu_);
    stop_ = false;
  }
  writer_ = std::thread([this, interval] { WriterLoop(interval); });
}

void QueryLog::WriterLoop(std::chrono::milliseconds interval) {
  std::unique_lock lock(wake_mu_);
  while (!stop_) {
    wake_.wait_for(lock, interval, [this] { return stop_ || kick_; });
    kick_ = false;
    lock.unlock();
    Flush();
    lock.lock();
  }
}

void QueryLog::Stop() {
  {
    std::lock_guard lock(wake_mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) {
    writer_.join();
  }
  Flush();
}

void QueryLog::Flush() {
  std::vector<QueryRecord> batch;
  std::lock_guard io(io_mu_);
  for (auto& q : queues_) {
    {
      std::lock_guard lock(q->mu);
      batch.swap(q->records);
    }
    WriteBatch(batch);
    batch.clear();
  }
  if (file_ != nullptr) {
    std::fflush(file_);
  }
}

void QueryLog::WriteBatch(std::vector<QueryRecord>& batch) {
  if (batch.empty()) {
    return;
  }
  if (!config_.enabled()) {
    counters_.dropped->Inc(batch.size());
    return;
  }
  if (reopen_ || file_ == nullptr) {
    CloseFile();
    reopen_ = false;
    if (!OpenFile()) {
      counters_.dropped->Inc(batch.size());
      return;
    }
  }
  for (const QueryRecord& r : batch) {
    buffer_.clear();
    AppendJsonLine(r, &buffer_);
    if (size_ > 0 && size_ + buffer_.size() > config_.max_bytes) {
      Rotate();
      if (file_ == nullptr) {
        counters_.dropped->Inc();
        continue;
      }
    }
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size()) {
      counters_.errors->Inc();
      counters_.dropped->Inc();
      continue;
    }
    size_ += buffer_.size();
    counters_.lines->Inc();
  }
}

bool QueryLog::OpenFile() {
  // 0640: queries say who looked up what; not for every local user.
  const int fd = ::open(config_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) {
    counters_.errors->Inc();
    if (!open_failed_) {
      log::Get("dns")->error("query_log: cannot open {}: {}", config_.path, std::strerror(errno));
      open_failed_ = true;
    }
    return false;
  }
  struct stat st {};
  size_ = ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
  file_ = ::fdopen(fd, "a");
  if (file_ == nullptr) {
    ::close(fd);
    counters_.errors->Inc();
    return false;
  }
  open_failed_ = false;
  return true;
}

void QueryLog::CloseFile() {
  if (file_ != nullptr) {
    std::fclose(file_);
    file_ = nullptr;
  }
  size_ = 0;
}

void QueryLog::Rotate() {
  CloseFile();
  counters_.rotations->Inc();
  const std::string& p = config_.path;
  if (config_.keep == 0) {
    if (::truncate(p.c_str(), 0) != 0) {
      counters_.errors->Inc();
    }
  } else {
    // path.(keep-1) -> path.keep, ..., path -> path.1; the oldest is
    // overwritten by the rename.
    for (uint32_t i = config_.keep; i > 1; --i) {
      const std::string from = p + "." + std::to_string(i - 1);
      const std::string to = p + "." + std::to_string(i);
      if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
        counters_.errors->Inc();
      }
    }
    if (::rename(p.c_str(), (p + ".1").c_str()) != 0) {
      counters_.errors->Inc();
    }
  }
  (void)OpenFile();
}

}  // namespace vigie::dns
