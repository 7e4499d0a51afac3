// The engine's thread: one mailbox, one timer heap and one group commit for
// every execution it holds.
//
// A turn: take what the mailbox holds (commands from callers, attempt
// completions and handles from runtimes), apply it, fire due timers, launch
// the nodes that became ready, hand slots to waiting attempts, then commit
// everything the turn changed in one transaction. Only after the commit do
// its effects leave the engine: attempts start, callers are answered,
// listeners hear of events. So whatever anyone saw happen is in the store.
#include "executor.h"

#include <google/protobuf/util/message_differencer.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <future>
#include <random>

#include "flytecpp/compiler/compiler.h"
#include "flytecpp/idl/identifiers.h"
#include "flytecpp/idl/phases.h"
#include "flytecpp/store/registry_rows.h"
#include "flytecpp/util/process.h"
#include "flyteidl/admin/launch_plan.pb.h"
#include "flyteidl/admin/workflow.pb.h"

namespace flytecpp::engine {

namespace internal {

std::string ErrorKindName(core::ExecutionError::ErrorKind kind) {
  switch (kind) {
    case core::ExecutionError::USER: return "USER";
    case core::ExecutionError::SYSTEM: return "SYSTEM";
    default: return "UNKNOWN";
  }
}

core::ExecutionError MakeError(core::ExecutionError::ErrorKind kind, std::string code,
                               std::string message) {
  core::ExecutionError e;
  e.set_kind(kind);
  e.set_code(std::move(code));
  e.set_message(std::move(message));
  return e;
}

namespace {

std::string FirstLine(const char* file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

// Where this process runs: host name, boot, pid namespace. Within one such
// place a pid and its start time name one process.
struct Place {
  std::string host, boot, pid_ns;
};

const Place& Here() {
  static const Place here = [] {
    char host[256] = "localhost";
    ::gethostname(host, sizeof host - 1);
    char ns[64] = "";
    const ssize_t n = ::readlink("/proc/self/ns/pid", ns, sizeof ns - 1);
    std::string pid_ns = n > 0 ? std::string(ns, n) : "";
    // "pid:[4026531836]" -> "4026531836"
    pid_ns.erase(
        std::remove_if(pid_ns.begin(), pid_ns.end(),
                       [](char c) { return !std::isdigit(static_cast<unsigned char>(c)); }),
        pid_ns.end());
    return Place{host, FirstLine("/proc/sys/kernel/random/boot_id"), pid_ns};
  }();
  return here;
}

}  // namespace

std::string DefaultOwner() {
  std::mt19937_64 rng(std::random_device{}());
  static const char kAlnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string tag;
  for (int i = 0; i < 6; ++i) tag += kAlnum[rng() % 36];
  const Place& here = Here();
  return here.host + "/" + here.boot + "/" + here.pid_ns + ":" + std::to_string(::getpid()) + ":" +
         std::to_string(ProcessStartTime(::getpid())) + ":" + tag;
}

bool OwnerDeadHere(const std::string& owner) {
  const size_t c3 = owner.rfind(':');
  if (c3 == std::string::npos || c3 == 0) return false;
  const size_t c2 = owner.rfind(':', c3 - 1);
  if (c2 == std::string::npos || c2 == 0) return false;
  const size_t c1 = owner.rfind(':', c2 - 1);
  if (c1 == std::string::npos) return false;
  const std::string place = owner.substr(0, c1);  // host/boot/pidns
  const size_t s2 = place.rfind('/');
  if (s2 == std::string::npos || s2 == 0) return false;
  const size_t s1 = place.rfind('/', s2 - 1);
  if (s1 == std::string::npos) return false;
  const Place& here = Here();
  if (place.substr(0, s1) != here.host || here.boot.empty()) return false;
  if (place.substr(s1 + 1, s2 - s1 - 1) != here.boot) return true;  // rebooted since
  if (place.substr(s2 + 1) != here.pid_ns) return false;  // another container: cannot tell
  char* end = nullptr;
  const long pid = std::strtol(owner.c_str() + c1 + 1, &end, 10);
  if (end != owner.c_str() + c2 || pid <= 0) return false;
  const uint64_t start = std::strtoull(owner.c_str() + c2 + 1, &end, 10);
  if (end != owner.c_str() + c3 || start == 0) return false;
  return !ProcessAlive(static_cast<pid_t>(pid), start);
}

ExecutionResult ResultOf(const Scope& root) {
  ExecutionResult r;
  r.execution_id = root.execution_id;
  r.phase = root.phase;
  if (root.nodes[Plan::kEnd].outputs) r.outputs = *root.nodes[Plan::kEnd].outputs;
  if (root.phase != core::WorkflowExecution::SUCCEEDED) {
    r.error = root.error;
    r.failed_node = root.failed_node;
  }
  return r;
}

Executor::Executor(EngineOptions options) : options_(std::move(options)) {
  clock_ = options_.clock != nullptr ? options_.clock : SystemClock::Default();
  owner_ = options_.owner.empty() ? DefaultOwner() : options_.owner;
  lease_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(options_.lease_duration).count();
  poll_ns_ =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.control_poll_interval).count();
  if (options_.store == nullptr) store_error_ = InvalidArgument("the engine needs a store");
  auto unsupported = [] { return MakeUnsupportedHandler(); };
  for (auto& h : handlers_) h = unsupported();
  handlers_[static_cast<int>(NodeKind::kEnd)] = MakeEndHandler();
  handlers_[static_cast<int>(NodeKind::kTask)] = MakeTaskHandler();
  handlers_[static_cast<int>(NodeKind::kBranch)] = MakeBranchHandler();
  handlers_[static_cast<int>(NodeKind::kSubWorkflow)] = MakeSubWorkflowHandler();
  handlers_[static_cast<int>(NodeKind::kLaunchPlan)] = MakeLaunchPlanHandler();
  handlers_[static_cast<int>(NodeKind::kGate)] = MakeGateHandler();
  handlers_[static_cast<int>(NodeKind::kArray)] = MakeArrayHandler();
  for (runtime::Runtime* r : options_.runtimes) pools_.push_back({r, r->max_in_flight(), 0, {}});
  thread_ = std::thread([this] { Loop(); });
}

Executor::~Executor() {
  {
    std::lock_guard<std::mutex> lock(mailbox_->mu);
    mailbox_->stopping = true;
  }
  mailbox_->cv.notify_all();
  thread_.join();
}

// ---- Commands -------------------------------------------------------------------------

Result<std::string> Executor::Submit(ExecutionRequest request) {
  // Planning and input checks need no engine state: done on the caller's thread.
  auto plans = PlanSet::Build(std::move(request.closure));
  if (!plans.ok()) return plans.status();
  const Plan& plan = (*plans)->primary();
  auto inputs = std::make_shared<core::LiteralMap>(
      MergeInputs(std::move(request.inputs), request.defaults, request.fixed_inputs));
  std::vector<compiler::CompileError> errors;
  if (!compiler::ValidateInputs(plan.tmpl->interface(), *inputs, &request.defaults, &errors).ok()) {
    std::string msg = "inputs of workflow " + plan.workflow_name + ":";
    for (const auto& e : errors) msg += " " + e.message;
    return InvalidArgument(msg);
  }
  if (request.max_parallelism < 0) {
    return InvalidArgument("max parallelism must not be negative");
  }
  std::string id = request.execution_id.empty() ? NewExecutionId() : request.execution_id;
  auto shared_plans = std::make_shared<std::unique_ptr<PlanSet>>(std::move(plans).value());
  const int max_parallelism = request.max_parallelism;
  const bool hold = request.hold;
  const bool overwrite_cache = request.overwrite_cache;
  auto schedule_mark = std::move(request.schedule_mark);
  auto origin = std::make_shared<std::array<std::string, 4>>(
      std::array<std::string, 4>{std::move(request.project), std::move(request.domain),
                                 std::move(request.spec), std::move(request.recover_from)});
  return Call<Result<std::string>>([this, id, shared_plans, inputs, max_parallelism, hold,
                                    overwrite_cache, origin, schedule_mark](auto reply) {
    if (!store_error_.ok()) return reply(store_error_);
    if (FindLive(id) != nullptr || store().GetExecution(id).ok()) {
      return reply(
          AlreadyExists("execution \"" + id + "\" exists; resume it or choose another id"));
    }
    auto exec = std::make_unique<Execution>();
    exec->id = id;
    exec->plans = std::move(*shared_plans);
    exec->max_parallelism = max_parallelism;
    exec->overwrite_cache = overwrite_cache;
    exec->recover_from = (*origin)[3];
    exec->schedule_mark = schedule_mark;
    const Plan& plan = exec->plans->primary();
    exec->root = NewScope(exec.get(), &plan, id, "", nullptr, -1);
    Scope* root = exec->root.get();
    root->is_execution = true;
    root->inputs = inputs;
    root->record.id = id;
    root->record.root = id;
    root->record.workflow_name = plan.workflow_name;
    root->record.closure = exec->plans->closure();
    root->record.inputs = inputs;
    root->record.max_parallelism = max_parallelism;
    root->record.overwrite_cache = overwrite_cache;
    root->record.project = (*origin)[0];
    root->record.domain = (*origin)[1];
    root->record.spec = (*origin)[2];
    root->record.created_ns = Now();
    Execution* raw = exec.get();
    executions_[id] = std::move(exec);
    ScheduleHousekeeping();
    if (hold) {
      SetWorkflowPhase(root, core::WorkflowExecution::QUEUED);
      AfterCommit([this, id, raw, reply] {
        if (!store_error_.ok()) return reply(store_error_);
        // Recorded, nothing started: let it go, so that a Resume starts it.
        (void)store().ReleaseLease(id, owner_);
        DropExecution(raw, FailedPrecondition("execution " + id + " is held: resume starts it"));
        reply(id);
      });
      return;
    }
    StartScope(root);
    AfterCommit([this, id, raw, reply] {
      if (!store_error_.ok()) return reply(store_error_);
      // Dropped before its first row was written (another engine recorded
      // the same id first): freed only after this callback.
      if (raw->dropped) return reply(raw->drop_reason);
      reply(id);
    });
  });
}

Status Executor::Resume(const std::string& id) {
  return Call<Status>([this, id](auto reply) {
    if (!store_error_.ok()) return reply(store_error_);
    if (FindLive(id) != nullptr) return reply(Status::Ok());  // already ours
    auto adopted = Adopt(id);
    if (!adopted.ok()) return reply(adopted.status());
    AfterCommit([this, reply] { reply(store_error_); });
  });
}

Result<std::vector<std::string>> Executor::AdoptOrphans() {
  return Call<Result<std::vector<std::string>>>([this](auto reply) {
    if (!store_error_.ok()) return reply(store_error_);
    auto unfinished = store().ListUnfinished();
    if (!unfinished.ok()) return reply(unfinished.status());
    auto ids = std::make_shared<std::vector<std::string>>();
    const int64_t now = Now();
    for (const auto& e : *unfinished) {
      if (FindLive(e.id) != nullptr) continue;
      const bool orphan = e.owner.empty() || e.lease_expires_ns < now || OwnerDeadHere(e.owner);
      if (!orphan) continue;
      auto adopted = Adopt(e.id);  // one that another engine took meanwhile is skipped
      if (adopted.ok() && *adopted != nullptr) ids->push_back(e.id);
    }
    AfterCommit([this, ids, reply] {
      if (!store_error_.ok()) return reply(store_error_);
      reply(*ids);
    });
  });
}

Result<ExecutionResult> Executor::Wait(const std::string& id) {
  return Call<Result<ExecutionResult>>([this, id](auto reply) {
    if (Execution* exec = FindLive(id)) {
      exec->waiters.push_back(reply);
      return;
    }
    if (!store_error_.ok()) return reply(store_error_);
    auto record = store().GetExecution(id);
    if (!record.ok()) return reply(record.status());
    if (!idl::IsTerminal(record->phase)) {
      return reply(FailedPrecondition(
          "execution " + id + " is not run by this engine" +
          (record->owner.empty() ? std::string() : " (its lease holder: " + record->owner + ")")));
    }
    reply(StoredResult(store(), id));
  });
}

Result<AbortOutcome> Executor::Abort(const std::string& id, const std::string& reason) {
  return Call<Result<AbortOutcome>>([this, id, reason](auto reply) {
    if (!store_error_.ok()) return reply(store_error_);
    Execution* exec = FindLive(id);
    if (exec == nullptr) {
      auto record = store().GetExecution(id);
      if (!record.ok()) return reply(record.status());
      if (idl::IsTerminal(record->phase)) {
        return reply(FailedPrecondition("execution " + id + " already ended " +
                                        core::WorkflowExecution::Phase_Name(record->phase)));
      }
      if (!record->parent.empty()) {
        return reply(FailedPrecondition("execution " + id + " is a child of " + record->parent +
                                        ": abort " + record->root));
      }
      auto adopted = Adopt(id);
      if (!adopted.ok()) {
        if (adopted.status().code() != StatusCode::kFailedPrecondition) {
          return reply(adopted.status());
        }
        // Another live engine holds it: ask it.
        Status asked = store().RequestAbort(id);
        if (!asked.ok()) return reply(asked);
        return reply(AbortOutcome::kRequested);
      }
      exec = *adopted;
      if (exec == nullptr) return reply(FailedPrecondition("execution " + id + " already ended"));
    }
    if (exec->finished) {
      return reply(FailedPrecondition("execution " + id + " already ended " +
                                      core::WorkflowExecution::Phase_Name(exec->root->phase)));
    }
    AbortExecution(exec, reason);
    AfterCommit([this, reply] {
      if (!store_error_.ok()) return reply(store_error_);
      reply(AbortOutcome::kAborted);
    });
  });
}

uint64_t Executor::Subscribe(EventListener listener) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  listeners_[++next_listener_] = std::move(listener);
  return next_listener_;
}

void Executor::Unsubscribe(uint64_t id) {
  std::lock_guard<std::mutex> lock(listeners_mu_);
  listeners_.erase(id);
}

// ---- The loop ------------------------------------------------------------------------

void Executor::Loop() {
  for (;;) {
    std::vector<Command> commands;
    std::vector<std::pair<uint64_t, runtime::TaskOutcome>> completions;
    std::vector<std::pair<uint64_t, std::string>> handles;
    bool stopping;
    {
      Mailbox& mb = *mailbox_;
      std::unique_lock<std::mutex> lock(mb.mu);
      while (mb.commands.empty() && mb.completions.empty() && mb.handles.empty() && !mb.stopping) {
        if (commit_due_) {
          // A deferred commit: real time, whatever the engine's clock (a
          // fake one must not hold changes back). Timers wait for it.
          if (std::chrono::steady_clock::now() >= *commit_due_) break;
          mb.cv.wait_until(lock, *commit_due_);
          continue;
        }
        if (timers_.empty()) {
          mb.cv.wait(lock);
          continue;
        }
        const int64_t due = timers_.top().due_ns;
        if (due <= Now()) break;
        clock_->WaitUntil(mb.cv, lock, due);
      }
      commands.swap(mb.commands);
      completions.swap(mb.completions);
      handles.swap(mb.handles);
      stopping = mb.stopping;
    }
    stopping_ = stopping;
    if (!commands.empty() && commit_due_) {
      // Callers see the store as the engine does: what earlier turns left
      // to a deferred commit is committed before any command runs. First
      // thing in the turn, while nothing is ready to launch: a commit that
      // loses a lease frees that execution's scopes.
      force_commit_ = true;
      Flush();
      force_commit_ = false;
    }
    for (auto& [token, handle] : handles) AttemptStarted(token, std::move(handle));
    for (auto& [token, outcome] : completions) AttemptDone(token, std::move(outcome));
    RunTurn(commands);
    if (stopping) break;
  }
  // Stopping: nothing is ended, everything is let go (see ~Engine).
  std::vector<Execution*> live;
  for (auto& [id, exec] : executions_) live.push_back(exec.get());
  for (Execution* exec : live) {
    if (!exec->finished) {
      (void)store().ReleaseLease(exec->id, owner_);
      DropExecution(exec, Aborted("the engine stopped"));
    }
  }
  // Nothing more is committed: what is left unwritten goes, and every
  // waiter is answered.
  pending_ = PendingCommit();
  FinishExecutions();
}

void Executor::RunTurn(std::vector<Command>& commands) {
  for (auto& command : commands) command();
  FireTimers();
  // Transitions can make more work ready, and starting attempts after a
  // commit can fail at once: go round until nothing is left to do.
  do {
    while (!ready_.empty()) {
      auto [s, i] = ready_.front();
      ready_.pop_front();
      Launch(s, i);
    }
    PumpPools();
    if (Flush()) {
      if (ready_.empty() && before_commit_.empty()) break;  // changes wait for a later commit
      continue;
    }
  } while (!ready_.empty() || !pending_.empty() || !before_commit_.empty());
  if (!settled_.empty()) {
    // Settle: whatever this turn deferred is committed before the answer.
    force_commit_ = true;
    Flush();
    force_commit_ = false;
    for (auto& reply : settled_) reply(store_error_);
    settled_.clear();
  }
}

Status Executor::Settle() {
  return Call<Status>([this](auto reply) { settled_.push_back(std::move(reply)); });
}

void Executor::FireTimers() {
  const int64_t now = Now();
  while (!timers_.empty() && timers_.top().due_ns <= now) {
    Timer t = timers_.top();
    timers_.pop();
    switch (t.kind) {
      case Timer::Kind::kAttempt: AttemptTimedOut(t.id); break;
      case Timer::Kind::kNode: {
        auto it = scopes_.find(t.id);
        if (it == scopes_.end()) break;  // its execution is gone
        Scope* s = it->second;
        if (s->exec->finished || s->exec->dropped) break;
        Handler(s, t.node).TimerDue(*this, s, t.node, t.tag);
        break;
      }
      case Timer::Kind::kLeases:
        leases_armed_ = false;  // re-armed below, or by the next execution
        if (executions_.empty()) break;
        RenewLeases();
        ScheduleHousekeeping();
        break;
      case Timer::Kind::kControl:
        control_armed_ = false;
        if (executions_.empty()) break;
        PollControl();
        ScheduleHousekeeping();
        break;
    }
  }
}

void Executor::SetNodeTimer(Scope* s, int i, int64_t due_ns, int tag) {
  timers_.push({due_ns, Timer::Kind::kNode, s->serial, i, tag});
}

void Executor::ScheduleHousekeeping() {
  const int64_t now = Now();
  if (!leases_armed_) {
    leases_armed_ = true;
    timers_.push({now + lease_ns_ / 3, Timer::Kind::kLeases, 0, 0, 0});
  }
  if (!control_armed_) {
    control_armed_ = true;
    timers_.push({now + poll_ns_, Timer::Kind::kControl, 0, 0, 0});
  }
}

// ---- Group commit --------------------------------------------------------------------

void Executor::NotifyBeforeCommit(Scope* s, int i) { before_commit_.push_back({s->serial, i}); }

void Executor::AddElementRow(Scope* s, store::ElementRecord row) {
  pending_.element_rows.push_back({s->exec, std::move(row)});
}

Result<bool> Executor::PutData(Scope* s, const std::string& key,
                               const google::protobuf::Message& data) {
  if (data.ByteSizeLong() > store::kInlineDataMaxBytes) {
    FLYTECPP_RETURN_IF_ERROR(store::WriteProto(s->data.Path(key), data));
    return true;
  }
  pending_.data_rows.push_back({s->exec, {s->execution_id, key, data.SerializeAsString()}});
  return false;
}

Status Executor::EnsureInputsFile(Scope* s, int i) {
  NodeState& n = s->nodes[i];
  if (n.inputs_file || !n.inputs) return Status::Ok();
  // A failed write fails the attempt (retryable), naming the file.
  FLYTECPP_RETURN_IF_ERROR(store::WriteProto(s->data.InputsPath(s->Path(i)), *n.inputs));
  n.inputs_file = true;
  return Status::Ok();
}

bool Executor::MayDeferCommit() const {
  // Only what the engine alone can see may wait: no attempt waits for the
  // commit to start, no caller for an answer, no execution ends. In-process
  // attempts started meanwhile die with the engine, so a crash loses at
  // most kCommitDelay of their work, which then runs again.
  if (stopping_ || force_commit_ || !store_error_.ok() || !after_commit_.empty() ||
      !to_launch_.empty() || !ending_.empty()) {
    return false;
  }
  if (pending_.rows() >= kMaxDeferredRows) return false;
  return !commit_due_ || std::chrono::steady_clock::now() < *commit_due_;
}

bool Executor::Flush() {
  // Handlers that keep rows and events of their own add them now.
  std::vector<std::pair<uint64_t, int>> hooks;
  hooks.swap(before_commit_);
  for (auto [serial, i] : hooks) {
    auto it = scopes_.find(serial);
    if (it != scopes_.end() && !it->second->exec->dropped) {
      Handler(it->second, i).BeforeCommit(*this, it->second, i);
    }
  }
  // Executions that ended this turn need only their outputs from now on:
  // the data of inner nodes is let go before the batch copies the outputs.
  for (Execution* exec : ending_) {
    if (exec->dropped || !exec->root) continue;
    for (int i = 0; i < static_cast<int>(exec->root->nodes.size()); ++i) {
      if (i == Plan::kEnd) continue;
      exec->root->nodes[i].inputs.reset();
      exec->root->nodes[i].outputs.reset();
    }
  }
  const bool nothing = pending_.empty();
  if (nothing && after_commit_.empty() && to_launch_.empty()) {
    FinishExecutions();
    return false;
  }
  if (!nothing && MayDeferCommit()) {
    if (!commit_due_) commit_due_ = std::chrono::steady_clock::now() + kCommitDelay;
    return true;
  }
  commit_due_.reset();
  auto build = [&] {
    store::Batch batch;
    batch.owner = owner_;
    batch.lease_expires_ns = Now() + lease_ns_;
    for (Scope* s : pending_.dirty_records) {
      if (s->exec->dropped) continue;
      batch.executions.push_back(s->record);  // closure and inputs: first row only
      if (!s->recorded && s == s->exec->root.get() && s->exec->schedule_mark) {
        batch.schedule_marks.push_back(*s->exec->schedule_mark);
      }
      // An execution of the API that ended: its notifications are told, in
      // the transaction that records the end (the store keeps one per phase).
      if (s == s->exec->root.get() && !s->record.project.empty() &&
          idl::IsTerminal(s->record.phase)) {
        batch.notices.push_back({s->execution_id, s->record.phase, Now()});
      }
      if (s->phase == core::WorkflowExecution::SUCCEEDED) {
        batch.executions.back().outputs = s->nodes[Plan::kEnd].outputs;
      }
    }
    for (auto [s, i] : pending_.dirty_nodes) {
      if (s->exec->dropped) continue;
      const NodeState& n = s->nodes[i];
      store::NodeRecord r;
      r.execution_id = s->execution_id;
      r.path = s->Path(i);
      r.phase = n.phase;
      r.attempts = n.attempts;
      r.system_failures = n.system_failures;
      r.error = n.error;
      r.queued_ns = n.queued_ns;
      r.attempt_started_ns = n.attempt_started_ns;
      if (n.runtime != nullptr) r.runtime = std::string(n.runtime->name());
      r.handle = n.handle;
      r.updated_ns = Now();
      batch.nodes.push_back(std::move(r));
    }
    for (const auto& e : pending_.events) {
      if (!e.exec->dropped) batch.events.push_back(e.record);
    }
    for (const auto& [exec, row] : pending_.element_rows) {
      if (!exec->dropped) batch.elements.push_back(row);
    }
    for (const auto& [exec, row] : pending_.data_rows) {
      if (!exec->dropped) batch.data.push_back(row);
    }
    batch.signals = pending_.signals;
    batch.cache_puts = pending_.cache_puts;
    batch.cache_hits = pending_.cache_hits;
    batch.cache_releases = pending_.cache_releases;
    batch.now_ns = Now();
    return batch;
  };
  Status st = store_error_;
  if (st.ok() && !nothing) {
    st = store().Commit(build());
    if (st.code() == StatusCode::kAborted) {
      // A lease was lost (another engine took an execution over): give up
      // those, keep the rest.
      RenewLeases();
      st = store().Commit(build());
    }
  }
  if (!st.ok() && store_error_.ok()) {
    // The outcome of the commit is unknown: stop everything (sticky, as
    // leveldb's background error).
    store_error_ = st;
    std::vector<Execution*> live;
    for (auto& [id, exec] : executions_) live.push_back(exec.get());
    for (Execution* exec : live) DropExecution(exec, st);
  }
  for (Scope* s : pending_.dirty_records) {
    s->record_dirty = false;
    if (st.ok() && !s->recorded) {
      s->recorded = true;
      s->record.closure.Clear();  // stored now; the plans hold their own copy
      s->record.inputs.reset();
    }
  }
  for (auto [s, i] : pending_.dirty_nodes) s->nodes[i].dirty = false;
  std::vector<PendingEvent> events;
  events.swap(pending_.events);
  pending_ = PendingCommit();
  cache_pending_.clear();
  if (st.ok()) {
    std::vector<store::EventRecord> committed;
    for (auto& e : events) {
      if (!e.exec->dropped) committed.push_back(std::move(e.record));
    }
    if (!committed.empty()) {
      // Listeners need the phase and attempt without parsing: kept beside.
      std::lock_guard<std::mutex> lock(listeners_mu_);
      if (!listeners_.empty()) {
        size_t k = 0;
        for (const auto& e : events) {
          if (e.exec->dropped) continue;
          const store::EventRecord& r = committed[k++];
          Event ev{r.execution_id, r.kind, r.node_path, e.phase, e.attempt, r.payload};
          for (auto& [lid, listener] : listeners_) listener(ev);
        }
      }
    }
    if (restored_rows_) {
      for (auto& [id, exec] : executions_) exec->restored.clear();
      restored_rows_ = false;
    }
  }
  std::vector<std::function<void()>> callbacks;
  callbacks.swap(after_commit_);
  for (auto& fn : callbacks) fn();
  if (st.ok()) StartLaunched();
  to_launch_.clear();
  AnswerBlocked();
  FinishExecutions();
  return false;
}

void Executor::EndExecution(Execution* exec) {
  exec->finished = true;
  ending_.push_back(exec);
}

void Executor::FinishExecutions() {
  // Rows not committed yet may name an ending execution's scopes (an attempt
  // that failed to start after the commit, say): it is freed after the next
  // commit, which comes at once (ending executions are never deferred).
  if (pending_.NamesScopes()) return;
  std::vector<Execution*> ending;
  ending.swap(ending_);
  for (Execution* exec : ending) {
    auto it = executions_.find(exec->id);
    if (it == executions_.end() || it->second.get() != exec) continue;  // freed already
    std::vector<ResultCallback> waiters;
    waiters.swap(exec->waiters);
    for (auto& w : waiters) {
      if (exec->dropped) {
        w(exec->drop_reason);
      } else {
        w(ResultOf(*exec->root));
      }
    }
    for (auto& w : exec->blocked_waiters) {
      if (exec->dropped) {
        w(exec->drop_reason);
      } else {
        w(std::optional<ExecutionResult>(ResultOf(*exec->root)));
      }
    }
    exec->blocked_waiters.clear();
    // Forget its scopes, so timers naming them find nothing.
    Forget(exec->root.get());
    executions_.erase(it);
  }
}

void Executor::Forget(Scope* s) {
  scopes_.erase(s->serial);
  for (auto& n : s->nodes) {
    if (n.child) Forget(n.child.get());
    if (n.array) {
      for (auto& [e, child] : n.array->children) Forget(child.get());
    }
  }
}

void Executor::RetireScope(std::unique_ptr<Scope> scope) {
  Forget(scope.get());
  auto dead = std::make_shared<std::unique_ptr<Scope>>(std::move(scope));
  AfterCommit([dead] {});  // rows and events of this turn may still name it
}

void Executor::DropExecution(Execution* exec, const Status& why) {
  if (exec->dropped) return;
  exec->dropped = true;
  exec->drop_reason = why;
  ending_.push_back(exec);
  // Stop its attempts in the runtimes; nothing is recorded.
  std::vector<uint64_t> tokens;
  for (const auto& [token, a] : attempts_) {
    if (a.scope->exec == exec) tokens.push_back(token);
  }
  for (uint64_t token : tokens) {
    AbortInRuntime(token);
    ReleaseAttempt(token);
  }
}

Execution* Executor::FindLive(const std::string& id) {
  auto it = executions_.find(id);
  if (it == executions_.end() || it->second->dropped) return nullptr;
  return it->second.get();
}

// ---- Leases ---------------------------------------------------------------------------

void Executor::RenewLeases() {
  auto held = store().RenewLeases(owner_, Now() + lease_ns_);
  if (!held.ok()) return;  // tried again at the next renewal; the fence still holds
  std::set<std::string> ours(held->begin(), held->end());
  std::vector<Execution*> lost;
  for (auto& [id, exec] : executions_) {
    // Executions not committed yet are not in the store: not lost. One that
    // finished in this turn is still unfinished there.
    if (exec->root->recorded && !exec->dropped && !ours.count(id)) {
      lost.push_back(exec.get());
    }
  }
  for (Execution* exec : lost) {
    DropExecution(exec, Aborted("lease lost: another engine runs execution " + exec->id +
                                " now; this one let it go"));
  }
  // Not committed yet, yet in the store: another engine created the same
  // id first (servers firing one scheduled slot). Its first row fenced ours.
  std::vector<Execution*> taken;
  for (auto& [id, exec] : executions_) {
    if (!exec->root->recorded && !exec->dropped && store().GetExecution(id).ok()) {
      taken.push_back(exec.get());
    }
  }
  for (Execution* exec : taken) {
    DropExecution(exec, AlreadyExists("execution \"" + exec->id +
                                      "\" exists: another engine created it first"));
  }
}

void Executor::PollControl() {
  PollSignals();
  auto requests = store().AbortRequests(owner_);
  if (!requests.ok()) return;
  for (const auto& id : *requests) {
    if (Execution* exec = FindLive(id); exec != nullptr && !exec->finished) {
      AbortExecution(exec, "aborted on request (flytecpp abort)");
    }
  }
}

Result<Execution*> Executor::Adopt(const std::string& id) {
  const int64_t now = Now();
  Status leased = store().AcquireLease(id, owner_, now, now + lease_ns_);
  if (leased.code() == StatusCode::kFailedPrecondition) {
    // Held: by a dead engine of this host, it can be taken at once.
    auto record = store().GetExecution(id);
    if (record.ok() && record->parent.empty() && OwnerDeadHere(record->owner)) {
      leased = store().AcquireLease(id, owner_, now, now + lease_ns_, record->owner);
    }
  }
  FLYTECPP_RETURN_IF_ERROR(leased);
  FLYTECPP_ASSIGN_OR_RETURN(store::ExecutionRecord record, store().GetExecution(id));
  if (idl::IsTerminal(record.phase)) return static_cast<Execution*>(nullptr);
  FLYTECPP_ASSIGN_OR_RETURN(std::unique_ptr<PlanSet> plans, PlanSet::Build(record.closure));
  auto exec = std::make_unique<Execution>();
  exec->id = id;
  exec->plans = std::move(plans);
  exec->max_parallelism = record.max_parallelism;
  exec->overwrite_cache = record.overwrite_cache;
  exec->root = NewScope(exec.get(), &exec->plans->primary(), id, "", nullptr, -1);
  Scope* root = exec->root.get();
  root->is_execution = true;
  root->recorded = true;
  root->inputs = record.inputs ? record.inputs : std::make_shared<const core::LiteralMap>();
  root->phase = record.phase;
  root->started_ns = record.created_ns;
  record.closure.Clear();  // the store has them; the plans own a copy
  record.inputs.reset();
  root->record = std::move(record);
  Execution* raw = exec.get();
  executions_[id] = std::move(exec);
  ScheduleHousekeeping();
  if (root->phase == core::WorkflowExecution::QUEUED) {
    StartScope(root);  // held until now: nothing of it ran
  } else {
    RestoreScope(root);
  }
  return raw;
}

void Executor::AbortExecution(Execution* exec, const std::string& reason) {
  Scope* root = exec->root.get();
  if (root->state == Scope::State::kDone) return;
  AbortScope(root, reason);
  root->error = MakeError(core::ExecutionError::USER, "Aborted", reason);
  FinishScope(root, core::WorkflowExecution::ABORTED);
}

// ---- Launch plans ----------------------------------------------------------------------

Result<LaunchPlanTarget> Executor::ResolveLaunchPlan(const core::Identifier& id) {
  if (options_.launch_plans) return options_.launch_plans(id);
  core::Identifier lp_id = id;
  lp_id.set_resource_type(core::LAUNCH_PLAN);
  const std::string key = idl::IdentifierString(lp_id);
  FLYTECPP_ASSIGN_OR_RETURN(std::optional<store::RegisteredEntity> lp_row,
                            store().GetRegistered(lp_id));
  if (!lp_row) return NotFound("launch plan " + key + " is not registered in the store");
  flyteidl::admin::LaunchPlanSpec spec;
  if (!spec.ParseFromString(lp_row->spec)) return Internal("launch plan " + key + ": unreadable");
  core::Identifier wf_id = spec.workflow_id();
  wf_id.set_resource_type(core::WORKFLOW);
  const std::string wf_key = idl::IdentifierString(wf_id);
  FLYTECPP_ASSIGN_OR_RETURN(std::optional<store::RegisteredEntity> wf_row,
                            store().GetRegistered(wf_id));
  if (!wf_row) {
    return NotFound("workflow " + wf_key + " of launch plan " + key + " is not registered");
  }
  flyteidl::admin::WorkflowClosure workflow;
  if (!workflow.ParseFromString(wf_row->closure)) {
    return Internal("workflow " + wf_key + ": unreadable");
  }
  return TargetOf(spec, workflow.compiled_workflow());
}

}  // namespace internal

