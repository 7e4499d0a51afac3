// The connection set: execution edges from explicit upstream ids and from
// bindings, orphan edges to start/end, and reachability (flytepropeller
// workflow_compiler.go AddEdges, validateReachable).
#include <algorithm>

#include "workflow_compiler.h"

namespace flytecpp::compiler::internal {

// ---- EdgeSet ------------------------------------------------------------------------

int EdgeSet::Intern(const std::string& id) {
  auto [it, inserted] = ids_.emplace(id, static_cast<int>(names_.size()));
  if (inserted) {
    names_.push_back(id);
    down_.emplace_back();
    up_.emplace_back();
  }
  return it->second;
}

int EdgeSet::Find(const std::string& id) const {
  auto it = ids_.find(id);
  return it == ids_.end() ? -1 : it->second;
}

void EdgeSet::Add(const std::string& from, const std::string& to, bool downstream_too) {
  int f = Intern(from), t = Intern(to);
  if (downstream_too) down_[f].push_back(t);
  up_[t].push_back(f);
}

bool EdgeSet::HasUpstream(const std::string& id) const {
  int i = Find(id);
  return i >= 0 && !up_[i].empty();
}

bool EdgeSet::HasDownstream(const std::string& id) const {
  int i = Find(id);
  return i >= 0 && !down_[i].empty();
}

std::vector<std::string> EdgeSet::Downstream(const std::string& id) const {
  std::vector<std::string> out;
  int i = Find(id);
  if (i < 0) return out;
  for (int d : down_[i]) out.push_back(names_[d]);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

void EdgeSet::Write(core::ConnectionSet* out) {
  auto write = [this](std::vector<std::vector<int>>& lists, auto* map) {
    for (size_t i = 0; i < lists.size(); ++i) {
      if (lists[i].empty()) continue;  // a key appears only once it has an edge
      std::vector<const std::string*> sorted;
      sorted.reserve(lists[i].size());
      for (int j : lists[i]) sorted.push_back(&names_[j]);
      std::sort(sorted.begin(), sorted.end(),
                [](const std::string* a, const std::string* b) { return *a < *b; });
      sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
      auto* ids = (*map)[names_[i]].mutable_ids();
      ids->Reserve(static_cast<int>(sorted.size()));
      for (const std::string* s : sorted) ids->Add(std::string(*s));
    }
  };
  write(down_, out->mutable_downstream());
  write(up_, out->mutable_upstream());
}

// ---- WorkflowCompiler ------------------------------------------------------------------

void WorkflowCompiler::AddEdge(const std::string& from, const std::string& to,
                               EdgeDirection direction) {
  edges_.Add(from.empty() ? std::string(kStartNode) : from, to,
             direction == EdgeDirection::kBidirectional);
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
    if (id == kStartNode || id == kEndNode || !top_level_.count(id)) continue;
    if (!edges_.HasUpstream(id))
      AddEdge(std::string(kStartNode), id, EdgeDirection::kBidirectional);
    if (!edges_.HasDownstream(id))
      AddEdge(id, std::string(kEndNode), EdgeDirection::kBidirectional);
  }
}

void WorkflowCompiler::ValidateReachable() {
  // Iterative depth-first search from start-node. Neighbours are visited in
  // sorted order, so the reported cycle and unreachable set are stable.
  enum class Mark { kNew, kOnPath, kDone };
  std::unordered_map<std::string, Mark> marks;
  std::vector<std::string> path;
  struct Frame {
    std::string id;
    std::vector<std::string> next;
    size_t i = 0;
  };
  const std::string start(kStartNode);
  if (!edges_.HasDownstream(start)) {
    std::string key = IdKey(tmpl().id());
    diag_.Add(ErrorCode::kNoEntryNodeFound, key, msg::NoEntryNodeFound(key));
  }
  std::vector<Frame> stack;
  stack.push_back({start, edges_.Downstream(start)});
  marks[start] = Mark::kOnPath;
  path.push_back(start);
  while (!stack.empty()) {
    Frame& f = stack.back();
    if (f.i == f.next.size()) {
      marks[f.id] = Mark::kDone;
      path.pop_back();
      stack.pop_back();
      continue;
    }
    std::string next = f.next[f.i++];
    auto m = marks.find(next);
    if (m != marks.end() && m->second == Mark::kOnPath) {
      std::vector<std::string> cycle = path;
      cycle.push_back(next);
      diag_.Add(ErrorCode::kCycleDetected, start, msg::CycleDetected(cycle));
      return;
    }
    if (m != marks.end()) continue;  // done
    marks[next] = Mark::kOnPath;
    path.push_back(next);
    stack.push_back({next, edges_.Downstream(next)});
  }
  std::vector<std::string> unreachable;
  for (core::Node* node : order_) {
    if (node->id() != kEndNode && !marks.count(node->id())) unreachable.push_back(node->id());
  }
  if (!unreachable.empty()) {
    std::sort(unreachable.begin(), unreachable.end());
    diag_.Add(ErrorCode::kUnreachableNodes, start, msg::UnreachableNodes(unreachable));
  }
}

void WorkflowCompiler::WriteConnections() { edges_.Write(workflow_->mutable_connections()); }

}  // namespace flytecpp::compiler::internal
