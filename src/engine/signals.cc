// Signals: what gate nodes wait for. A signal belongs to an execution (the
// top-level one, or a launch plan's child), is typed by the gates that
// declare it, and is set once, durably. Gates of this engine hear of a value
// in the turn that records it; a value another process records is found by
// the control poll, a few times a second.
#include "executor.h"
#include "flytecpp/compiler/compiler.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/phases.h"
#include "flytecpp/idl/types.h"

namespace flytecpp::engine::internal {

void Executor::AwaitSignal(Scope* s, int i, const std::string& signal_id,
                           const core::LiteralType& type) {
  NodeState& n = s->nodes[i];
  // Set already: in the store, or in this turn's batch.
  for (const auto& pending : pending_.signals) {
    if (pending.execution_id == s->execution_id && pending.signal_id == signal_id &&
        pending.value) {
      Handler(s, i).SignalReceived(*this, s, i, pending);
      return;
    }
  }
  auto stored = store().GetSignals(s->execution_id);
  if (stored.ok()) {
    for (const auto& r : *stored) {
      if (r.signal_id == signal_id && r.value) {
        Handler(s, i).SignalReceived(*this, s, i, r);
        return;
      }
    }
  }
  n.awaiting = true;
  awaiting_[{s->execution_id, signal_id}].push_back({s->serial, i});
  // Recorded as awaited, with its type, for whoever sets it.
  store::SignalRecord r;
  r.execution_id = s->execution_id;
  r.signal_id = signal_id;
  r.type = type;
  r.updated_ns = Now();
  pending_.signals.push_back(std::move(r));
}

void Executor::StopAwaiting(Scope* s, int i) {
  s->nodes[i].awaiting = false;  // its entry in awaiting_ is dropped when next looked at
}

void Executor::DeliverSignal(const store::SignalRecord& signal) {
  auto it = awaiting_.find({signal.execution_id, signal.signal_id});
  if (it == awaiting_.end()) return;
  auto waiting = std::move(it->second);
  awaiting_.erase(it);
  for (auto [serial, i] : waiting) {
    auto sc = scopes_.find(serial);
    if (sc == scopes_.end()) continue;
    Scope* s = sc->second;
    if (s->exec->dropped || !s->nodes[i].awaiting) continue;
    s->nodes[i].awaiting = false;
    Handler(s, i).SignalReceived(*this, s, i, signal);
  }
}

void Executor::PollSignals() {
  // Forget gates that stopped waiting; look up the executions of the rest.
  std::set<std::string> executions;
  for (auto it = awaiting_.begin(); it != awaiting_.end();) {
    auto& waiting = it->second;
    waiting.erase(std::remove_if(waiting.begin(), waiting.end(),
                                 [&](const std::pair<uint64_t, int>& w) {
                                   auto sc = scopes_.find(w.first);
                                   return sc == scopes_.end() || sc->second->exec->dropped ||
                                          !sc->second->nodes[w.second].awaiting;
                                 }),
                  waiting.end());
    if (waiting.empty()) {
      it = awaiting_.erase(it);
    } else {
      executions.insert(it->first.first);
      ++it;
    }
  }
  for (const auto& id : executions) {
    auto stored = store().GetSignals(id);
    if (!stored.ok()) continue;  // looked for again at the next poll
    for (const auto& r : *stored) {
      if (r.value) DeliverSignal(r);
    }
  }
}

Status Executor::Signal(const std::string& id, const std::string& signal_id, core::Literal value,
                        std::string origin, std::string note) {
  return Call<Status>([this, id, signal_id, value = std::move(value), origin = std::move(origin),
                       note = std::move(note)](auto reply) {
    if (!store_error_.ok()) return reply(store_error_);
    auto record = store().GetExecution(id);
    if (!record.ok()) return reply(record.status());
    if (idl::IsTerminal(record->phase)) {
      return reply(FailedPrecondition("execution " + id + " already ended " +
                                      core::WorkflowExecution::Phase_Name(record->phase)));
    }
    auto known = SignalsOf(id);
    if (!known.ok()) return reply(known.status());
    const SignalState* signal = nullptr;
    std::string declared;
    for (const auto& k : *known) {
      if (k.signal_id == signal_id) signal = &k;
      declared += (declared.empty() ? "" : ", ") + k.signal_id;
    }
    if (signal == nullptr) {
      return reply(NotFound(
          "execution " + id + " has no gate for signal \"" + signal_id + "\"" +
          (declared.empty() ? " (it has no signals)" : " (its signals: " + declared + ")")));
    }
    if (signal->value) {
      return reply(FailedPrecondition("signal " + signal_id + " of execution " + id +
                                      " is set already (to " + idl::ShortString(*signal->value) +
                                      (signal->origin.empty() ? "" : " by " + signal->origin) +
                                      ")"));
    }
    if (Status valid = compiler::ValidateValue(value, signal->type); !valid.ok()) {
      return reply(InvalidArgument("signal " + signal_id + " of execution " + id + " takes a " +
                                   idl::TypeString(signal->type) + ": " + valid.message()));
    }
    store::SignalRecord r;
    r.execution_id = id;
    r.signal_id = signal_id;
    r.type = signal->type;
    r.value = value;
    r.origin = origin;
    r.note = note;
    r.updated_ns = Now();
    pending_.signals.push_back(r);
    DeliverSignal(r);  // recorded in the same commit as what it sets off
    AfterCommit([this, reply] { reply(store_error_); });
  });
}

Result<std::vector<SignalState>> Executor::SignalsOf(const std::string& id) {
  FLYTECPP_ASSIGN_OR_RETURN(store::ExecutionRecord record, store().GetExecution(id));
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<store::SignalRecord> stored, store().GetSignals(id));
  // Declared by the workflow's gates, then any other a gate recorded (a
  // dynamic workflow's); values and waiting from the store and this turn.
  std::map<std::string, SignalState> out;
  for (const auto& [sid, type] : DeclaredSignals(record.closure)) {
    SignalState& st = out[sid];
    st.execution_id = id;
    st.signal_id = sid;
    st.type = type;
  }
  auto merge = [&](const store::SignalRecord& r) {
    SignalState& st = out[r.signal_id];
    st.execution_id = id;
    st.signal_id = r.signal_id;
    if (r.type) st.type = *r.type;
    if (r.value) {
      st.value = r.value;
      st.origin = r.origin;
      st.note = r.note;
    }
  };
  for (const auto& r : stored) merge(r);
  for (const auto& r : pending_.signals) {
    if (r.execution_id == id) merge(r);
  }
  for (const auto& [key, waiting] : awaiting_) {
    if (key.first == id && out.count(key.second)) out[key.second].waiting = true;
  }
  // Another engine's gates: awaited (a type recorded) and not set.
  for (const auto& r : stored) {
    if (r.type && !out[r.signal_id].value && !idl::IsTerminal(record.phase))
      out[r.signal_id].waiting = true;
  }
  std::vector<SignalState> list;
  for (auto& [sid, st] : out) {
    if (st.value) st.waiting = false;
    list.push_back(std::move(st));
  }
  return list;
}

