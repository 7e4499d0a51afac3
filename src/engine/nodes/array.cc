// Array nodes (flyte-executor.md §3.6): the sub-node runs once per element
// (a task: one attempt at a time per element; beyond Flyte, a sub-workflow:
// a child scope per element under "<array>/<index>/", or a launch plan: a
// child execution per element, "<exec>-<array>-<index>").
// Collection inputs are mapped element by element; bound inputs and other
// inputs are passed whole; collections of unequal length are the user's
// error. Elements start in index order, at most `parallelism` (else a window
// of 1024) at once — or, on a runtime that runs arrays whole (Slurm's job
// arrays), all at once as one batch, the runtime honouring the parallelism —
// each with its own attempts on the sub-node's retry budget and timeout.
// Success needs `min_successes` (or `min_success_ratio` of the size, else
// all); once that is impossible the rest is stopped — unless
// `run_all_sub_nodes` says to run everything. Outputs are collections in
// input order, None where an element did not succeed.
//
// State is compact (ArrayState); element rows and one aggregated task event
// per turn (Flyte's array event recorder, §7.4) are added to each commit.
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "../executor.h"
#include "flytecpp/engine/cache.h"
#include "flytecpp/idl/identifiers.h"
#include "flytecpp/idl/literals.h"
#include "launch_plan_child.h"

namespace flytecpp::engine::internal {

namespace {

constexpr int64_t kDefaultWindow = 1024;
constexpr size_t kResourcesPerEvent = 10000;

core::TaskExecution::Phase TaskPhase(NodePhase p) {
  switch (p) {
    case core::NodeExecution::QUEUED: return core::TaskExecution::QUEUED;
    case core::NodeExecution::RUNNING: return core::TaskExecution::RUNNING;
    case core::NodeExecution::SUCCEEDED: return core::TaskExecution::SUCCEEDED;
    case core::NodeExecution::FAILED:
    case core::NodeExecution::TIMED_OUT: return core::TaskExecution::FAILED;
    case core::NodeExecution::ABORTED: return core::TaskExecution::ABORTED;
    default: return core::TaskExecution::UNDEFINED;
  }
}

class ArrayHandler : public NodeHandler, public ElementHooks {
 public:
  ElementHooks* elements() override { return this; }

  void Start(Executor& x, Scope* s, int i) override {
    if (!Prepare(x, s, i)) return;
    if (s->nodes[i].phase != core::NodeExecution::RUNNING) {
      x.SetPhase(s, i, core::NodeExecution::RUNNING);
    }
    Evaluate(x, s, i);
  }

