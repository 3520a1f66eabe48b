// The encoder with suffix-table name compression.
#include "core/dns/writer.h"

#include <algorithm>

#include "core/check.h"

namespace vigie::dns {
namespace {

constexpr size_t kMaxSuffixes = 128;
constexpr size_t kMaxPointerOffset = 0x3FFF;

void Put16(std::vector<std::byte>& out, uint16_t v) {
  out.push_back(static_cast<std::byte>(v >> 8));
  out.push_back(static_cast<std::byte>(v & 0xFF));
}
void Put32(std::vector<std::byte>& out, uint32_t v) {
  Put16(out, static_cast<uint16_t>(v >> 16));
  Put16(out, static_cast<uint16_t>(v & 0xFFFF));
}
void Set16(std::vector<std::byte>& out, size_t at, uint16_t v) {
  out[at] = static_cast<std::byte>(v >> 8);
  out[at + 1] = static_cast<std::byte>(v & 0xFF);
}

}  // namespace

MessageWriter::MessageWriter(std::vector<std::byte>* out, size_t max_size)
    : out_(out), base_(out->size()), max_size_(max_size) {
  out_->resize(base_ + kHeaderSize);
}

void MessageWriter::Rollback(size_t to) {
  out_->resize(base_ + to);
  std::erase_if(suffixes_, [to](const Suffix& s) { return s.offset >= to; });
}

// Suffixes match byte for byte, case included: a pointer to "Example.COM"
// would make "example.com" read back as "Example.COM", and RFC 4343 §4
// asks a server to preserve the case of the names it passes on.
void MessageWriter::WriteName(const Name& name) {
  std::string_view wire = name.wire();
  size_t i = 0;
  while (wire[i] != '\0') {
    std::string_view suffix = wire.substr(i);
    for (const auto& s : suffixes_) {
      if (s.key == suffix) {
        Put16(*out_, static_cast<uint16_t>(0xC000 | s.offset));
        return;
      }
    }
    size_t here = out_->size() - base_;
    if (here <= kMaxPointerOffset && suffixes_.size() < kMaxSuffixes) {
      suffixes_.push_back({std::string(suffix), static_cast<uint16_t>(here)});
    }
    size_t len = static_cast<uint8_t>(wire[i]);
    const auto* src = reinterpret_cast<const std::byte*>(wire.data() + i);
    out_->insert(out_->end(), src, src + 1 + len);
    i += 1 + len;
  }
  out_->push_back(std::byte{0});
}

void MessageWriter::WriteRdata(const ResourceRecord& rr) {
  if (HasCompressibleRdata(rr.type)) {
    auto names = RdataNames(rr);
    if (names) {
      size_t pos = 0;
      for (const auto& ref : *names) {
        out_->insert(out_->end(), rr.rdata.begin() + static_cast<std::ptrdiff_t>(pos),
                     rr.rdata.begin() + static_cast<std::ptrdiff_t>(ref.offset));
        WriteName(ref.name);
        pos = ref.offset + ref.name.wire_size();
      }
      out_->insert(out_->end(), rr.rdata.begin() + static_cast<std::ptrdiff_t>(pos),
                   rr.rdata.end());
      return;
    }
    // Malformed RDATA of a compressible type is written as opaque octets.
  }
  out_->insert(out_->end(), rr.rdata.begin(), rr.rdata.end());
}

bool MessageWriter::AddQuestion(const Question& q) {
  VIGIE_CHECK(last_section_ == 0, "questions must come first");
  size_t start = size();
  WriteName(q.name);
  Put16(*out_, q.type);
  Put16(*out_, q.klass);
  if (size() > max_size_) {
    Rollback(start);
    return false;
  }
  ++counts_[0];
  questions_end_ = size();
  suffixes_after_questions_ = suffixes_.size();
  return true;
}

bool MessageWriter::AddRecord(Section section, const ResourceRecord& rr) {
  int s = 1 + static_cast<int>(section);
  VIGIE_CHECK(s >= last_section_, "records must be added in section order");
  last_section_ = s;
  size_t start = size();
  WriteName(rr.name);
  Put16(*out_, rr.type);
  Put16(*out_, rr.klass);
  Put32(*out_, rr.ttl);
  size_t rdlength_at = out_->size();
  Put16(*out_, 0);
  WriteRdata(rr);
  size_t rdlength = out_->size() - rdlength_at - 2;
  if (size() > max_size_ || rdlength > 0xFFFF || counts_[s] == 0xFFFF) {
    Rollback(start);
    return false;
  }
  Set16(*out_, rdlength_at, static_cast<uint16_t>(rdlength));
  ++counts_[s];
  return true;
}

bool MessageWriter::AddEdns(const Edns& edns) {
  last_section_ = 4;
  size_t start = size();
  out_->push_back(std::byte{0});  // root owner
  Put16(*out_, rr_type::kOpt);
  Put16(*out_, edns.udp_size);
  uint32_t ttl = (static_cast<uint32_t>(edns.extended_rcode) << 24) |
                 (static_cast<uint32_t>(edns.version) << 16) | (edns.dnssec_ok ? 0x8000u : 0u) |
                 (edns.flags & 0x7FFFu);
  Put32(*out_, ttl);
  size_t rdlength_at = out_->size();
  Put16(*out_, 0);
  for (const auto& o : edns.options) {
    Put16(*out_, o.code);
    Put16(*out_, static_cast<uint16_t>(std::min<size_t>(o.data.size(), 0xFFFF)));
    out_->insert(
        out_->end(), o.data.begin(),
        o.data.begin() + static_cast<std::ptrdiff_t>(std::min<size_t>(o.data.size(), 0xFFFF)));
  }
  size_t rdlength = out_->size() - rdlength_at - 2;
  if (size() > max_size_ || rdlength > 0xFFFF || counts_[3] == 0xFFFF) {
    Rollback(start);
    return false;
  }
  Set16(*out_, rdlength_at, static_cast<uint16_t>(rdlength));
  ++counts_[3];
  return true;
}

void MessageWriter::RollbackToQuestions() {
  Rollback(questions_end_);
  suffixes_.resize(std::min(suffixes_.size(), suffixes_after_questions_));
  counts_[1] = counts_[2] = counts_[3] = 0;
  last_section_ = 0;
}

void MessageWriter::Finish(const Header& header) {
  Header h = header;
  h.qdcount = counts_[0];
  h.ancount = counts_[1];
  h.nscount = counts_[2];
  h.arcount = counts_[3];
  EncodeHeader(h, std::span<std::byte, kHeaderSize>(out_->data() + base_, kHeaderSize));
}

EncodeResult Encode(const Message& m, std::vector<std::byte>* out, size_t max_size) {
  const size_t base = out->size();
  // The header and questions always go in, whatever the budget, so the reply
  // still matches the query.
  MessageWriter w(out, 65535);
  for (const auto& q : m.questions) {
    (void)w.AddQuestion(q);
  }
  // Room for the OPT record is reserved up front so truncation keeps it.
  size_t opt_size = 0;
  if (m.edns) {
    opt_size = 11;
    for (const auto& o : m.edns->options) {
      opt_size += 4 + o.data.size();
    }
  }
  w.set_max_size(max_size > opt_size ? max_size - opt_size : 0);
  Header header = m.header;
  bool complete = true;
  for (Section s : {Section::kAnswer, Section::kAuthority}) {
    for (const auto& rr : m.SectionRecords(s)) {
      if (complete && !w.AddRecord(s, rr)) {
        complete = false;
      }
    }
  }
  if (complete) {
    // Additional records are optional: stop at the first that does not fit.
    for (const auto& rr : m.additionals) {
      if (!w.AddRecord(Section::kAdditional, rr)) {
        break;
      }
    }
  } else {
    w.RollbackToQuestions();
    header.tc = true;
  }
  w.set_max_size(std::max(max_size, w.size()));
  if (m.edns) {
    (void)w.AddEdns(*m.edns);
  }
  w.Finish(header);
  return {out->size() - base, !complete};
}

size_t MaxUdpResponseSize(const Message& query, size_t server_max) {
  if (!query.edns) {
    return kMaxUdpPayloadWithoutEdns;
  }
  size_t size = std::max<size_t>(query.edns->udp_size, kMaxUdpPayloadWithoutEdns);
  return std::min(size, std::max(server_max, kMaxUdpPayloadWithoutEdns));
}

}  // namespace vigie::dns
