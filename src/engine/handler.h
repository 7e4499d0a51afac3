// One handler per node kind (flytepropeller's shape). The executor moves a
// node to QUEUED with its inputs resolved and hands it to its kind's
// handler; the handler does the kind's work through the executor's services
// and ends the node with Succeed or Fail. The executor knows no kind.
#pragma once

#include <memory>
#include <string>

#include "flyteidl/event/event.pb.h"
#include "state.h"

namespace flytecpp::engine::internal {

class Executor;

// What only a node that runs elements (the array node) hears about them:
// the attempts it started with Executor::QueueElementAttempt, and the
// scopes of its sub-node elements. Kept off NodeHandler, which every kind
// implements.
class ElementHooks {
 public:
  virtual ~ElementHooks() = default;

  // The scope running element `child->array_element` ended.
  virtual void ElementScopeDone(Executor& x, Scope* s, int i, Scope* child) = 0;
  // What the element's attempt runs.
  virtual runtime::AttemptSpec ElementSpec(Executor& x, Scope* s, int i, int64_t element,
                                           uint64_t token) = 0;
  // The element's attempt took its slot at `started_ns`.
  virtual void ElementStarted(Executor& x, Scope* s, int i, int64_t element,
                              int64_t started_ns) = 0;
  // Its runtime reported the attempt's handle.
  virtual void ElementHandle(Executor& x, Scope* s, int i, int64_t element, std::string handle) = 0;
  // It ended (a timeout is a retryable USER TimeoutExpired).
  virtual void ElementDone(Executor& x, Scope* s, int i, int64_t element,
                           runtime::TaskOutcome outcome) = 0;
};

class NodeHandler {
 public:
  virtual ~NodeHandler() = default;

  // The node is QUEUED, its inputs resolved: start its work.
  virtual void Start(Executor& x, Scope* s, int i) = 0;
  // The node was QUEUED or RUNNING when the engine that ran it stopped
  // (NodeState::interrupted; its inputs are resolved again): continue it.
  virtual void Resume(Executor& x, Scope* s, int i) { Start(x, s, i); }
  // A node this one owns (plan.h: PlanNode::owner) ended.
  virtual void OwnedNodeDone(Executor& x, Scope* s, int i, int owned) {}
  // The scope this node runs (NodeState::child) ended.
  virtual void ChildScopeDone(Executor& x, Scope* s, int i) {}
  // An attempt of the node ended (its token is already cleared).
  virtual void AttemptDone(Executor& x, Scope* s, int i, runtime::TaskOutcome outcome) {}
  // A timer the node set (Executor::SetNodeTimer) is due.
  virtual void TimerDue(Executor& x, Scope* s, int i, int tag) {}
  // The signal the node awaits (Executor::AwaitSignal) has its value.
  virtual void SignalReceived(Executor& x, Scope* s, int i, const store::SignalRecord& signal) {}
  // The node is being aborted: stop what it runs beyond its own attempt
  // (which the executor stops); the executor then records it ABORTED.
  virtual void Abort(Executor& x, Scope* s, int i, const std::string& reason) {}
  // Adds the kind's own fields to a node event (target entity, child ids).
  virtual void DescribeEvent(const Scope& s, int i, flyteidl::event::NodeExecutionEvent* e) const {}
  // The node asked (Executor::NotifyBeforeCommit) to add rows and events of
  // its own to the commit about to be made.
  virtual void BeforeCommit(Executor& x, Scope* s, int i) {}

  // The node's element hooks, if it runs elements (the array node); null
  // for every other kind.
  virtual ElementHooks* elements() { return nullptr; }
};

// The handlers of the node kinds this engine runs (nodes/*.cc).
std::unique_ptr<NodeHandler> MakeEndHandler();
std::unique_ptr<NodeHandler> MakeTaskHandler();
std::unique_ptr<NodeHandler> MakeBranchHandler();
std::unique_ptr<NodeHandler> MakeSubWorkflowHandler();
std::unique_ptr<NodeHandler> MakeLaunchPlanHandler();
std::unique_ptr<NodeHandler> MakeGateHandler();
std::unique_ptr<NodeHandler> MakeArrayHandler();

// The type of signal `signal_id` as the gates of `closure` declare it
// (approve gates: boolean), searching every workflow of the closure.
std::optional<core::LiteralType> DeclaredSignalType(const core::CompiledWorkflowClosure& closure,
                                                    const std::string& signal_id);
// Every signal the gates of `closure` declare, with its type.
std::map<std::string, core::LiteralType> DeclaredSignals(
    const core::CompiledWorkflowClosure& closure);
// Nodes of no kind the engine knows: they fail with SYSTEM UnsupportedNodeKind.
std::unique_ptr<NodeHandler> MakeUnsupportedHandler();

}  // namespace flytecpp::engine::internal