  void Resume(Executor& x, Scope* s, int i) override {
    if (!Prepare(x, s, i)) return;
    ArrayState& a = *s->nodes[i].array;
    auto rows = x.store().GetElements(s->execution_id, s->Path(i));
    std::vector<std::pair<int64_t, store::ElementRecord>> interrupted;
    for (auto& r : rows.ok() ? *rows : std::vector<store::ElementRecord>{}) {
      const int64_t e = r.index;
      if (e < 0 || e >= a.size) continue;
      a.attempts[e] = static_cast<uint16_t>(r.attempts);
      a.system_failures[e] = static_cast<uint8_t>(r.system_failures);
      switch (r.phase) {
        case core::NodeExecution::SUCCEEDED:
          a.phase[e] = r.phase;
          if (r.outputs) Keep(a, e, std::move(*r.outputs));
          ++a.succeeded;
          break;
        case core::NodeExecution::FAILED:
        case core::NodeExecution::TIMED_OUT:
          a.phase[e] = core::NodeExecution::FAILED;
          CountFailure(a, r.error ? *r.error : core::ExecutionError());
          break;
        case core::NodeExecution::QUEUED:
        case core::NodeExecution::RUNNING:
          if (r.attempt_started_ns > 0) {
            a.phase[e] = core::NodeExecution::RUNNING;  // before anything else may start
            ++a.in_flight;
            interrupted.emplace_back(e, std::move(r));
          }
          break;
        default: break;  // starts again
      }
    }
    // Attempts left running by the engine that stopped: watched again, or
    // counted interrupted (a system failure) and retried. Nothing is decided
    // until all of them are back in the state.
    a.settling = true;
    const PlanNode& sub = s->plan->nodes[s->plan->nodes[i].array.sub_node];
    for (auto& [e, r] : interrupted) {
      if (sub.kind == NodeKind::kSubWorkflow) {
        x.RestoreScope(ElementScope(x, s, i, e));  // its nodes pick up where they were
        continue;
      }
      if (sub.kind == NodeKind::kLaunchPlan) {
        auto child = RestoreLaunchPlanChild(x, s, i, ChildExecutionId(s, ElementPath(s, i, e)));
        if (!child.ok()) {  // never recorded: it starts again
          --a.in_flight;
          a.phase[e] = core::NodeExecution::UNDEFINED;
          a.next = std::min(a.next, e);
          continue;
        }
        Scope* c = Adopt(x, s, i, e, std::move(child).value());
        if (c->state == Scope::State::kDone) {
          ElementScopeDone(x, s, i, c);  // it ended; the array had not heard yet
        } else {
          x.RestoreScope(c);
        }
        continue;
      }
      runtime::Runtime* previous = nullptr;
      for (runtime::Runtime* rt : x.options().runtimes) {
        if (rt->name() == r.runtime) previous = rt;
      }
      if (x.ReattachElement(s, i, e, previous, r.handle)) continue;
      ElementDone(x, s, i, e,
                  runtime::TaskError{core::ExecutionError::SYSTEM, "Interrupted",
                                     "attempt " + std::to_string(a.attempts[e]) +
                                         " was running when the engine running it stopped",
                                     true});
    }
    a.settling = false;
    if (s->nodes[i].phase == core::NodeExecution::RUNNING) Evaluate(x, s, i);
  }

  runtime::AttemptSpec ElementSpec(Executor& x, Scope* s, int i, int64_t element,
                                   uint64_t token) override {
    const PlanNode& p = s->plan->nodes[i];
    const PlanNode& sub = s->plan->nodes[p.array.sub_node];
    ArrayState& a = *s->nodes[i].array;
    const std::string path = ElementPath(s, i, element);
    runtime::AttemptSpec spec;
    spec.id = {s->execution_id, path, a.attempts[element], token};
    x.SetExecutionOf(s, &spec);
    spec.task = p.array.element_task ? p.array.element_task : sub.task;
    spec.inputs = std::make_shared<const core::LiteralMap>(ElementInputs(s, i, element));
    if (p.array.individual_input_files) {
      spec.data_dir = s->data.NodeDataDir(path);
      (void)store::WriteProto(s->data.InputsPath(path), *spec.inputs);
    } else {
      spec.data_dir = s->data.NodeDataDir(s->Path(i));  // the array's inputs.pb and an index
    }
    spec.output_dir = s->data.OutputDir(path, a.attempts[element]);
    spec.array_index = element;
    spec.interruptible = sub.interruptible;
    if (auto b = a.batch_of.find(element); b != a.batch_of.end()) {
      ArrayState::Batch& batch = a.batch[b->second];
      spec.array_batch = s->execution_id + "/" + s->Path(i) + "#" + std::to_string(b->second);
      spec.array_batch_size = batch.size;
      spec.array_parallelism = p.array.parallelism;
      if (--batch.unsent == 0) a.batch.erase(b->second);
      a.batch_of.erase(b);
    }
    return spec;
  }

  void ElementStarted(Executor& x, Scope* s, int i, int64_t element, int64_t started_ns) override {
    ArrayState& a = *s->nodes[i].array;
    a.phase[element] = core::NodeExecution::RUNNING;
    a.started_ns[element] = started_ns;
    // Recorded before it starts when its runtime needs that (R28).
    if (!s->nodes[i].runtime->may_start_unrecorded()) Changed(x, s, i, element);
  }

  void ElementHandle(Executor& x, Scope* s, int i, int64_t element, std::string handle) override {
    s->nodes[i].array->handles[element] = std::move(handle);
    Changed(x, s, i, element);
  }