// ---- Public API -----------------------------------------------------------------------

struct Engine::Impl {
  explicit Impl(EngineOptions options) : executor(std::move(options)) {}
  internal::Executor executor;
};

Engine::Engine(EngineOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Engine::~Engine() = default;

Result<std::string> Engine::Submit(ExecutionRequest request) {
  return impl_->executor.Submit(std::move(request));
}
Status Engine::Resume(const std::string& id) { return impl_->executor.Resume(id); }
Result<std::vector<std::string>> Engine::AdoptOrphans() { return impl_->executor.AdoptOrphans(); }
Result<ExecutionResult> Engine::Wait(const std::string& id) { return impl_->executor.Wait(id); }
Result<ExecutionResult> Engine::Run(ExecutionRequest request) {
  FLYTECPP_ASSIGN_OR_RETURN(std::string id, Submit(std::move(request)));
  return Wait(id);
}
Result<AbortOutcome> Engine::Abort(const std::string& id, const std::string& reason) {
  return impl_->executor.Abort(id, reason);
}
Status Engine::Signal(const std::string& id, const std::string& signal_id, core::Literal value,
                      std::string origin, std::string note) {
  return impl_->executor.Signal(id, signal_id, std::move(value), std::move(origin),
                                std::move(note));
}
Result<std::vector<SignalState>> Engine::Signals(const std::string& id) {
  return impl_->executor.Signals(id);
}
Result<std::optional<ExecutionResult>> Engine::WaitUntilBlocked(const std::string& id) {
  return impl_->executor.WaitUntilBlocked(id);
}
Status Engine::Settle() { return impl_->executor.Settle(); }
uint64_t Engine::Subscribe(EventListener listener) {
  return impl_->executor.Subscribe(std::move(listener));
}
void Engine::Unsubscribe(uint64_t id) { impl_->executor.Unsubscribe(id); }
const std::string& Engine::owner() const { return impl_->executor.owner(); }
bool Engine::OwnerIsGone(const std::string& owner) { return internal::OwnerDeadHere(owner); }

LaunchPlanTarget TargetOf(const flyteidl::admin::LaunchPlanSpec& spec,
                          core::CompiledWorkflowClosure workflow) {
  LaunchPlanTarget target;
  target.closure = std::move(workflow);
  target.fixed_inputs = spec.fixed_inputs();
  target.default_inputs = spec.default_inputs();
  target.max_parallelism = static_cast<int>(spec.max_parallelism());
  return target;
}

flyteidl::admin::LaunchPlan LaunchPlanOf(const core::Identifier& id,
                                         const LaunchPlanTarget& target) {
  flyteidl::admin::LaunchPlan lp;
  *lp.mutable_id() = id;
  lp.mutable_id()->set_resource_type(core::LAUNCH_PLAN);
  *lp.mutable_spec()->mutable_workflow_id() = target.closure.primary().template_().id();
  *lp.mutable_spec()->mutable_fixed_inputs() = target.fixed_inputs;
  *lp.mutable_spec()->mutable_default_inputs() = target.default_inputs;
  lp.mutable_spec()->set_max_parallelism(target.max_parallelism);
  return lp;
}

void UseLaunchPlan(const LaunchPlanTarget& target, ExecutionRequest* request) {
  request->closure = target.closure;
  request->defaults = target.default_inputs;
  request->fixed_inputs = target.fixed_inputs;
  request->max_parallelism = target.max_parallelism;
}

Status RegisterLaunchPlan(store::Store& store, const core::Identifier& id,
                          const LaunchPlanTarget& target) {
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  // Registered before: the same spec (compared as messages: map fields
  // serialize in no fixed order), or an error naming the id.
  auto once = [&store](const store::RegisteredEntity& row, google::protobuf::Message* mine,
                       google::protobuf::Message* theirs) -> Status {
    FLYTECPP_ASSIGN_OR_RETURN(auto registered, store.RegisterEntity(row));
    if (registered.second) return Status::Ok();
    if (mine->ParseFromString(row.spec) && theirs->ParseFromString(registered.first.spec) &&
        google::protobuf::util::MessageDifferencer::Equals(*mine, *theirs)) {
      return Status::Ok();
    }
    return AlreadyExists(idl::IdentifierString(row.id) +
                         " is registered with a different spec (versions are immutable: give "
                         "another version)");
  };
  flyteidl::admin::WorkflowSpec wf_mine, wf_theirs;
  FLYTECPP_RETURN_IF_ERROR(once(store::WorkflowRow(target.closure, now), &wf_mine, &wf_theirs));
  flyteidl::admin::LaunchPlanSpec lp_mine, lp_theirs;
  return once(store::LaunchPlanRow(LaunchPlanOf(id, target), now), &lp_mine, &lp_theirs);
}

core::LiteralMap MergeInputs(core::LiteralMap given, const core::ParameterMap& defaults,
                             const core::LiteralMap& fixed) {
  core::LiteralMap out = std::move(given);
  auto* literals = out.mutable_literals();
  for (const auto& [name, p] : defaults.parameters()) {
    if (p.has_default_() && !literals->count(name)) (*literals)[name] = p.default_();
  }
  for (const auto& [name, value] : fixed.literals()) (*literals)[name] = value;
  return out;
}

std::string NewExecutionId() {
  static thread_local std::mt19937_64 rng(
      std::random_device{}() ^ static_cast<uint64_t>(::getpid()) ^
      static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()));
  static const char kAlnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string id(1, "abcdefghijklmnopqrstuvwxyz"[rng() % 26]);
  while (id.size() < 20) id += kAlnum[rng() % 36];
  return id;
}

