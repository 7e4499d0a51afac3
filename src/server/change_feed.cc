#include "change_feed.h"

#include <google/protobuf/util/json_util.h>

#include "flyteidl/core/execution.pb.h"

namespace flytecpp::server {

namespace core = flyteidl::core;

namespace {

// `text` as a JSON string, quotes included.
std::string Quoted(const std::string& text) {
  google::protobuf::Value value;
  value.set_string_value(text);
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(value, &out);
  return out;
}

}  // namespace

ChangeFeed::ChangeFeed(engine::Engine& engine) : engine_(engine) {
  subscription_ = engine_.Subscribe([this](const engine::Event& e) { Publish(Notice(e)); });
}

ChangeFeed::~ChangeFeed() {
  engine_.Unsubscribe(subscription_);
  Close();
}

std::string ChangeFeed::Notice(const engine::Event& e) {
  std::string kind, phase;
  switch (e.kind) {
    case store::EventKind::kWorkflow:
      kind = "workflow";
      phase =
          core::WorkflowExecution::Phase_Name(static_cast<core::WorkflowExecution::Phase>(e.phase));
      break;
    case store::EventKind::kNode:
      kind = "node";
      phase = core::NodeExecution::Phase_Name(static_cast<core::NodeExecution::Phase>(e.phase));
      break;
    case store::EventKind::kTask:
      kind = "task";
      phase = core::TaskExecution::Phase_Name(static_cast<core::TaskExecution::Phase>(e.phase));
      break;
  }
  return "{\"execution\":" + Quoted(e.execution_id) + ",\"kind\":\"" + kind +
         "\",\"node\":" + Quoted(e.node_path) + ",\"phase\":\"" + phase +
         "\",\"attempt\":" + std::to_string(e.attempt) + "}";
}

void ChangeFeed::Publish(std::string notice) {
  std::lock_guard lock(mu_);
  for (Reader* r : readers_) {
    if (r->overflowed_) continue;
    if (r->queue_.size() >= kMaxQueued) {
      r->queue_.clear();
      r->overflowed_ = true;
      continue;
    }
    r->queue_.push_back(notice);
  }
  changed_.notify_all();
}

std::unique_ptr<ChangeFeed::Reader> ChangeFeed::Open() {
  std::unique_ptr<Reader> reader(new Reader(this));
  std::lock_guard lock(mu_);
  readers_.insert(reader.get());
  return reader;
}

void ChangeFeed::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  changed_.notify_all();
}

ChangeFeed::Reader::~Reader() {
  std::lock_guard lock(feed_->mu_);
  feed_->readers_.erase(this);
}

bool ChangeFeed::Reader::closed() const {
  std::lock_guard lock(feed_->mu_);
  return feed_->closed_;
}

std::optional<std::string> ChangeFeed::Reader::Next(std::chrono::milliseconds wait) {
  std::unique_lock lock(feed_->mu_);
  feed_->changed_.wait_for(lock, wait,
                           [this] { return feed_->closed_ || overflowed_ || !queue_.empty(); });
  if (feed_->closed_) return std::nullopt;
  if (overflowed_) {
    overflowed_ = false;
    return "{\"resync\":true}";
  }
  if (queue_.empty()) return std::nullopt;
  std::string notice = std::move(queue_.front());
  queue_.pop_front();
  return notice;
}

}  // namespace flytecpp::server