  void ElementDone(Executor& x, Scope* s, int i, int64_t element,
                   runtime::TaskOutcome outcome) override {
    NodeState& n = s->nodes[i];
    if (n.phase != core::NodeExecution::RUNNING || !n.array) return;
    ArrayState& a = *n.array;
    const PlanNode& sub = s->plan->nodes[s->plan->nodes[i].array.sub_node];
    --a.in_flight;
    a.started_ns.erase(element);
    a.handles.erase(element);
    if (auto* outputs = std::get_if<core::LiteralMap>(&outcome)) {
      std::string missing;
      for (const auto& [name, var] : sub.task->interface().outputs().variables()) {
        if (!outputs->literals().count(name)) missing = name;
      }
      if (missing.empty()) {
        a.phase[element] = core::NodeExecution::SUCCEEDED;
        if (sub.task->metadata().discoverable()) {
          auto key = CacheKeyOf(*sub.task, ElementInputs(s, i, element));
          if (key.ok()) {
            x.CachePut(s, ElementPath(s, i, element), a.attempts[element], *key, *sub.task,
                       std::make_shared<const core::LiteralMap>(*outputs));
          }
        }
        Keep(a, element, std::move(*outputs));
        ++a.succeeded;
        Changed(x, s, i, element);
        Evaluate(x, s, i);
        return;
      }
      outcome = runtime::TaskError{
          core::ExecutionError::USER, "OutputsNotFound",
          "task " + sub.task->id().name() + " did not produce output " + missing, true};
    }
    if (std::holds_alternative<core::DynamicJobSpec>(outcome)) {
      outcome = runtime::TaskError{core::ExecutionError::USER, "DynamicInArray",
                                   "task " + sub.task->id().name() +
                                       " generated a dynamic workflow: not as an array element",
                                   false};
    }
    const auto& te = std::get<runtime::TaskError>(outcome);
    Retry r = DecideRetry(a.attempts[element], a.system_failures[element], sub.max_attempts,
                          x.options().max_system_retries, MakeError(te.kind, te.code, te.message),
                          te.retryable);
    if (r.what != Retry::kFail) {
      if (r.what == Retry::kSystem) ++a.system_failures[element];
      ++a.attempts[element];
      a.phase[element] = core::NodeExecution::QUEUED;
      ++a.in_flight;
      x.QueueElementAttempt(s, i, element);
    } else {
      a.phase[element] = core::NodeExecution::FAILED;
      CountFailure(a, r.error);
      a.element_errors[element] = std::move(r.error);
    }
    Changed(x, s, i, element);
    Evaluate(x, s, i);
  }

  void Abort(Executor& x, Scope* s, int i, const std::string&) override { StopAll(x, s, i); }

  // A sub-workflow element ended: its outputs, or its error, as a task
  // element's (it is not retried: its nodes have their own retries).
  void ElementScopeDone(Executor& x, Scope* s, int i, Scope* child) override {
    NodeState& n = s->nodes[i];
    if (n.phase != core::NodeExecution::RUNNING || !n.array) return;
    ArrayState& a = *n.array;
    const int64_t e = child->array_element;
    auto it = a.children.find(e);
    if (it == a.children.end()) return;
    --a.in_flight;
    a.started_ns.erase(e);
    if (child->phase == core::WorkflowExecution::SUCCEEDED) {
      a.phase[e] = core::NodeExecution::SUCCEEDED;
      if (child->nodes[Plan::kEnd].outputs) Keep(a, e, *child->nodes[Plan::kEnd].outputs);
      ++a.succeeded;
    } else {
      a.phase[e] = core::NodeExecution::FAILED;
      core::ExecutionError error =
          child->error ? *child->error
                       : MakeError(core::ExecutionError::USER, "SubworkflowNodeFailing",
                                   "the sub-workflow " +
                                       std::string(child->phase == core::WorkflowExecution::ABORTED
                                                       ? "was aborted"
                                                       : "failed"));
      CountFailure(a, error);
      a.element_errors[e] = std::move(error);
    }
    x.RetireScope(std::move(it->second));
    a.children.erase(it);
    Changed(x, s, i, e);
    Evaluate(x, s, i);
  }