Result<std::vector<SignalState>> Executor::Signals(const std::string& id) {
  return Call<Result<std::vector<SignalState>>>([this, id](auto reply) {
    if (!store_error_.ok()) return reply(store_error_);
    if (!id.empty()) return reply(SignalsOf(id));
    auto unfinished = store().ListUnfinished();
    if (!unfinished.ok()) return reply(unfinished.status());
    std::vector<SignalState> all;
    for (const auto& e : *unfinished) {
      auto some = SignalsOf(e.id);
      if (!some.ok()) return reply(some.status());
      all.insert(all.end(), some->begin(), some->end());
    }
    reply(all);
  });
}

Result<std::optional<ExecutionResult>> Executor::WaitUntilBlocked(const std::string& id) {
  using Answer = Result<std::optional<ExecutionResult>>;
  return Call<Answer>([this, id](auto reply) {
    if (Execution* exec = FindLive(id)) {
      exec->blocked_waiters.push_back(reply);
      AnswerBlocked();
      return;
    }
    if (!store_error_.ok()) return reply(store_error_);
    auto record = store().GetExecution(id);
    if (!record.ok()) return reply(record.status());
    if (!idl::IsTerminal(record->phase)) {
      return reply(FailedPrecondition("execution " + id + " is not run by this engine"));
    }
    auto result = StoredResult(store(), id);
    if (!result.ok()) return reply(result.status());
    reply(std::optional<ExecutionResult>(std::move(result).value()));
  });
}

void Executor::AnswerBlocked() {
  if (commit_due_) return;  // what the answer implies must be in the store first
  for (auto& [id, exec] : executions_) {
    if (exec->blocked_waiters.empty() || exec->finished || exec->dropped) continue;
    // Moving: attempts in flight or waiting for room, or nodes about to start.
    bool moving = exec->in_flight > 0 || !ready_.empty() || !to_launch_.empty();
    for (uint64_t token : exec->held) {
      if (attempts_.count(token)) moving = true;
    }
    if (moving) continue;
    std::vector<std::function<void(Result<std::optional<ExecutionResult>>)>> waiters;
    waiters.swap(exec->blocked_waiters);
    for (auto& w : waiters) w(std::optional<ExecutionResult>());
  }
}

}  // namespace flytecpp::engine::internal
