// Stream nodes that pass events unchanged, or drop or route them: where,
// split, by, tagged, expired / not_expired, changed_state, sink, sdo.
#include <unordered_map>
#include <utility>

#include "events/stream/nodes.h"

namespace vigie::events::internal {
namespace {

class Passthrough final : public Stream {
 public:
  void Push(const Event& e, int64_t now) override { Emit(e, now); }
};

class Where final : public Stream {
 public:
  explicit Where(EventQuery q) : q_(std::move(q)) {}
  void Push(const Event& e, int64_t now) override {
    if (q_.Matches(e))
      Emit(e, now);
  }

 private:
  EventQuery q_;
};

class Split final : public Stream {
 public:
  // queries[i] routes to children_[i]; a missing query is the default.
  explicit Split(std::vector<std::optional<EventQuery>> queries) : queries_(std::move(queries)) {}
  void Push(const Event& e, int64_t now) override {
    for (size_t i = 0; i < queries_.size(); ++i) {
      if (!queries_[i] || queries_[i]->Matches(e)) {
        children_[i]->Push(e, now);
        return;
      }
    }
  }

 private:
  std::vector<std::optional<EventQuery>> queries_;
};

class By final : public Stream {
 public:
  By(std::vector<std::string> fields, size_t max_keys, std::vector<StreamSpec> child_specs,
     SinkLookup sinks)
      : fields_(std::move(fields)),
        max_keys_(max_keys),
        child_specs_(std::move(child_specs)),
        sinks_(std::move(sinks)) {}

  void Push(const Event& e, int64_t now) override {
    std::string key;
    for (const auto& f : fields_) {
      key += FieldText(e, f);
      key.push_back('\x1f');
    }
    auto it = forks_.find(key);
    if (it == forks_.end()) {
      if (forks_.size() >= max_keys_)
        return;  // bounded: new keys are dropped
      std::vector<std::unique_ptr<Stream>> fork;
      for (const StreamSpec& spec : child_specs_) {
        // Specs were validated when the tree was built.
        auto built = BuildStream(spec, sinks_);
        if (built)
          fork.push_back(std::move(*built));
      }
      it = forks_.emplace(std::move(key), std::move(fork)).first;
    }
    for (auto& c : it->second)
      c->Push(e, now);
  }

  void Tick(int64_t now) override {
    for (auto& [key, fork] : forks_) {
      for (auto& c : fork)
        c->Tick(now);
    }
  }

 private:
  std::vector<std::string> fields_;
  size_t max_keys_;
  std::vector<StreamSpec> child_specs_;
  SinkLookup sinks_;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Stream>>> forks_;
};

class Tagged final : public Stream {
 public:
  Tagged(std::vector<std::string> tags, bool all) : tags_(std::move(tags)), all_(all) {}
  void Push(const Event& e, int64_t now) override {
    bool pass = all_;
    for (const auto& t : tags_) {
      bool has = e.HasTag(t);
      if (all_ && !has)
        pass = false;
      if (!all_ && has)
        pass = true;
    }
    if (pass)
      Emit(e, now);
  }

 private:
  std::vector<std::string> tags_;
  bool all_;
};

class ExpiredFilter final : public Stream {
 public:
  ExpiredFilter(bool want_expired, double default_ttl) : want_(want_expired), ttl_(default_ttl) {}
  void Push(const Event& e, int64_t now) override {
    if (IsExpired(e, now, ttl_) == want_)
      Emit(e, now);
  }

 private:
  bool want_;
  double ttl_;
};

class ChangedState final : public Stream {
 public:
  ChangedState(std::string init, size_t max_keys) : init_(std::move(init)), max_keys_(max_keys) {}
  void Push(const Event& e, int64_t now) override {
    std::string key = e.host() + '\x1f' + e.service();
    auto it = last_.find(key);
    if (it == last_.end()) {
      if (last_.size() >= max_keys_)
        return;
      it = last_.emplace(std::move(key), init_).first;
    }
    if (it->second != e.state()) {
      it->second = e.state();
      Emit(e, now);
    }
  }

 private:
  std::string init_;
  size_t max_keys_;
  std::unordered_map<std::string, std::string> last_;
};

class SinkNode final : public Stream {
 public:
  explicit SinkNode(StreamSink* sink) : sink_(sink) {}
  void Push(const Event& e, int64_t now) override {
    sink_->Accept(e, now);
    Emit(e, now);
  }

 private:
  StreamSink* sink_;
};

}  // namespace

std::unique_ptr<Stream> MakePassthrough() {
  return std::make_unique<Passthrough>();
}

std::unique_ptr<Stream> MakeWhere(EventQuery q) {
  return std::make_unique<Where>(std::move(q));
}

std::unique_ptr<Stream> MakeSplit(std::vector<std::optional<EventQuery>> queries) {
  return std::make_unique<Split>(std::move(queries));
}

std::unique_ptr<Stream> MakeBy(std::vector<std::string> fields, size_t max_keys,
                               std::vector<StreamSpec> child_specs, SinkLookup sinks) {
  return std::make_unique<By>(std::move(fields), max_keys, std::move(child_specs),
                              std::move(sinks));
}

std::unique_ptr<Stream> MakeTagged(std::vector<std::string> tags, bool all) {
  return std::make_unique<Tagged>(std::move(tags), all);
}

std::unique_ptr<Stream> MakeExpiredFilter(bool want_expired, double default_ttl) {
  return std::make_unique<ExpiredFilter>(want_expired, default_ttl);
}

std::unique_ptr<Stream> MakeChangedState(std::string init, size_t max_keys) {
  return std::make_unique<ChangedState>(std::move(init), max_keys);
}

std::unique_ptr<Stream> MakeSinkNode(StreamSink* sink) {
  return std::make_unique<SinkNode>(sink);
}

}  // namespace vigie::events::internal