  void BeforeCommit(Executor& x, Scope* s, int i) override {
    NodeState& n = s->nodes[i];
    if (!n.array) return;
    ArrayState& a = *n.array;
    std::sort(a.changed.begin(), a.changed.end());
    a.changed.erase(std::unique(a.changed.begin(), a.changed.end()), a.changed.end());
    const PlanNode& sub = s->plan->nodes[s->plan->nodes[i].array.sub_node];
    const std::string path = s->Path(i);
    const std::string runtime_name = n.runtime != nullptr ? std::string(n.runtime->name()) : "";
    flyteidl::event::TaskExecutionEvent e;
    auto flush_event = [&] {
      if (e.metadata().external_resources_size() == 0) return;
      *e.mutable_task_id() = sub.task       ? sub.task->id()
                             : sub.sub_plan ? sub.sub_plan->tmpl->id()
                                            : sub.launch_plan;
      e.mutable_parent_node_execution_id()->mutable_execution_id()->set_name(s->execution_id);
      e.mutable_parent_node_execution_id()->set_node_id(path);
      e.set_phase(core::TaskExecution::RUNNING);
      e.set_phase_version(++a.phase_version);
      e.set_producer_id("flytecpp");
      e.set_task_type("container_array");
      e.set_event_version(1);
      e.mutable_metadata()->set_plugin_identifier(runtime_name);
      x.AddTaskEvent(s, i, e);
      e.Clear();
    };
    for (int64_t el : a.changed) {
      store::ElementRecord row;
      row.execution_id = s->execution_id;
      row.path = path;
      row.index = el;
      row.phase = static_cast<NodePhase>(a.phase[el]);
      row.attempts = a.attempts[el];
      row.system_failures = a.system_failures[el];
      if (auto err = a.element_errors.find(el); err != a.element_errors.end()) {
        row.error = err->second;
        a.element_errors.erase(err);
      }
      if (auto st = a.started_ns.find(el); st != a.started_ns.end()) {
        row.attempt_started_ns = st->second;
        row.runtime = runtime_name;
      }
      if (auto h = a.handles.find(el); h != a.handles.end()) row.handle = h->second;
      if (row.phase == core::NodeExecution::SUCCEEDED) row.outputs = ElementOutputs(n, el);
      row.updated_ns = x.Now();
      auto* res = e.mutable_metadata()->add_external_resources();
      res->set_external_id(s->execution_id + "-" + path + "-n" + std::to_string(el) + "-" +
                           std::to_string(row.attempts));
      res->set_index(static_cast<uint32_t>(el));
      res->set_retry_attempt(static_cast<uint32_t>(row.attempts));
      res->set_phase(TaskPhase(row.phase));
      x.AddElementRow(s, std::move(row));
      if (static_cast<size_t>(e.metadata().external_resources_size()) >= kResourcesPerEvent) {
        flush_event();
      }
    }
    flush_event();
    a.changed.clear();
  }

  void DescribeEvent(const Scope& s, int i, flyteidl::event::NodeExecutionEvent* e) const override {
    const PlanNode& sub = s.plan->nodes[s.plan->nodes[i].array.sub_node];
    if (sub.task) *e->mutable_target_entity() = sub.task->id();
  }

 private:
  static std::string ElementPath(const Scope* s, int i, int64_t element) {
    return s->Path(i) + "/" + std::to_string(element);
  }

  // A scope running sub-workflow element `e` under the element's path.
  Scope* ElementScope(Executor& x, Scope* s, int i, int64_t e) {
    const PlanNode& sub = s->plan->nodes[s->plan->nodes[i].array.sub_node];
    auto child =
        x.NewScope(s->exec, sub.sub_plan, s->execution_id, ElementPath(s, i, e) + "/", s, i);
    child->inputs = std::make_shared<const core::LiteralMap>(ElementInputs(s, i, e));
    return Adopt(x, s, i, e, std::move(child));
  }

  // `child` runs element `e` from now on.
  static Scope* Adopt(Executor& x, Scope* s, int i, int64_t e, std::unique_ptr<Scope> child) {
    ArrayState& a = *s->nodes[i].array;
    child->array_element = e;
    a.phase[e] = core::NodeExecution::RUNNING;
    a.started_ns[e] = x.Now();
    Changed(x, s, i, e);
    Scope* raw = child.get();
    a.children[e] = std::move(child);
    return raw;
  }

