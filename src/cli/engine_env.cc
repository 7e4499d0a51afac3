#include "engine_env.h"

#include <google/protobuf/util/time_util.h>
#include <poll.h>
#include <pwd.h>
#include <unistd.h>

#include <iostream>

#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/nodes.h"
#include "flytecpp/idl/types.h"
#include "flytecpp/runtime/config.h"
#include "flytecpp/runtime/slurm.h"
#include "flyteidl/event/event.pb.h"
#include "store_util.h"

namespace flytecpp::cli {

namespace core = flyteidl::core;

Result<std::unique_ptr<EngineEnv>> MakeEngineEnv(const CliEnv& env) {
  auto e = std::make_unique<EngineEnv>();
  FLYTECPP_ASSIGN_OR_RETURN(e->store, OpenStore(env));
  runtime::ProcessRuntimeOptions options;
  options.sandbox = !env.no_sandbox;
  options.jobs = env.jobs;
  options.data_dir = e->store->data_dir();
  std::error_code ec;
  std::filesystem::path config = env.config.empty() ? StoreDir(env) / "config.yaml"
                                                    : std::filesystem::absolute(env.config, ec);
  if (!env.config.empty() && !std::filesystem::exists(config)) {
    return InvalidArgument(config.string() + ": no such config file");
  }
  FLYTECPP_ASSIGN_OR_RETURN(runtime::RuntimeConfig loaded, runtime::LoadRuntimeConfig(config));
  options.images = std::move(loaded.images);
  e->notifications = std::move(loaded.notifications);
  options.secrets.emplace(SecretsDir(env));
  // Slurm: every container task with --runtime slurm; else those the
  // config's slurm: section selects (task types, images, a task's config).
  const bool all = env.runtime == "slurm";
  if (all || loaded.slurm) {
    runtime::SlurmOptions slurm = loaded.slurm.value_or(runtime::SlurmOptions{});
    FLYTECPP_RETURN_IF_ERROR(runtime::CheckSlurm(slurm, StoreDir(env)));
    e->slurm = runtime::MakeSlurmRuntime(options, std::move(slurm), all);
  }
  e->process = std::make_unique<runtime::ProcessRuntime>(std::move(options));
  runtime::SqlRuntimeOptions sql;
  sql.connections = std::move(loaded.sql_connections);
  sql.secrets.emplace(SecretsDir(env));
  e->sql = std::make_unique<runtime::SqlRuntime>(std::move(sql));
  e->echo = std::make_unique<runtime::EchoRuntime>();
  e->runtimes = env.runtimes;
  e->runtimes.push_back(e->echo.get());
  e->runtimes.push_back(e->sql.get());
  if (e->slurm) e->runtimes.push_back(e->slurm.get());
  e->runtimes.push_back(e->process.get());
  engine::EngineOptions eo;
  eo.store = e->store.get();
  eo.runtimes = e->runtimes;
  e->engine = std::make_unique<engine::Engine>(std::move(eo));
  return e;
}

bool RunsSandboxed(const EngineEnv& e, const core::TaskTemplate& task) {
  const runtime::Runtime* r = runtime::RuntimeFor(e.runtimes, task);
  return r != nullptr && (r == e.process.get() || r == e.slurm.get());
}

std::string SignalOrigin(const std::string& command) {
  std::string user;
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr) user = pw->pw_name;
  if (const char* u = std::getenv("USER"); user.empty() && u != nullptr) user = u;
  char host[256] = "localhost";
  ::gethostname(host, sizeof host - 1);
  return (user.empty() ? std::string("someone") : user) + "@" + host + " (flytecpp " + command +
         ")";
}

std::string ReleaseCommand(const std::string& exec, const Gate& gate) {
  switch (gate.kind) {
    case Gate::Kind::kApprove: return "flytecpp approve " + exec + " " + gate.signal_id;
    case Gate::Kind::kSignal:
      return "flytecpp signal " + exec + " " + gate.signal_id + " <" + idl::TypeString(gate.type) +
             ">";
    case Gate::Kind::kSleep: break;
  }
  return "";
}

ProgressLine::ProgressLine(engine::Engine& engine, std::string execution_id,
                           std::map<std::string, Gate> gates)
    : engine_(engine), id_(std::move(execution_id)), gates_(std::move(gates)) {
  if (!::isatty(STDERR_FILENO)) return;
  subscription_ = engine_.Subscribe([this](const engine::Event& e) { OnEvent(e); });
  // Gates are asked about only when someone can answer.
  if (::isatty(STDIN_FILENO)) asker_ = std::thread([this] { Ask(); });
}

