// The DNS message encoder: appends a message to a caller's buffer with name
// compression (owner names, and names inside NS, CNAME, PTR, MX and SOA
// RDATA), within a size budget, and truncates to a size with TC=1.
//
// Thread rules: a MessageWriter is used by one thread; Encode is pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/dns/message.h"

namespace vigie::dns {

// Builds one message at the end of *out. Records are added in section order
// (questions, answer, authority, additional, then EDNS). Each Add* either
// appends the whole item or, when it would push the message past max_size,
// leaves the buffer unchanged and returns false. Finish() writes the header
// with the counts of what was added.
class MessageWriter {
 public:
  MessageWriter(std::vector<std::byte>* out, size_t max_size);

  bool AddQuestion(const Question& q);
  bool AddRecord(Section section, const ResourceRecord& rr);
  bool AddEdns(const Edns& edns);
  // Writes `header` (its counts replaced by the real ones). Call once, last.
  void Finish(const Header& header);

  // Octets written so far for this message.
  size_t size() const { return out_->size() - base_; }
  // Changes the budget for what is added next.
  void set_max_size(size_t max_size) { max_size_ = max_size; }
  // Drops everything after the questions (used to truncate).
  void RollbackToQuestions();

 private:
  struct Suffix {
    std::string key;  // uncompressed wire form of a name suffix, case as written
    uint16_t offset;  // where it starts, relative to base_
  };
  void WriteName(const Name& name);
  void WriteRdata(const ResourceRecord& rr);
  void Rollback(size_t to);

  std::vector<std::byte>* out_;
  size_t base_;
  size_t max_size_;
  std::vector<Suffix> suffixes_;
  size_t questions_end_ = kHeaderSize;
  size_t suffixes_after_questions_ = 0;
  uint16_t counts_[4] = {0, 0, 0, 0};
  int last_section_ = 0;
};

struct EncodeResult {
  size_t size = 0;         // octets appended
  bool truncated = false;  // TC was set and answer/authority dropped
};

// Appends `m` to *out, at most max_size octets (the header and questions
// always go in). If the additional records do not fit they are left out
// without TC (RFC 2181 §9); if the answer or authority does not fit, those
// sections are dropped too and TC=1 is set so the client retries over TCP.
// The OPT record is kept whenever it fits after the questions.
EncodeResult Encode(const Message& m, std::vector<std::byte>* out, size_t max_size = 65535);

// The largest response size a query allows over UDP: its EDNS UDP size
// (at least 512, at most `server_max`), or 512 without EDNS (RFC 6891 §6.2.3).
size_t MaxUdpResponseSize(const Message& query, size_t server_max = kDefaultEdnsUdpSize);

}  // namespace vigie::dns