  // Element `element`'s inputs: collections mapped, the rest passed whole.
  static core::LiteralMap ElementInputs(const Scope* s, int i, int64_t element) {
    const PlanNode& p = s->plan->nodes[i];
    core::LiteralMap out;
    for (const auto& [name, value] : s->nodes[i].inputs->literals()) {
      const core::Literal& v = idl::Unwrapped(value);
      const bool bound =
          std::find(p.array.bound.begin(), p.array.bound.end(), name) != p.array.bound.end();
      (*out.mutable_literals())[name] =
          !bound && v.has_collection() ? v.collection().literals(static_cast<int>(element)) : value;
    }
    return out;
  }

  // The element count from the inputs, the success threshold, the runtime
  // and the compact state. False (the node failed) on a user error.
  bool Prepare(Executor& x, Scope* s, int i) {
    const PlanNode& p = s->plan->nodes[i];
    const PlanNode& sub = s->plan->nodes[p.array.sub_node];
    NodeState& n = s->nodes[i];
    auto fail = [&](std::string code, std::string message) {
      x.Fail(s, i, MakeError(core::ExecutionError::USER, std::move(code), std::move(message)));
      return false;
    };
    std::optional<int64_t> size;
    std::string sized_by;
    bool all_bound = true;
    // By name, so that messages do not depend on a map's order.
    std::map<std::string, const core::Literal*> inputs;
    for (const auto& [name, value] : n.inputs->literals()) inputs.emplace(name, &value);
    for (const auto& [name, value_ptr] : inputs) {
      const core::Literal& value = *value_ptr;
      if (std::find(p.array.bound.begin(), p.array.bound.end(), name) != p.array.bound.end()) {
        continue;
      }
      all_bound = false;
      const core::Literal& v = idl::Unwrapped(value);
      if (!v.has_collection()) continue;  // passed whole to every element
      const int64_t len = v.collection().literals_size();
      if (size && *size != len) {
        return fail("InvalidArrayLength", "array " + p.id +
                                              ": input arrays have different lengths: " + sized_by +
                                              " has " + std::to_string(*size) + ", " + name +
                                              " has " + std::to_string(len));
      }
      size = len;
      sized_by = name;
    }
    if (!size) {
      if (!all_bound) return fail("InvalidArrayLength", "array " + p.id + ": no input array");
      size = 1;
    }
    std::optional<core::TypedInterface> launch_plan_interface;
    if (sub.kind == NodeKind::kLaunchPlan) {
      auto target = x.ResolveLaunchPlan(sub.launch_plan);
      if (!target.ok()) {
        return fail("RuntimeExecutionError", "array " + p.id + ": launch plan " +
                                                 idl::IdentifierString(sub.launch_plan) + ": " +
                                                 target.status().message());
      }
      launch_plan_interface = target->closure.primary().template_().interface();
    }
    n.runtime = sub.task ? runtime::RuntimeFor(x.options().runtimes, *sub.task) : nullptr;
    if (sub.task && n.runtime == nullptr) {
      x.Fail(s, i,
             MakeError(core::ExecutionError::SYSTEM, "UnsupportedTaskType",
                       "no runtime runs task " + sub.task->id().name() + " (type " +
                           sub.task->type() + ")"));
      return false;
    }
    auto a = std::make_unique<ArrayState>();
    a->size = *size;
    if (p.array.min_successes) {
      a->min_successes = std::min<int64_t>(*p.array.min_successes, a->size);
    } else if (p.array.min_success_ratio) {
      // The ratio as written (its shortest decimal form), not its float
      // value: 0.8f is 0.800000012, and 0.8 of 5 must be 4, not 5.
      char text[32];
      std::snprintf(text, sizeof text, "%.7g", static_cast<double>(*p.array.min_success_ratio));
      a->min_successes = static_cast<int64_t>(
          std::ceil(std::strtod(text, nullptr) * static_cast<double>(a->size)));
    } else {
      a->min_successes = a->size;
    }
    // A runtime that runs arrays whole (Slurm's job arrays) gets every
    // element at once and honours the parallelism itself.
    const bool whole = n.runtime != nullptr && n.runtime->runs_arrays();
    a->window = whole ? a->size : p.array.parallelism > 0 ? p.array.parallelism : kDefaultWindow;
    a->phase.assign(a->size, core::NodeExecution::UNDEFINED);
    a->attempts.assign(a->size, 0);
    a->system_failures.assign(a->size, 0);
    const auto& outputs = sub.task       ? sub.task->interface().outputs()
                          : sub.sub_plan ? sub.sub_plan->tmpl->interface().outputs()
                                         : launch_plan_interface->outputs();
    for (const auto& [name, var] : outputs.variables()) a->outputs[name].resize(a->size);
    n.array = std::move(a);
    return true;
  }