ProgressLine::~ProgressLine() {
  if (subscription_ == 0) return;
  engine_.Unsubscribe(subscription_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (asker_.joinable()) asker_.join();
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
  if (e.phase == core::NodeExecution::SUCCEEDED) {
    flyteidl::event::NodeExecutionEvent ne;
    if (ne.ParseFromString(e.payload) &&
        ne.task_node_metadata().cache_status() == core::CatalogCacheStatus::CACHE_HIT) {
      ++cached_;
    }
  }
  const std::string node = e.node_path.substr(e.node_path.rfind('/') + 1);
  auto gate = gates_.find(node);
  if (e.phase == core::NodeExecution::RUNNING) {
    running_.insert(e.node_path);
    if (gate != gates_.end()) {
      waiting_[key] = {e.execution_id, e.node_path, gate->second};
      if (gate->second.kind != Gate::Kind::kSleep) {
        to_ask_.push_back(key);
        cv_.notify_all();
      }
    }
  } else {
    running_.erase(e.node_path);
    waiting_.erase(key);
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - last_print_ < std::chrono::milliseconds(100)) return;
  last_print_ = now;
  Print();
}

void ProgressLine::Print() {
  if (asking_) return;  // the question stays on the screen
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
  if (cached_ > 0) line += " (cached:" + std::to_string(cached_) + ")";
  if (!waiting_.empty()) {
    const Waiting& w = waiting_.begin()->second;
    const std::string cmd = ReleaseCommand(w.exec, w.gate);
    line += "  waiting: " +
            (cmd.empty()
                 ? w.path + " sleeps " + google::protobuf::util::TimeUtil::ToString(w.gate.sleep)
                 : cmd);
    if (waiting_.size() > 1) line += " (+" + std::to_string(waiting_.size() - 1) + " more)";
  } else if (!running_.empty()) {
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

void ProgressLine::Ask() {
  for (;;) {
    Waiting w;
    std::string key;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !to_ask_.empty(); });
      if (stopping_) return;
      key = to_ask_.front();
      to_ask_.pop_front();
      auto it = waiting_.find(key);
      if (it == waiting_.end()) continue;  // released meanwhile
      w = it->second;
      asking_ = true;
    }
    const bool again = AskOne(w, key);
    std::lock_guard<std::mutex> lock(mu_);
    asking_ = false;
    if (again) to_ask_.push_front(key);
  }
}

// Asks about one gate; returns true to ask again (a value that did not fit).
bool ProgressLine::AskOne(const Waiting& w, const std::string& key) {
  const bool approve = w.gate.kind == Gate::Kind::kApprove;
  std::cerr << "\r\033[K" << w.path << " waits: " << ReleaseCommand(w.exec, w.gate)
            << "\n  or answer here: " << (approve ? "approve? [y/n]" : "value?")
            << " (Enter: leave it) " << std::flush;
  std::string line;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return false;
      if (!waiting_.count(key)) {  // released elsewhere
        std::cerr << "(released)\n";
        return false;
      }
    }
    pollfd in{STDIN_FILENO, POLLIN, 0};
    if (::poll(&in, 1, 100) <= 0) continue;
    char c;
    if (::read(STDIN_FILENO, &c, 1) != 1) return false;  // no more input: leave it
    if (c == '\n') break;
    line += c;
  }
  if (line.empty()) return false;
  core::Literal value;
  std::string note;
  if (approve) {
    if (line == "y" || line == "yes") {
      value = idl::lit::Bool(true);
    } else if (line == "n" || line == "no") {
      value = idl::lit::Bool(false);
      note = "rejected at the terminal";
    } else {
      std::cerr << "y or n, please\n";
      return true;
    }
  } else {
    auto parsed = idl::ParseLiteral(line, w.gate.type);
    if (!parsed.ok()) {
      std::cerr << parsed.status().ToString() << "\n";
      return true;
    }
    value = std::move(parsed).value();
  }
  Status st = engine_.Signal(w.exec, w.gate.signal_id, value, SignalOrigin("run"), note);
  if (!st.ok()) std::cerr << st.ToString() << "\n";
  return false;
}

}  // namespace flytecpp::cli
