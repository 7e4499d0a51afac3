// Gate nodes (flyte-executor.md §3.5): sleep until a durable due time, or
// wait for a signal of the execution — approve (a boolean: true passes the
// gate's inputs through, false fails it naming who rejected it) or a typed
// signal (its value is the gate's output). Signals are the execution's, not
// the node's: two gates with one signal id share it.
#include <google/protobuf/util/time_util.h>

#include "../executor.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/types.h"

namespace flytecpp::engine::internal {

namespace {

constexpr int kWakeUp = 1;  // timer tag

core::LiteralType BooleanType() {
  core::LiteralType t;
  t.set_simple(core::BOOLEAN);
  return t;
}

class GateHandler : public NodeHandler {
 public:
  void Start(Executor& x, Scope* s, int i) override {
    if (s->nodes[i].phase != core::NodeExecution::RUNNING) {
      x.SetPhase(s, i, core::NodeExecution::RUNNING);
    }
    const core::GateNode& gate = s->plan->nodes[i].node->gate_node();
    if (gate.has_sleep()) {
      // From when the node was first queued, a stored time: a resumed gate
      // wakes when it would have, or at once if that time has passed.
      const int64_t duration =
          google::protobuf::util::TimeUtil::DurationToNanoseconds(gate.sleep().duration());
      x.SetNodeTimer(s, i, s->nodes[i].queued_ns + duration, kWakeUp);
    } else if (gate.has_approve()) {
      x.AwaitSignal(s, i, gate.approve().signal_id(), BooleanType());
    } else if (gate.has_signal()) {
      x.AwaitSignal(s, i, gate.signal().signal_id(), gate.signal().type());
    } else {
      x.Fail(s, i,
             MakeError(core::ExecutionError::SYSTEM, "BadSpecificationError",
                       "gate " + s->plan->nodes[i].id + " has no condition"));
    }
  }

  void TimerDue(Executor& x, Scope* s, int i, int tag) override {
    if (tag != kWakeUp || s->nodes[i].phase != core::NodeExecution::RUNNING) return;
    x.Succeed(s, i, nullptr);  // a sleep has no outputs
  }

  void SignalReceived(Executor& x, Scope* s, int i, const store::SignalRecord& signal) override {
    if (s->nodes[i].phase != core::NodeExecution::RUNNING || !signal.value) return;
    const core::GateNode& gate = s->plan->nodes[i].node->gate_node();
    const core::Literal& value = idl::Unwrapped(*signal.value);
    if (gate.has_approve()) {
      if (!value.has_scalar() || !value.scalar().has_primitive() ||
          value.scalar().primitive().value_case() != core::Primitive::kBoolean) {
        x.Fail(s, i,
               MakeError(core::ExecutionError::UNKNOWN, "RuntimeExecutionError",
                         "approval " + signal.signal_id +
                             " is not a boolean: " + idl::ShortString(*signal.value)));
        return;
      }
      if (!value.scalar().primitive().boolean()) {
        std::string who = signal.origin.empty() ? "" : " by " + signal.origin;
        std::string why = signal.note.empty() ? "" : ": " + signal.note;
        x.Fail(s, i,
               MakeError(core::ExecutionError::USER, "ReceivedRejectSignal",
                         "gate " + s->plan->nodes[i].id + " was rejected" + who + " (signal " +
                             signal.signal_id + ")" + why));
        return;
      }
      x.Succeed(s, i, s->nodes[i].inputs);  // approved: its inputs go through
      return;
    }
    auto outputs = std::make_shared<core::LiteralMap>();
    (*outputs->mutable_literals())[gate.signal().output_variable_name()] = *signal.value;
    x.Succeed(s, i, std::move(outputs));
  }

  void Abort(Executor& x, Scope* s, int i, const std::string&) override { x.StopAwaiting(s, i); }
};

}  // namespace

std::unique_ptr<NodeHandler> MakeGateHandler() { return std::make_unique<GateHandler>(); }

std::map<std::string, core::LiteralType> DeclaredSignals(
    const core::CompiledWorkflowClosure& closure) {
  std::map<std::string, core::LiteralType> out;
  for (const auto& [node, gate] : idl::GatesOf(closure)) {
    if (gate.kind != idl::Gate::Kind::kSleep) out.emplace(gate.signal_id, gate.type);
  }
  return out;
}

std::optional<core::LiteralType> DeclaredSignalType(const core::CompiledWorkflowClosure& closure,
                                                    const std::string& signal_id) {
  auto all = DeclaredSignals(closure);
  auto it = all.find(signal_id);
  if (it == all.end()) return std::nullopt;
  return it->second;
}

}  // namespace flytecpp::engine::internal