  // An element's outputs into their slots (moved, not copied).
  static void Keep(ArrayState& a, int64_t element, core::LiteralMap outputs) {
    for (auto& [name, value] : *outputs.mutable_literals()) {
      auto slots = a.outputs.find(name);
      if (slots != a.outputs.end()) {
        slots->second[element] = std::make_unique<core::Literal>(value);
      }
    }
  }

  static void CountFailure(ArrayState& a, const core::ExecutionError& error) {
    ++a.failed;
    ++a.errors[error.code()];
    if (a.first_error.empty()) a.first_error = error.code() + ": " + error.message();
  }

  static void Changed(Executor& x, Scope* s, int i, int64_t element) {
    ArrayState& a = *s->nodes[i].array;
    if (a.changed.empty()) x.NotifyBeforeCommit(s, i);
    a.changed.push_back(element);
  }

  // Starts elements while the window has room. Cacheable elements found in
  // the cache succeed at once (no reservations for elements). True if any
  // did: the node may be decided now.
  bool StartMore(Executor& x, Scope* s, int i) {
    ArrayState& a = *s->nodes[i].array;
    const PlanNode& sub = s->plan->nodes[s->plan->nodes[i].array.sub_node];
    const bool cached =
        sub.task && sub.task->metadata().discoverable() && !s->exec->overwrite_cache;
    bool hits = false;
    // The task elements queued now go to the runtime as one batch, if it
    // takes them so.
    const bool batched = sub.task && s->nodes[i].runtime->runs_arrays();
    const int batch = batched ? ++a.batches : 0;
    while (a.in_flight < a.window && a.next < a.size) {
      const int64_t e = a.next++;
      if (a.phase[e] != core::NodeExecution::UNDEFINED) continue;  // resumed: done or running
      if (cached) {
        auto key = CacheKeyOf(*sub.task, ElementInputs(s, i, e));
        if (auto hit = key.ok() ? x.CacheLookup(*key, *sub.task) : nullptr) {
          a.phase[e] = core::NodeExecution::SUCCEEDED;
          Keep(a, e, *hit);
          ++a.succeeded;
          Changed(x, s, i, e);
          hits = true;
          continue;
        }
      }
      a.phase[e] = core::NodeExecution::QUEUED;
      ++a.in_flight;
      if (sub.kind == NodeKind::kSubWorkflow) {
        x.StartScope(ElementScope(x, s, i, e));
      } else if (sub.kind == NodeKind::kLaunchPlan) {
        auto child =
            NewLaunchPlanChild(x, s, i, sub.launch_plan, ChildExecutionId(s, ElementPath(s, i, e)),
                               ElementInputs(s, i, e));
        if (!child.ok()) {
          --a.in_flight;
          a.phase[e] = core::NodeExecution::FAILED;
          core::ExecutionError error = MakeError(core::ExecutionError::USER,
                                                 "RuntimeExecutionError", child.status().message());
          CountFailure(a, error);
          a.element_errors[e] = std::move(error);
          Changed(x, s, i, e);
          hits = true;  // decided at once, as a hit: the node may be decided now
          continue;
        }
        x.StartScope(Adopt(x, s, i, e, std::move(child).value()));
      } else {
        if (batched) {
          a.batch_of[e] = batch;
          ++a.batch[batch].size;
          ++a.batch[batch].unsent;
        }
        x.QueueElementAttempt(s, i, e);
      }
    }
    return hits;
  }

