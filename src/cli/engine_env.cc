#include "engine_env.h"

#include <unistd.h>

#include <iostream>

#include "store_util.h"

namespace flytecpp::cli {

namespace core = flyteidl::core;

Result<std::unique_ptr<EngineEnv>> MakeEngineEnv(const CliEnv& env) {
  auto e = std::make_unique<EngineEnv>();
  FLYTECPP_ASSIGN_OR_RETURN(e->store, OpenStore(env));
  runtime::ProcessRuntimeOptions options;
  options.sandbox = !env.no_sandbox;
  options.jobs = env.jobs;
  std::error_code ec;
  std::filesystem::path config = env.config.empty() ? StoreDir(env) / "config.yaml"
                                                    : std::filesystem::absolute(env.config, ec);
  if (!env.config.empty() && !std::filesystem::exists(config)) {
    return InvalidArgument(config.string() + ": no such config file");
  }
  FLYTECPP_ASSIGN_OR_RETURN(options.images, runtime::LoadImageConfig(config));
  e->process = std::make_unique<runtime::ProcessRuntime>(std::move(options));
  e->runtimes = env.runtimes;
  e->runtimes.push_back(e->process.get());
  engine::EngineOptions eo;
  eo.store = e->store.get();
  eo.runtimes = e->runtimes;
  e->engine = std::make_unique<engine::Engine>(std::move(eo));
  return e;
}

bool RunsAsProcess(const EngineEnv& e, const CliEnv& env, const core::TaskTemplate& task) {
  for (runtime::Runtime* r : env.runtimes) {
    if (r->CanRun(task)) return false;
  }
  return e.process->CanRun(task);
}

ProgressLine::ProgressLine(engine::Engine& engine, std::string execution_id)
    : engine_(engine), id_(std::move(execution_id)) {
  if (!::isatty(STDERR_FILENO)) return;
  subscription_ = engine_.Subscribe([this](const engine::Event& e) { OnEvent(e); });
}

ProgressLine::~ProgressLine() {
  if (subscription_ == 0) return;
  engine_.Unsubscribe(subscription_);
  std::lock_guard<std::mutex> lock(mu_);
  if (printed_) {
    Print();
    std::cerr << "\n";
  }
}

void ProgressLine::OnEvent(const engine::Event& e) {
  if (e.kind != store::EventKind::kNode) return;
  // This execution and its launch-plan children (<id>-<node>).
  if (e.execution_id != id_ && e.execution_id.rfind(id_ + "-", 0) != 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  const std::string key = e.execution_id + "/" + e.node_path;
  auto [it, inserted] = phase_of_.emplace(key, e.phase);
  if (!inserted) {
    --count_[it->second];
    it->second = e.phase;
  }
  ++count_[e.phase];
  if (e.phase == core::NodeExecution::RUNNING) {
    running_.insert(e.node_path);
  } else {
    running_.erase(e.node_path);
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - last_print_ < std::chrono::milliseconds(100)) return;
  last_print_ = now;
  Print();
}

void ProgressLine::Print() {
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  char elapsed[32];
  std::snprintf(elapsed, sizeof elapsed, "%.1fs", secs);
  std::string line = "\r\033[K" + id_ + "  " + elapsed + " ";
  for (const auto& [phase, n] : count_) {
    if (n <= 0) continue;
    std::string name =
        core::NodeExecution::Phase_Name(static_cast<core::NodeExecution::Phase>(phase));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    line += " " + name + ":" + std::to_string(n);
  }
  if (!running_.empty()) {
    line += "  [";
    int shown = 0;
    for (const auto& r : running_) {
      if (shown++ == 5) {
        line += " …";
        break;
      }
      line += (shown > 1 ? " " : "") + r;
    }
    line += "]";
  }
  std::cerr << line << std::flush;
  printed_ = true;
}

}  // namespace flytecpp::cli
