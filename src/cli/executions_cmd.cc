// flytecpp executions ls | get EXEC, events EXEC, abort EXEC: what the
// store knows of executions.
#include <google/protobuf/util/time_util.h>
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <thread>

#include "commands.h"
#include "engine_env.h"
#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/io.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/phases.h"
#include "flytecpp/store/data_dir.h"
#include "flyteidl/event/event.pb.h"
#include "remote.h"
#include "report.h"
#include "store_util.h"

namespace flytecpp::cli {

namespace core = flyteidl::core;
using google::protobuf::util::TimeUtil;

namespace {

std::string Time(int64_t ns) {
  if (ns == 0) return "-";
  std::string s = TimeUtil::ToString(TimeUtil::NanosecondsToTimestamp(ns));
  return s.substr(0, 19) + "Z";
}

// RFC 3339 to the millisecond: events come in bursts.
std::string EventTime(const google::protobuf::Timestamp& t) {
  int64_t ms = TimeUtil::TimestampToMilliseconds(t);
  return TimeUtil::ToString(TimeUtil::MillisecondsToTimestamp(ms));
}

std::string Phase(core::WorkflowExecution::Phase p) {
  return core::WorkflowExecution::Phase_Name(p);
}

int RunList(const CliEnv& env, const RemoteArgs& remote_args) {
  Result<std::vector<store::ExecutionRecord>> list = Internal("not read");
  if (!remote_args.server.empty()) {
    auto remote = Remote::Connect(remote_args);
    if (!remote.ok()) return Fail(remote.status(), kExitBadInput);
    list = (*remote)->ListExecutions();
  } else {
    auto store = OpenStore(env);
    if (!store.ok()) return Fail(store.status(), kExitBadInput);
    list = (*store)->ListExecutions();
  }
  if (!list.ok()) return Fail(list.status(), kExitBadInput);
  std::cout << std::left << std::setw(24) << "EXECUTION" << std::setw(11) << "PHASE"
            << std::setw(22) << "CREATED"
            << "WORKFLOW\n";
  for (const auto& e : *list) {
    std::cout << std::setw(24) << e.id << std::setw(11) << Phase(e.phase) << std::setw(22)
              << Time(e.created_ns) << e.workflow_name
              << (e.parent.empty() ? "" : "  (child of " + e.parent + ")") << "\n";
  }
  return kExitOk;
}

// One node of an execution: its row, and an array node's elements (all, or
// those in `phase`), with a count per phase.
int RunGetNode(store::Store* store, const std::vector<store::NodeRecord>& nodes,
               const std::string& id, const std::string& path, const std::string& phase_text) {
  std::optional<core::NodeExecution::Phase> phase;
  if (!phase_text.empty()) {
    std::string upper = phase_text;
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    core::NodeExecution::Phase p;
    if (!core::NodeExecution::Phase_Parse(upper, &p)) {
      return Fail(InvalidArgument("--phase " + phase_text +
                                  ": not a node phase (queued, running, succeeded, failed, "
                                  "aborted, timed_out, ...)"),
                  kExitBadInput);
    }
    phase = p;
  }
  const store::NodeRecord* row = nullptr;
  for (const auto& n : nodes) {
    if (n.path == path) row = &n;
  }
  if (row == nullptr) {
    return Fail(NotFound("execution " + id + " has no node " + path + " (yet)"), kExitBadInput);
  }
  std::cout << "node:      " << row->path
            << "\nphase:     " << core::NodeExecution::Phase_Name(row->phase) << "\n";
  if (row->attempts > 0) std::cout << "retries:   " << row->attempts << "\n";
  if (row->error && row->phase != core::NodeExecution::SUCCEEDED) {
    std::cout << "error:     " << row->error->code() << ": " << row->error->message() << "\n";
  }
  if (store == nullptr) return kExitOk;  // elements are not in the FlyteAdmin API
  auto all = store->GetElements(id, path);
  if (!all.ok()) return Fail(all.status(), kExitFailed);
  if (all->empty()) return kExitOk;  // not an array node, or none started
  std::map<std::string, int> counts;
  for (const auto& e : *all) ++counts[core::NodeExecution::Phase_Name(e.phase)];
  std::cout << "elements:  " << all->size() << " started:";
  for (const auto& [name, n] : counts) std::cout << " " << name << " " << n;
  std::cout << "\n";
  for (const auto& e : *all) {
    if (phase && e.phase != *phase) continue;
    std::cout << "  " << std::left << std::setw(10) << e.index << std::setw(11)
              << core::NodeExecution::Phase_Name(e.phase);
    if (e.attempts > 0) std::cout << " retries " << e.attempts;
    if (e.error && e.phase != core::NodeExecution::SUCCEEDED) {
      std::cout << " " << e.error->code() << ": " << e.error->message();
    } else if (e.outputs) {
      std::cout << " " << idl::ShortString(*e.outputs);
    }
    std::cout << "\n";
  }
  return kExitOk;
}

int RunGet(const CliEnv& env, const RemoteArgs& remote_args, const std::string& id,
           const std::string& node, const std::string& phase) {
  if (node.empty() && !phase.empty()) {
    return Fail(InvalidArgument("--phase filters the elements of --node: give --node"),
                kExitBadInput);
  }
  // Read from the local store, or from the server.
  std::unique_ptr<store::Store> store;
  std::unique_ptr<Remote> remote;
  Result<store::ExecutionRecord> e = Internal("not read");
  Result<std::vector<store::NodeRecord>> nodes = Internal("not read");
  if (!remote_args.server.empty()) {
    auto connected = Remote::Connect(remote_args);
    if (!connected.ok()) return Fail(connected.status(), kExitBadInput);
    remote = std::move(connected).value();
    e = remote->GetExecution(id, /*data=*/true);
    if (e.ok()) nodes = remote->GetNodes(id);
  } else {
    auto opened = OpenStore(env);
    if (!opened.ok()) return Fail(opened.status(), kExitBadInput);
    store = std::move(opened).value();
    e = store->GetExecution(id);
    if (e.ok()) nodes = store->GetNodes(id);
  }
  if (!e.ok()) return Fail(e.status(), kExitBadInput);
  if (!nodes.ok()) return Fail(nodes.status(), kExitBadInput);
  if (!node.empty()) return RunGetNode(store.get(), *nodes, id, node, phase);
  std::cout << "execution: " << e->id << "\nworkflow:  " << e->workflow_name
            << "\nphase:     " << Phase(e->phase) << "\ncreated:   " << Time(e->created_ns)
            << "\nupdated:   " << Time(e->updated_ns) << "\n";
  if (!e->parent.empty()) std::cout << "parent:    " << e->parent << "\n";
  if (!e->owner.empty() && !idl::IsTerminal(e->phase)) {
    const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    if (e->lease_expires_ns >= now) {
      std::cout << "run by:    " << e->owner << " (lease until " << Time(e->lease_expires_ns)
                << ")\n";
    } else {
      std::cout << "last run by: " << e->owner << " (lease ran out; flytecpp resume " << e->id
                << " continues it)\n";
    }
  }
  if (e->inputs) std::cout << "inputs:    " << idl::ShortString(*e->inputs) << "\n";
  if (e->outputs) std::cout << "outputs:   " << idl::ShortString(*e->outputs) << "\n";
  if (e->error)
    std::cout << "error:     " << e->error->code() << ": " << e->error->message() << "\n";
  std::cout << "nodes:\n";
  for (const auto& n : *nodes) {
    std::cout << "  " << std::left << std::setw(28) << n.path << std::setw(11)
              << core::NodeExecution::Phase_Name(n.phase);
    if (n.attempts > 0) std::cout << " retries " << n.attempts;
    if (n.error && n.phase != core::NodeExecution::SUCCEEDED) {
      std::cout << " " << n.error->code() << ": " << n.error->message();
    }
    std::cout << "\n";
  }
  return kExitOk;
}

// events --server: FlyteAdmin's API gives no events, only where each
// execution, node and task attempt is now and when it got there. The same
// lines are rebuilt from that: the phases reached, each at its time (not
// every event: a retried attempt's intermediate phases are gone).
int RunRemoteEvents(const RemoteArgs& remote_args, const std::string& id, bool json) {
  if (json) {
    return Fail(InvalidArgument("events --json with --server: FlyteAdmin's API does not give the "
                                "events themselves"),
                kExitBadInput);
  }
  auto remote = Remote::Connect(remote_args);
  if (!remote.ok()) return Fail(remote.status(), kExitBadInput);
  auto e = (*remote)->GetExecution(id, /*data=*/false);
  if (!e.ok()) return Fail(e.status(), kExitBadInput);
  auto nodes = (*remote)->GetNodes(id);
  if (!nodes.ok()) return Fail(nodes.status(), kExitBadInput);
  struct Line {
    int64_t ns;
    std::string kind, node, phase;
  };
  std::vector<Line> lines;
  const auto add = [&](int64_t ns, std::string kind, std::string node, std::string phase) {
    if (ns > 0) lines.push_back({ns, std::move(kind), std::move(node), std::move(phase)});
  };
  add(e->created_ns, "workflow", "", Phase(core::WorkflowExecution::QUEUED));
  for (const auto& n : *nodes) {
    add(n.queued_ns, "node", n.path, "QUEUED");
    if (n.phase == core::NodeExecution::QUEUED) continue;
    if (n.attempt_started_ns > 0 && n.phase != core::NodeExecution::RUNNING) {
      add(n.attempt_started_ns, "node", n.path, "RUNNING");
    }
    add(n.updated_ns, "node", n.path, core::NodeExecution::Phase_Name(n.phase));
    auto attempts = (*remote)->Attempts(id, n.path);
    if (!attempts.ok()) return Fail(attempts.status(), kExitBadInput);
    for (const auto& a : *attempts) {
      const std::string number = " attempt " + std::to_string(a.id().retry_attempt());
      const auto& c = a.closure();
      add(TimeUtil::TimestampToNanoseconds(c.started_at()), "task", n.path,
          core::TaskExecution::Phase_Name(core::TaskExecution::RUNNING) + number);
      if (c.phase() != core::TaskExecution::RUNNING) {
        add(TimeUtil::TimestampToNanoseconds(c.updated_at()), "task", n.path,
            core::TaskExecution::Phase_Name(c.phase()) + number);
      }
    }
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const Line& a, const Line& b) { return a.ns < b.ns; });
  // An execution ends after its nodes (its row may carry a time a moment
  // before theirs, stamped in the same turn).
  if (idl::IsTerminal(e->phase)) {
    add(e->updated_ns, "workflow", "", Phase(e->phase));
  } else if (e->phase != core::WorkflowExecution::QUEUED) {
    lines.insert(lines.begin() + std::min<size_t>(1, lines.size()),
                 {e->created_ns, "workflow", "", Phase(e->phase)});
  }
  int seq = 0;
  for (const auto& l : lines) {
    std::cout << std::setw(5) << std::right << ++seq << "  " << std::left << std::setw(26)
              << EventTime(TimeUtil::NanosecondsToTimestamp(l.ns)) << std::setw(9) << l.kind
              << std::setw(22) << (l.node.empty() ? "-" : l.node) << l.phase << "\n";
  }
  std::cerr << "flytecpp: rebuilt from " << remote_args.server
            << "'s node and task executions: the phases reached, at their times\n";
  return kExitOk;
}

int RunEvents(const CliEnv& env, const RemoteArgs& remote, const std::string& id, bool json) {
  if (!remote.server.empty()) return RunRemoteEvents(remote, id, json);
  auto store = OpenStore(env);
  if (!store.ok()) return Fail(store.status(), kExitBadInput);
  if (auto e = (*store)->GetExecution(id); !e.ok()) return Fail(e.status(), kExitBadInput);
  auto events = (*store)->GetEvents(id);
  if (!events.ok()) return Fail(events.status(), kExitBadInput);
  for (const auto& e : *events) {
    std::unique_ptr<google::protobuf::Message> m;
    std::string kind, phase, when;
    switch (e.kind) {
      case store::EventKind::kWorkflow: {
        auto w = std::make_unique<flyteidl::event::WorkflowExecutionEvent>();
        w->ParseFromString(e.payload);
        kind = "workflow";
        phase = Phase(w->phase());
        when = EventTime(w->occurred_at());
        m = std::move(w);
        break;
      }
      case store::EventKind::kNode: {
        auto n = std::make_unique<flyteidl::event::NodeExecutionEvent>();
        n->ParseFromString(e.payload);
        kind = "node";
        phase = core::NodeExecution::Phase_Name(n->phase());
        if (n->task_node_metadata().cache_status() != core::CatalogCacheStatus::CACHE_DISABLED) {
          phase += " " + core::CatalogCacheStatus_Name(n->task_node_metadata().cache_status());
        }
        when = EventTime(n->occurred_at());
        m = std::move(n);
        break;
      }
      case store::EventKind::kTask: {
        auto t = std::make_unique<flyteidl::event::TaskExecutionEvent>();
        t->ParseFromString(e.payload);
        kind = "task";
        phase = core::TaskExecution::Phase_Name(t->phase()) + " attempt " +
                std::to_string(t->retry_attempt());
        when = EventTime(t->occurred_at());
        m = std::move(t);
        break;
      }
    }
    if (json) {
      auto text = idl::Serialize(*m, idl::Format::kJson);
      std::string line = text.ok() ? *text : "{}";
      line.erase(std::remove(line.begin(), line.end(), '\n'), line.end());
      std::cout << line << "\n";
    } else {
      std::cout << std::setw(5) << std::right << e.seq << "  " << std::left << std::setw(26) << when
                << std::setw(9) << kind << std::setw(22)
                << (e.node_path.empty() ? "-" : e.node_path) << phase << "\n";
    }
  }
  return kExitOk;
}

// Aborts through an engine: the one running the execution is asked
// through the store; if none runs it, this process's engine takes it over
// and aborts it (node rows end ABORTED, events as always).
int RunAbort(const CliEnv& env, const RemoteArgs& remote_args, const std::string& id) {
  if (!remote_args.server.empty()) {
    auto remote = Remote::Connect(remote_args);
    if (!remote.ok()) return Fail(remote.status(), kExitBadInput);
    admin::ExecutionTerminateRequest request;
    *request.mutable_id() = (*remote)->ExecutionId(id);
    request.set_cause("aborted on request (flytecpp abort)");
    admin::ExecutionTerminateResponse response;
    Status st = (*remote)->Call((*remote)->admin(),
                                &flyteidl::service::AdminService::Stub::TerminateExecution, request,
                                &response);
    if (!st.ok()) return Fail(st, kExitBadInput);
    auto ended = (*remote)->WaitForEnd(id);
    if (!ended.ok()) return Fail(ended.status(), kExitFailed);
    std::cout << "execution " << id << " " << Phase(ended->phase) << "\n";
    return kExitOk;
  }
  auto made = MakeEngineEnv(env);
  if (!made.ok()) return Fail(made.status(), kExitBadInput);
  engine::Engine& engine = *(*made)->engine;
  auto outcome = engine.Abort(id, "aborted on request (flytecpp abort)");
  if (!outcome.ok()) return Fail(outcome.status(), kExitBadInput);
  if (*outcome == engine::AbortOutcome::kRequested) {
    // The engine running it looks for requests a few times a second.
    for (int i = 0; i < 100; ++i) {
      auto ended = engine.Wait(id);  // answered from the store once it ended
      if (ended.ok()) {
        std::cout << "execution " << id << " " << Phase(ended->phase) << "\n";
        return kExitOk;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::cout << "abort requested; execution " << id << " is still stopping\n";
    return kExitOk;
  }
  std::cout << "execution " << id << " ABORTED\n";
  return kExitOk;
}

// The text a TaskLog URI names: a file of this machine, or what the server
// serves over HTTP(S) (with the token, trusting --tls-ca).
Result<std::string> FetchLog(const RemoteArgs& remote, const std::string& token,
                             const std::string& uri) {
  if (uri.rfind("file://", 0) == 0) return idl::ReadFileBytes(uri.substr(7));
  const size_t slash = uri.find('/', uri.find("://") + 3);
  if (uri.rfind("http", 0) != 0 || slash == std::string::npos) {
    return InvalidArgument("log " + uri + ": neither a file nor an HTTP URL");
  }
  httplib::Client client(uri.substr(0, slash));
  if (!remote.tls_ca.empty()) client.set_ca_cert_path(remote.tls_ca.c_str());
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  auto answer = client.Get(uri.substr(slash).c_str(), headers);
  if (!answer) return FailedPrecondition("log " + uri + ": " + httplib::to_string(answer.error()));
  if (answer->status != 200) {
    return FailedPrecondition("log " + uri + ": HTTP " + std::to_string(answer->status) + " " +
                              answer->body);
  }
  return answer->body;
}

// logs --server: the attempt's logs where its TaskLogs point.
int RunRemoteLogs(const RemoteArgs& remote_args, const std::string& id, const std::string& node,
                  int attempt, const std::string& container, bool follow) {
  if (!container.empty()) {
    return Fail(InvalidArgument("--container with --server: the API links the primary "
                                "container's logs only"),
                kExitBadInput);
  }
  auto remote = Remote::Connect(remote_args);
  if (!remote.ok()) return Fail(remote.status(), kExitBadInput);
  const std::string& token = (*remote)->token();
  std::map<std::string, size_t> printed;
  while (true) {
    auto attempts = (*remote)->Attempts(id, node);
    if (!attempts.ok()) return Fail(attempts.status(), kExitBadInput);
    const admin::TaskExecution* chosen = nullptr;
    for (const auto& a : *attempts) {
      if (attempt < 0 || static_cast<int>(a.id().retry_attempt()) == attempt) chosen = &a;
    }
    if (chosen == nullptr) {
      return Fail(NotFound("node " + node + " of " + id + " has no task attempt" +
                           (attempt < 0 ? "" : " " + std::to_string(attempt))),
                  kExitBadInput);
    }
    for (const auto& log : chosen->closure().logs()) {
      if (log.name() != "stdout" && log.name() != "stderr") continue;
      auto text = FetchLog(remote_args, token, log.uri());
      if (!text.ok()) return Fail(text.status(), kExitFailed);
      size_t& done = printed[log.name()];
      if (text->size() > done) {
        (log.name() == "stdout" ? std::cout : std::cerr) << text->substr(done) << std::flush;
        done = text->size();
      }
    }
    const auto phase = chosen->closure().phase();
    const bool running = phase == core::TaskExecution::QUEUED ||
                         phase == core::TaskExecution::RUNNING ||
                         phase == core::TaskExecution::INITIALIZING;
    if (!follow || !running) return kExitOk;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

// Prints an attempt's stdout and stderr; with `follow`, keeps printing what
// is appended until the node is no longer running.
// `container`: a pod's init container or sidecar (default: the primary).
int RunLogs(const CliEnv& env, const std::string& id, const std::string& node, int attempt,
            const std::string& container, bool follow) {
  auto store = OpenStore(env);
  if (!store.ok()) return Fail(store.status(), kExitBadInput);
  auto nodes = (*store)->GetNodes(id);
  if (!nodes.ok()) return Fail(nodes.status(), kExitBadInput);
  if (auto e = (*store)->GetExecution(id); !e.ok()) return Fail(e.status(), kExitBadInput);
  const store::NodeRecord* rec = nullptr;
  for (const auto& n : *nodes) {
    if (n.path == node) rec = &n;
  }
  if (rec == nullptr)
    return Fail(NotFound("execution " + id + " has no node " + node), kExitBadInput);
  if (attempt < 0) attempt = rec->attempts;
  store::DataDir data((*store)->data_dir(), id);
  const std::string dir = data.OutputDir(node, attempt);
  const std::string prefix = container.empty() ? "" : container + ".";
  if (!container.empty() && !std::filesystem::exists(dir + "/" + prefix + "stdout.log")) {
    std::string others;
    std::error_code ec;
    for (const auto& f : std::filesystem::directory_iterator(dir, ec)) {
      const std::string name = f.path().filename().string();
      const std::string suffix = ".stdout.log";
      if (name.size() > suffix.size() && name.ends_with(suffix)) {
        others += (others.empty() ? "" : ", ") + name.substr(0, name.size() - suffix.size());
      }
    }
    return Fail(NotFound("node " + node + " attempt " + std::to_string(attempt) +
                         " has no container " + container + " with logs (" +
                         (others.empty() ? std::string("it has none besides the primary")
                                         : "it has: " + others) +
                         ")"),
                kExitBadInput);
  }
  // A process attempt's log files are made when it first prints: a silent
  // one has its directory but none (and prints nothing here).
  if (!std::filesystem::is_directory(dir)) {
    return Fail(NotFound("node " + node + " attempt " + std::to_string(attempt) +
                         " has no logs (only process tasks write them)"),
                kExitBadInput);
  }
  std::map<std::string, std::streamoff> offsets;
  auto print_new = [&]() {
    for (const char* name : {"stdout.log", "stderr.log"}) {
      std::ifstream in(dir + "/" + prefix + name, std::ios::binary);
      in.seekg(offsets[name]);
      std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      offsets[name] += static_cast<std::streamoff>(chunk.size());
      (std::string(name) == "stdout.log" ? std::cout : std::cerr) << chunk << std::flush;
    }
  };
  print_new();
  while (follow) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    print_new();
    auto now = (*store)->GetNodes(id);
    bool running = false;
    for (const auto& n : now.ok() ? *now : std::vector<store::NodeRecord>{}) {
      if (n.path == node) {
        running = n.phase == core::NodeExecution::RUNNING || n.phase == core::NodeExecution::QUEUED;
      }
    }
    if (!running) {
      print_new();
      break;
    }
  }
  return kExitOk;
}

}  // namespace

void RegisterExecutions(CLI::App& app, CliEnv* env, int* exit_code) {
  auto* ex = app.add_subcommand("executions", "List or show executions in the store");
  ex->require_subcommand(1);
  auto* ls = ex->add_subcommand("ls", "List executions, newest first");
  auto ls_remote = std::make_shared<RemoteArgs>();
  AddRemoteOptions(ls, ls_remote.get());
  ls->callback([env, ls_remote, exit_code] { *exit_code = RunList(*env, *ls_remote); });
  auto get_id = std::make_shared<std::string>();
  auto* get = ex->add_subcommand("get", "Show an execution: inputs, outputs, error, nodes");
  auto get_remote = std::make_shared<RemoteArgs>();
  AddRemoteOptions(get, get_remote.get());
  get->add_option("EXEC", *get_id, "Execution id")->required();
  auto get_node = std::make_shared<std::string>();
  auto get_phase = std::make_shared<std::string>();
  get->add_option("--node", *get_node, "Show this node (path, e.g. n1/n0); an array's elements");
  get->add_option("--phase", *get_phase, "Only the elements in this phase (e.g. failed)");
  get->callback([env, get_remote, get_id, get_node, get_phase, exit_code] {
    *exit_code = RunGet(*env, *get_remote, *get_id, *get_node, *get_phase);
  });

  auto ev_id = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* events = app.add_subcommand("events", "Show an execution's events, in order");
  events->add_option("EXEC", *ev_id, "Execution id")->required();
  events->add_flag("--json", *json, "One flyteidl event per line, as JSON");
  auto ev_remote = std::make_shared<RemoteArgs>();
  AddRemoteOptions(events, ev_remote.get());
  events->callback([env, ev_remote, ev_id, json, exit_code] {
    *exit_code = RunEvents(*env, *ev_remote, *ev_id, *json);
  });

  struct LogsArgs {
    std::string id, node, container;
    int attempt = -1;
    bool follow = false;
    RemoteArgs remote;
  };
  auto la = std::make_shared<LogsArgs>();
  auto* logs = app.add_subcommand("logs", "Show a process task's stdout and stderr");
  logs->add_option("EXEC", la->id, "Execution id")->required();
  logs->add_option("NODE", la->node, "Node path (e.g. n0, or n1/n0 inside a sub-workflow)")
      ->required();
  logs->add_option("--attempt", la->attempt, "Attempt number (default: the last)");
  logs->add_option("--container", la->container,
                   "A pod's init container or sidecar (default: the primary)");
  logs->add_flag("--follow,-f", la->follow, "Keep printing while the node runs");
  AddRemoteOptions(logs, &la->remote);
  logs->callback([env, la, exit_code] {
    *exit_code =
        la->remote.server.empty()
            ? RunLogs(*env, la->id, la->node, la->attempt, la->container, la->follow)
            : RunRemoteLogs(la->remote, la->id, la->node, la->attempt, la->container, la->follow);
  });

  auto ab_id = std::make_shared<std::string>();
  auto* abort = app.add_subcommand("abort", "Abort a running execution");
  abort->add_option("EXEC", *ab_id, "Execution id")->required();
  auto ab_remote = std::make_shared<RemoteArgs>();
  AddRemoteOptions(abort, ab_remote.get());
  abort->callback(
      [env, ab_remote, ab_id, exit_code] { *exit_code = RunAbort(*env, *ab_remote, *ab_id); });
}

}  // namespace flytecpp::cli