  void StopAll(Executor& x, Scope* s, int i) {
    NodeState& n = s->nodes[i];
    if (!n.array) return;
    x.StopElementAttempts(s, i);
    ArrayState& a = *n.array;
    a.batch_of.clear();
    a.batch.clear();
    const bool was_aborting = n.aborting;
    n.aborting = true;  // children end without reporting back
    for (auto& [e, child] : a.children) x.AbortChild(child.get(), "the array node stopped");
    n.aborting = was_aborting;
    for (int64_t e = 0; e < a.size; ++e) {
      if (a.phase[e] == core::NodeExecution::QUEUED || a.phase[e] == core::NodeExecution::RUNNING) {
        a.phase[e] = core::NodeExecution::ABORTED;
        Changed(x, s, i, e);
      }
    }
    a.in_flight = 0;
  }

  core::ExecutionError Summary(const Scope* s, int i) {
    const ArrayState& a = *s->nodes[i].array;
    std::string counts;
    for (const auto& [code, k] : a.errors) {
      counts += (counts.empty() ? "" : ", ") + std::to_string(k) + " " + code;
    }
    return MakeError(core::ExecutionError::USER, "ArrayNodeFailed",
                     "array " + s->plan->nodes[i].id + ": " + std::to_string(a.failed) + " of " +
                         std::to_string(a.size) + " elements failed (" + counts + "), " +
                         std::to_string(a.min_successes) +
                         " had to succeed; first: " + a.first_error);
  }

  // Decides the node once enough is known; else starts more elements.
  void Evaluate(Executor& x, Scope* s, int i) {
    NodeState& n = s->nodes[i];
    if (n.phase != core::NodeExecution::RUNNING || n.array->settling) return;
    ArrayState& a = *n.array;
    const bool impossible = a.size - a.failed < a.min_successes;
    // Once decided, the node's inputs are let go first (nothing starts any
    // more; what ends the node may end its scope).
    if (impossible && !s->plan->nodes[i].array.run_all) {
      StopAll(x, s, i);
      n.inputs.reset();
      x.Fail(s, i, Summary(s, i));
      return;
    }
    if (a.succeeded + a.failed == a.size) {
      n.inputs.reset();
      if (impossible) {
        x.Fail(s, i, Summary(s, i));
      } else {
        // Rows of the last elements first, from their slots: the gathered
        // outputs may be let go as soon as downstream nodes have read them.
        BeforeCommit(x, s, i);
        x.Succeed(s, i, Gather(s, i));
      }
      return;
    }
    if (StartMore(x, s, i) && a.in_flight == 0) Evaluate(x, s, i);
  }

  // One collection per output of the sub-node, in input order; None where
  // an element did not succeed. The values are moved there: rows written
  // afterwards read them from the node's outputs (ElementOutputs).
  std::shared_ptr<core::LiteralMap> Gather(Scope* s, int i) {
    ArrayState& a = *s->nodes[i].array;
    auto out = std::make_shared<core::LiteralMap>();
    for (auto& [name, slots] : a.outputs) {
      auto* list = (*out->mutable_literals())[name].mutable_collection()->mutable_literals();
      list->Reserve(static_cast<int>(a.size));
      for (int64_t e = 0; e < a.size; ++e) {
        if (a.phase[e] == core::NodeExecution::SUCCEEDED && slots[e]) {
          list->AddAllocated(slots[e].release());
        } else {
          list->Add()->mutable_scalar()->mutable_none_type();
        }
      }
    }
    a.outputs.clear();
    return out;
  }

  // Element `e`'s outputs: from its slots while the node runs, from the
  // gathered collections once it succeeded.
  static core::LiteralMap ElementOutputs(const NodeState& n, int64_t e) {
    core::LiteralMap out;
    const ArrayState& a = *n.array;
    if (!a.outputs.empty()) {
      for (const auto& [name, slots] : a.outputs) {
        if (slots[e]) (*out.mutable_literals())[name] = *slots[e];
      }
    } else if (n.outputs) {
      for (const auto& [name, list] : n.outputs->literals()) {
        (*out.mutable_literals())[name] = list.collection().literals(static_cast<int>(e));
      }
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<NodeHandler> MakeArrayHandler() { return std::make_unique<ArrayHandler>(); }

}  // namespace flytecpp::engine::internal