Status CheckExecutionName(const std::string& name) {
  if (name.size() > 63) return InvalidArgument("name: longer than 63 characters");
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-')) {
      return InvalidArgument("name \"" + name + "\": only lower-case letters, digits and '-'");
    }
  }
  if (name.empty() || !std::islower(static_cast<unsigned char>(name[0]))) {
    return InvalidArgument("name \"" + name + "\": must start with a letter");
  }
  return Status::Ok();
}

Result<ExecutionResult> StoredResult(store::Store& store, const std::string& execution_id) {
  FLYTECPP_ASSIGN_OR_RETURN(store::ExecutionRecord r, store.GetExecution(execution_id));
  ExecutionResult out;
  out.execution_id = r.id;
  out.phase = r.phase;
  if (r.outputs) out.outputs = *r.outputs;
  if (r.phase != core::WorkflowExecution::SUCCEEDED) out.error = r.error;
  FLYTECPP_ASSIGN_OR_RETURN(auto nodes, store.GetNodes(execution_id));
  for (const auto& n : nodes) {
    if ((n.phase == core::NodeExecution::FAILED || n.phase == core::NodeExecution::TIMED_OUT) &&
        n.path.find('/') == std::string::npos) {
      out.failed_node = n.path;
    }
  }
  return out;
}

}  // namespace flytecpp::engine
