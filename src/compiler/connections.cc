// The connection set: execution edges from explicit upstream ids and from
// bindings, orphan edges to start/end, and reachability (flytepropeller
// workflow_compiler.go AddEdges, validateReachable).
#include <algorithm>

#include "workflow_compiler.h"

namespace flytecpp::compiler::internal {

// ---- EdgeSet ------------------------------------------------------------------------

int EdgeSet::Intern(std::string_view id) {
  auto [it, inserted] = ids_.emplace(id, static_cast<int>(names_.size()));
  if (inserted) {
    names_.push_back(id);
    has_down_.push_back(false);
    has_up_.push_back(false);
  }
  return it->second;
}

int EdgeSet::Find(std::string_view id) const {
  auto it = ids_.find(id);
  return it == ids_.end() ? -1 : it->second;
}

void EdgeSet::Add(std::string_view from, std::string_view to, bool downstream_too) {
  int f = Intern(from), t = Intern(to);
  if (downstream_too) {
    down_edges_.emplace_back(f, t);
    has_down_[f] = true;
  }
  up_edges_.emplace_back(t, f);
  has_up_[t] = true;
}

bool EdgeSet::HasUpstream(std::string_view id) const {
  int i = Find(id);
  return i >= 0 && has_up_[i];
}

bool EdgeSet::HasDownstream(std::string_view id) const {
  int i = Find(id);
  return i >= 0 && has_down_[i];
}

EdgeSet::Adjacency EdgeSet::Build(const std::vector<std::pair<int, int>>& edges) const {
  std::vector<std::pair<int, int>> sorted = edges;
  std::sort(sorted.begin(), sorted.end(), [this](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return names_[a.second] < names_[b.second];
  });
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  Adjacency adj;
  adj.offsets.assign(names_.size() + 1, 0);
  for (const auto& e : sorted) ++adj.offsets[e.first + 1];
  for (size_t i = 1; i < adj.offsets.size(); ++i) adj.offsets[i] += adj.offsets[i - 1];
  adj.targets.reserve(sorted.size());
  for (const auto& e : sorted) adj.targets.push_back(e.second);
  return adj;
}

EdgeSet::Walk EdgeSet::WalkFrom(std::string_view start) {
  Walk walk;
  const int s = Intern(start);
  Adjacency down = Build(down_edges_);
  enum : uint8_t { kNew, kOnPath, kDone };
  std::vector<uint8_t> mark(names_.size(), kNew);
  struct Frame {
    int node;
    int next;  // index into down.targets
  };
  std::vector<Frame> stack = {{s, down.offsets[s]}};
  mark[s] = kOnPath;
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.next == down.offsets[f.node + 1]) {
      mark[f.node] = kDone;
      stack.pop_back();
      continue;
    }
    int n = down.targets[f.next++];
    if (mark[n] == kOnPath) {
      for (const Frame& on_path : stack) walk.cycle.emplace_back(names_[on_path.node]);
      walk.cycle.emplace_back(names_[n]);
      break;
    }
    if (mark[n] == kDone) continue;
    mark[n] = kOnPath;
    stack.push_back({n, down.offsets[n]});
  }
  walk.reached.resize(names_.size());
  for (size_t i = 0; i < names_.size(); ++i) walk.reached[i] = mark[i] != kNew;
  return walk;
}

bool EdgeSet::Reached(const Walk& walk, std::string_view id) const {
  int i = Find(id);
  return i >= 0 && i < static_cast<int>(walk.reached.size()) && walk.reached[i];
}

void EdgeSet::Write(core::ConnectionSet* out) {
  auto write = [this](const Adjacency& adj, auto* map) {
    for (size_t i = 0; i < names_.size(); ++i) {
      int begin = adj.offsets[i], end = adj.offsets[i + 1];
      if (begin == end) continue;  // a key appears only once it has an edge
      auto* ids = (*map)[std::string(names_[i])].mutable_ids();
      ids->Reserve(end - begin);
      for (int j = begin; j < end; ++j) ids->Add(std::string(names_[adj.targets[j]]));
    }
  };
  write(Build(down_edges_), out->mutable_downstream());
  write(Build(up_edges_), out->mutable_upstream());
}

// ---- WorkflowCompiler ------------------------------------------------------------------

void WorkflowCompiler::AddEdge(std::string_view from, std::string_view to,
                               EdgeDirection direction) {
  edges_.Add(from.empty() ? kStartNode : from, to, direction == EdgeDirection::kBidirectional);
}

void WorkflowCompiler::AddEdges(core::Node* node, EdgeDirection direction) {
  const NodeInfo& info = ctx_.nodes[node];
  if (!info.interface) return;  // its interface failed; errors are already out
  // Interfaces never move (unordered_map values are stable, tasks live in
  // the closure), so this stays valid while bindings add infos for others.
  const core::TypedInterface* iface = info.interface;
  if (direction == EdgeDirection::kBidirectional) {
    // Explicit dependencies are taken as given, like the reference; an id that
    // names no node is caught by reachability or shows in the connections.
    for (const std::string& up : node->upstream_node_ids()) AddEdge(up, node->id(), direction);
  }
  ValidateBindings(node, node->mutable_inputs(), &iface->inputs(), /*check_types=*/true, direction,
                   /*resolved=*/nullptr);
}

void WorkflowCompiler::AddOrphanEdges() {
  for (core::Node* node : order_) {
    const std::string& id = node->id();
    if (id == kStartNode || id == kEndNode) continue;
    if (!edges_.HasUpstream(id)) AddEdge(kStartNode, id, EdgeDirection::kBidirectional);
    if (!edges_.HasDownstream(id)) AddEdge(id, kEndNode, EdgeDirection::kBidirectional);
  }
}

void WorkflowCompiler::ValidateReachable() {
  const std::string start(kStartNode);
  if (!edges_.HasDownstream(kStartNode)) {
    std::string key = IdKey(tmpl().id());
    diag_.Add(ErrorCode::kNoEntryNodeFound, key, msg::NoEntryNodeFound(key));
  }
  EdgeSet::Walk walk = edges_.WalkFrom(kStartNode);
  if (!walk.cycle.empty()) {
    diag_.Add(ErrorCode::kCycleDetected, start, msg::CycleDetected(walk.cycle));
    return;
  }
  std::vector<std::string> unreachable;
  for (core::Node* node : order_) {
    if (node->id() != kEndNode && !edges_.Reached(walk, node->id())) {
      unreachable.push_back(node->id());
    }
  }
  if (!unreachable.empty()) {
    std::sort(unreachable.begin(), unreachable.end());
    diag_.Add(ErrorCode::kUnreachableNodes, start, msg::UnreachableNodes(unreachable));
  }
}

void WorkflowCompiler::WriteConnections() { edges_.Write(workflow_->mutable_connections()); }

}  // namespace flytecpp::compiler::internal
