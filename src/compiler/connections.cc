// The connection set: execution edges from explicit upstream ids and from
// bindings, orphan edges to start/end, and reachability (flytepropeller
// workflow_compiler.go AddEdges, validateReachable).
#include <algorithm>

#include "workflow_compiler.h"

namespace flytecpp::compiler::internal {

void WorkflowCompiler::AddEdge(const std::string& from, const std::string& to,
                               EdgeDirection direction) {
  const std::string provider = from.empty() ? std::string(kStartNode) : from;
  if (direction == EdgeDirection::kBidirectional) downstream_[provider].insert(to);
  upstream_[to].insert(provider);
}

void WorkflowCompiler::AddEdges(core::Node* node, EdgeDirection direction) {
  const NodeInfo& info = ctx_.nodes[node];
  if (!info.interface) return;  // its interface failed; errors are already out
  const core::TypedInterface iface = *info.interface;
  if (direction == EdgeDirection::kBidirectional) {
    // Explicit dependencies are taken as given, like the reference; an id that
    // names no node is caught by reachability or shows in the connections.
    for (const std::string& up : node->upstream_node_ids()) AddEdge(up, node->id(), direction);
  }
  ValidateBindings(node, node->mutable_inputs(), &iface.inputs(), /*check_types=*/true, direction);
}

void WorkflowCompiler::AddOrphanEdges() {
  for (const auto& [id, node] : index_) {
    if (id == kStartNode || id == kEndNode || !top_level_.count(id)) continue;
    if (!upstream_.count(id)) AddEdge(std::string(kStartNode), id, EdgeDirection::kBidirectional);
    if (!downstream_.count(id)) AddEdge(id, std::string(kEndNode), EdgeDirection::kBidirectional);
  }
}

void WorkflowCompiler::ValidateReachable() {
  // Iterative depth-first search from start-node. Neighbours are visited in
  // sorted order, so the reported cycle and unreachable set are stable.
  enum class Mark { kNew, kOnPath, kDone };
  std::map<std::string, Mark> marks;
  std::vector<std::string> path;
  struct Frame {
    std::string id;
    std::vector<std::string> next;
    size_t i = 0;
  };
  auto neighbours = [&](const std::string& id) {
    auto it = downstream_.find(id);
    return it == downstream_.end() ? std::vector<std::string>{}
                                   : std::vector<std::string>(it->second.begin(), it->second.end());
  };
  std::vector<Frame> stack;
  const std::string start(kStartNode);
  if (!downstream_.count(start)) {
    std::string key = IdKey(tmpl().id());
    diag_.Add(ErrorCode::kNoEntryNodeFound, key, msg::NoEntryNodeFound(key));
  }
  stack.push_back({start, neighbours(start)});
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
    Mark m = marks.count(next) ? marks[next] : Mark::kNew;
    if (m == Mark::kOnPath) {
      std::vector<std::string> cycle = path;
      cycle.push_back(next);
      diag_.Add(ErrorCode::kCycleDetected, start, msg::CycleDetected(cycle));
      return;
    }
    if (m == Mark::kDone) continue;
    marks[next] = Mark::kOnPath;
    path.push_back(next);
    stack.push_back({next, neighbours(next)});
  }
  std::vector<std::string> unreachable;
  for (const auto& [id, node] : index_) {
    if (id != kEndNode && !marks.count(id)) unreachable.push_back(id);
  }
  if (!unreachable.empty()) {
    diag_.Add(ErrorCode::kUnreachableNodes, start, msg::UnreachableNodes(unreachable));
  }
}

void WorkflowCompiler::WriteConnections() {
  auto* c = workflow_->mutable_connections();
  auto write = [](const std::map<std::string, std::set<std::string>>& edges, auto* out) {
    for (const auto& [id, set] : edges) {
      auto* ids = (*out)[id].mutable_ids();
      for (const auto& other : set) ids->Add(std::string(other));
    }
  };
  write(downstream_, c->mutable_downstream());
  write(upstream_, c->mutable_upstream());
}

}  // namespace flytecpp::compiler::internal
