#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "flytecpp/runtime/runtime.h"

namespace flytecpp::runtime {

struct InProcessRuntime::Impl {
  struct Job {
    AttemptSpec spec;
    AttemptCallbacks callbacks;
    TaskFn fn;
  };

  // Registered before any Start; read-only afterwards.
  std::map<std::string, TaskFn> tasks;

  std::mutex mu;
  std::condition_variable cv;
  std::deque<Job> queue;  // guarded by mu
  bool stopping = false;  // guarded by mu
  std::vector<std::thread> workers;

  void Work() {
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return stopping || !queue.empty(); });
        if (queue.empty()) return;  // stopping
        job = std::move(queue.front());
        queue.pop_front();
      }
      TaskOutcome outcome;
      try {
        outcome = job.fn(*job.spec.inputs);
      } catch (const std::exception& e) {
        outcome = TaskError{core::ExecutionError::USER, "UnhandledException", e.what(), false};
      } catch (...) {
        outcome =
            TaskError{core::ExecutionError::USER, "UnhandledException", "unknown exception", false};
      }
      job.callbacks.done(job.spec.id, std::move(outcome));
    }
  }
};

InProcessRuntime::InProcessRuntime(int workers) : impl_(std::make_unique<Impl>()) {
  int n =
      workers > 0 ? workers : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) impl_->workers.emplace_back([this] { impl_->Work(); });
}

InProcessRuntime::~InProcessRuntime() {
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stopping = true;
    impl_->queue.clear();
  }
  impl_->cv.notify_all();
  for (auto& t : impl_->workers) t.join();
}

void InProcessRuntime::Register(std::string task_name, TaskFn fn) {
  impl_->tasks[std::move(task_name)] = std::move(fn);
}

bool InProcessRuntime::CanRun(const core::TaskTemplate& task) const {
  return impl_->tasks.count(task.id().name()) > 0;
}

Status InProcessRuntime::Start(AttemptSpec spec, AttemptCallbacks callbacks) {
  auto it = impl_->tasks.find(spec.task->id().name());
  if (it == impl_->tasks.end()) {
    return NotFound("no in-process implementation of task " + spec.task->id().name());
  }
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->queue.push_back({std::move(spec), std::move(callbacks), it->second});
  }
  impl_->cv.notify_one();
  return Status::Ok();
}

void InProcessRuntime::Abort(const AttemptId&) {
  // A running callable cannot be stopped; the engine ignores its completion.
}

}  // namespace flytecpp::runtime

namespace flytecpp::runtime {

Status EchoRuntime::Start(AttemptSpec spec, AttemptCallbacks callbacks) {
  // As Flyte's echo plugin: the one input becomes the one output, whatever
  // their names (flytekit names the output o0).
  const core::TypedInterface& iface = spec.task->interface();
  const auto& in = iface.inputs().variables();
  const auto& out = iface.outputs().variables();
  core::LiteralMap outputs;
  if (in.size() != out.size() || in.size() > 1) {
    callbacks.done(
        spec.id,
        TaskError{core::ExecutionError::USER, "BadTaskSpecification",
                  "echo task " + spec.task->id().name() + " has " + std::to_string(in.size()) +
                      " inputs and " + std::to_string(out.size()) +
                      " outputs; an echo task passes one input on as its one output",
                  false});
    return Status::Ok();
  }
  if (!in.empty() && spec.inputs != nullptr) {
    auto value = spec.inputs->literals().find(in.begin()->first);
    if (value != spec.inputs->literals().end()) {
      (*outputs.mutable_literals())[out.begin()->first] = value->second;
    }
  }
  callbacks.done(spec.id, std::move(outputs));
  return Status::Ok();
}

}  // namespace flytecpp::runtime
