// The end node, and nodes of no kind the engine knows (a target left unset;
// the compiler rejects those, plans built otherwise may not).
#include "../executor.h"

namespace flytecpp::engine::internal {

namespace {

// The end node's outputs are its inputs: the workflow's outputs
// (flyte-executor.md §3.1).
class EndHandler : public NodeHandler {
 public:
  void Start(Executor& x, Scope* s, int i) override { x.Succeed(s, i, s->nodes[i].inputs); }
};

class UnsupportedHandler : public NodeHandler {
 public:
  void Start(Executor& x, Scope* s, int i) override {
    const PlanNode& p = s->plan->nodes[i];
    x.Fail(s, i,
           MakeError(core::ExecutionError::SYSTEM, "UnsupportedNodeKind",
                     "node " + p.id + ": " + std::string(idl::NodeKindName(p.kind)) +
                         " nodes are not run by this engine"));  // e.g. a node with no target
  }
};

}  // namespace

std::unique_ptr<NodeHandler> MakeEndHandler() { return std::make_unique<EndHandler>(); }
std::unique_ptr<NodeHandler> MakeUnsupportedHandler() {
  return std::make_unique<UnsupportedHandler>();
}

}  // namespace flytecpp::engine::internal
