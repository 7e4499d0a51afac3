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

#include "admin_client.h"
#include "commands.h"
#include "flytecpp/engine/engine.h"
#include "flytecpp/idl/io.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/phases.h"
#include "flytecpp/store/data_dir.h"
#include "flyteidl/event/event.pb.h"
#include "report.h"
#include "store_util.h"

namespace flytecpp::cli {

namespace core = flyteidl::core;
using google::protobuf::util::TimeUtil;

namespace {

// RFC 3339 to the millisecond: events come in bursts.
std::string EventTime(const google::protobuf::Timestamp& t) {
  int64_t ms = TimeUtil::TimestampToMilliseconds(t);
  return TimeUtil::ToString(TimeUtil::MillisecondsToTimestamp(ms));
}

std::string Phase(core::WorkflowExecution::Phase p) {
  return core::WorkflowExecution::Phase_Name(p);
}

int64_t Ns(const google::protobuf::Timestamp& t) { return TimeUtil::TimestampToNanoseconds(t); }

// The workflow an execution runs (a listing may name only its launch plan).
std::string WorkflowName(const admin::Execution& e) {
  const auto& c = e.closure();
  return c.workflow_id().name().empty() ? e.spec().launch_plan().name() : c.workflow_id().name();
}

std::string ParentName(const admin::Execution& e) {
  return e.spec().metadata().parent_node_execution().execution_id().name();
}

int Retries(const admin::NodeExecution& n) { return std::atoi(n.metadata().retry_group().c_str()); }

int RunList(const CliEnv& env, const AdminArgs& args) {
  auto client = AdminClient::Open(env, args);
  if (!client.ok()) return Fail(client.status(), kExitBadInput);
  auto list = (*client)->ListExecutions();
  if (!list.ok()) return Fail(list.status(), kExitBadInput);
  std::cout << std::left << std::setw(24) << "EXECUTION" << std::setw(11) << "PHASE"
            << std::setw(22) << "CREATED"
            << "WORKFLOW\n";
  for (const auto& e : *list) {
    const std::string parent = ParentName(e);
    std::cout << std::setw(24) << e.id().name() << std::setw(11) << Phase(e.closure().phase())
              << std::setw(22) << TimeText(Ns(e.closure().created_at())) << WorkflowName(e)
              << (parent.empty() ? "" : "  (child of " + parent + ")") << "\n";
  }
  return kExitOk;
}

// One node of an execution: its row, and an array node's elements (all, or
// those in `phase`), with a count per phase.
int RunGetNode(AdminClient& client, const std::vector<admin::NodeExecution>& nodes,
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
  const admin::NodeExecution* row = nullptr;
  for (const auto& n : nodes) {
    if (n.id().node_id() == path) row = &n;
  }
  if (row == nullptr) {
    return Fail(NotFound("execution " + id + " has no node " + path + " (yet)"), kExitBadInput);
  }
  const auto& c = row->closure();
  std::cout << "node:      " << path
            << "\nphase:     " << core::NodeExecution::Phase_Name(c.phase()) << "\n";
  if (Retries(*row) > 0) std::cout << "retries:   " << Retries(*row) << "\n";
  if (c.has_error() && c.phase() != core::NodeExecution::SUCCEEDED) {
    std::cout << "error:     " << c.error().code() << ": " << c.error().message() << "\n";
  }
  // An array's elements, with their outputs: not in FlyteAdmin's API.
  auto local = client.local_store();
  if (!local.ok()) return Fail(local.status(), kExitFailed);
  store::Store* store = *local;
  if (store == nullptr) return kExitOk;
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

// Who runs an execution of the local store, and until when: leases are
// not in FlyteAdmin's API.
void PrintLease(AdminClient& client, const std::string& id) {
  auto local = client.local_store();
  if (!local.ok() || *local == nullptr) return;  // a read that failed shows no lease
  auto e = (*local)->GetExecution(id);
  if (!e.ok() || e->owner.empty() || idl::IsTerminal(e->phase)) return;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  if (e->lease_expires_ns >= now) {
    std::cout << "run by:    " << e->owner << " (lease until " << TimeText(e->lease_expires_ns)
              << ")\n";
  } else {
    std::cout << "last run by: " << e->owner << " (lease ran out; flytecpp resume " << e->id
              << " continues it)\n";
  }
}

int RunGet(const CliEnv& env, const AdminArgs& args, const std::string& id, const std::string& node,
           const std::string& phase, bool wait) {
  if (node.empty() && !phase.empty()) {
    return Fail(InvalidArgument("--phase filters the elements of --node: give --node"),
                kExitBadInput);
  }
  auto client = AdminClient::Open(env, args);
  if (!client.ok()) return Fail(client.status(), kExitBadInput);
  AdminClient& c = **client;
  auto e = c.GetExecution(id);
  if (!e.ok()) return Fail(e.status(), kExitBadInput);
  if (wait) {
    e = c.WaitForEnd(id);
    if (!e.ok()) return Fail(e.status(), kExitFailed);
  }
  auto nodes = c.ListNodes(id);
  if (!nodes.ok()) return Fail(nodes.status(), kExitBadInput);
  if (!node.empty()) return RunGetNode(c, *nodes, id, node, phase);
  auto data = c.GetExecutionData(id);
  if (!data.ok()) return Fail(data.status(), kExitBadInput);
  const auto& closure = e->closure();
  std::cout << "execution: " << id << "\nworkflow:  " << WorkflowName(*e)
            << "\nphase:     " << Phase(closure.phase())
            << "\ncreated:   " << TimeText(Ns(closure.created_at()))
            << "\nupdated:   " << TimeText(Ns(closure.updated_at())) << "\n";
  if (const std::string parent = ParentName(*e); !parent.empty()) {
    std::cout << "parent:    " << parent << "\n";
  }
  PrintLease(c, id);
  if (data->has_full_inputs()) {
    std::cout << "inputs:    " << idl::ShortString(data->full_inputs()) << "\n";
  }
  if (data->has_full_outputs()) {
    std::cout << "outputs:   " << idl::ShortString(data->full_outputs()) << "\n";
  }
  if (closure.has_error()) {
    std::cout << "error:     " << closure.error().code() << ": " << closure.error().message()
              << "\n";
  } else if (closure.has_abort_metadata()) {
    std::cout << "aborted:   " << closure.abort_metadata().cause() << "\n";
  }
  std::cout << "nodes:\n";
  for (const auto& n : *nodes) {
    const auto& nc = n.closure();
    std::cout << "  " << std::left << std::setw(28) << n.id().node_id() << std::setw(11)
              << core::NodeExecution::Phase_Name(nc.phase());
    if (Retries(n) > 0) std::cout << " retries " << Retries(n);
    if (nc.has_error() && nc.phase() != core::NodeExecution::SUCCEEDED) {
      std::cout << " " << nc.error().code() << ": " << nc.error().message();
    }
    std::cout << "\n";
  }
  return kExitOk;
}

// The events of an execution of the local store, in order: each flyteidl
// event the engine recorded (with `json`, whole).
int PrintStoredEvents(store::Store& store, const std::string& id, bool json) {
  auto events = store.GetEvents(id);
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

// Without the events themselves (FlyteAdmin's API gives none, only where
// each execution, node and task attempt is now and when it got there): the
// same lines rebuilt from that, the phases reached, each at its time (not
// every event: a retried attempt's intermediate phases are gone).
int PrintRebuiltEvents(AdminClient& client, const admin::Execution& e,
                       const std::vector<admin::NodeExecution>& nodes) {
  struct Line {
    int64_t ns;
    std::string kind, node, phase;
  };
  std::vector<Line> lines;
  const auto add = [&](int64_t ns, std::string kind, std::string node, std::string phase) {
    if (ns > 0) lines.push_back({ns, std::move(kind), std::move(node), std::move(phase)});
  };
  const std::string& id = e.id().name();
  const auto phase = e.closure().phase();
  const int64_t created = Ns(e.closure().created_at());
  add(created, "workflow", "", Phase(core::WorkflowExecution::QUEUED));
  for (const auto& n : nodes) {
    const auto& c = n.closure();
    const std::string& path = n.id().node_id();
    add(Ns(c.created_at()), "node", path, "QUEUED");
    if (c.phase() == core::NodeExecution::QUEUED) continue;
    const int64_t started = Ns(c.started_at());
    if (started > 0 && c.phase() != core::NodeExecution::RUNNING) {
      add(started, "node", path, "RUNNING");
    }
    add(Ns(c.updated_at()), "node", path, core::NodeExecution::Phase_Name(c.phase()));
    auto attempts = client.ListAttempts(id, path);
    if (!attempts.ok()) return Fail(attempts.status(), kExitBadInput);
    for (const auto& a : *attempts) {
      const std::string number = " attempt " + std::to_string(a.id().retry_attempt());
      const auto& ac = a.closure();
      add(Ns(ac.started_at()), "task", path,
          core::TaskExecution::Phase_Name(core::TaskExecution::RUNNING) + number);
      if (ac.phase() != core::TaskExecution::RUNNING) {
        add(Ns(ac.updated_at()), "task", path,
            core::TaskExecution::Phase_Name(ac.phase()) + number);
      }
    }
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const Line& a, const Line& b) { return a.ns < b.ns; });
  // An execution ends after its nodes (its row may carry a time a moment
  // before theirs, stamped in the same turn).
  if (idl::IsTerminal(phase)) {
    add(Ns(e.closure().updated_at()), "workflow", "", Phase(phase));
  } else if (phase != core::WorkflowExecution::QUEUED) {
    lines.insert(lines.begin() + std::min<size_t>(1, lines.size()),
                 {created, "workflow", "", Phase(phase)});
  }
  int seq = 0;
  for (const auto& l : lines) {
    std::cout << std::setw(5) << std::right << ++seq << "  " << std::left << std::setw(26)
              << EventTime(TimeUtil::NanosecondsToTimestamp(l.ns)) << std::setw(9) << l.kind
              << std::setw(22) << (l.node.empty() ? "-" : l.node) << l.phase << "\n";
  }
  std::cerr << "flytecpp: rebuilt from " << client.Where()
            << "'s node and task executions: the phases reached, at their times\n";
  return kExitOk;
}

int RunEvents(const CliEnv& env, const AdminArgs& args, const std::string& id, bool json) {
  auto client = AdminClient::Open(env, args);
  if (!client.ok()) return Fail(client.status(), kExitBadInput);
  AdminClient& c = **client;
  auto e = c.GetExecution(id);
  if (!e.ok()) return Fail(e.status(), kExitBadInput);
  auto local = c.local_store();
  if (!local.ok()) return Fail(local.status(), kExitFailed);
  if (*local != nullptr) return PrintStoredEvents(**local, id, json);
  if (json) {
    return Fail(InvalidArgument("events --json with --server: FlyteAdmin's API does not give the "
                                "events themselves"),
                kExitBadInput);
  }
  auto nodes = c.ListNodes(id);
  if (!nodes.ok()) return Fail(nodes.status(), kExitBadInput);
  return PrintRebuiltEvents(c, *e, *nodes);
}

// Aborts through an engine: locally, the one running the execution is asked
// through the store, or, if none runs it, this process's engine takes it
// over and aborts it (node rows end ABORTED, events as always); with
// --server, the server's.
int RunAbort(const CliEnv& env, const AdminArgs& args, const std::string& id) {
  auto client = AdminClient::Open(env, args);
  if (!client.ok()) return Fail(client.status(), kExitBadInput);
  admin::ExecutionTerminateRequest request;
  *request.mutable_id() = (*client)->ExecutionId(id);
  request.set_cause("aborted on request (flytecpp abort)");
  if (auto st = (*client)->api().TerminateExecution(request); !st.ok()) {
    return Fail(st.status(), kExitBadInput);
  }
  auto ended = (*client)->WaitForEnd(id);
  if (!ended.ok()) return Fail(ended.status(), kExitFailed);
  std::cout << "execution " << id << " " << Phase(ended->closure().phase()) << "\n";
  return kExitOk;
}

// The text a TaskLog URI names: a file of this machine (nothing yet if it
// is not there: a process attempt's log is made when it first prints), or
// what the server serves over HTTP(S) (with the token, trusting --tls-ca).
Result<std::string> FetchLog(const AdminArgs& args, const std::string& token,
                             const std::string& uri) {
  if (uri.rfind("file://", 0) == 0) {
    const std::string path = uri.substr(7);
    if (!std::filesystem::exists(path)) return std::string();
    return idl::ReadFileBytes(path);
  }
  const size_t slash = uri.find('/', uri.find("://") + 3);
  if (uri.rfind("http", 0) != 0 || slash == std::string::npos) {
    return InvalidArgument("log " + uri + ": neither a file nor an HTTP URL");
  }
  httplib::Client client(uri.substr(0, slash));
  if (!args.tls_ca.empty()) client.set_ca_cert_path(args.tls_ca.c_str());
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

// `uri` (a primary container's log) for `container`, a pod's init container
// or sidecar: its log beside the primary's, named "<container>.<stream>.log".
// Only a file's: the API links the primary container's logs only.
Result<std::string> ContainerLog(const std::string& uri, const std::string& container,
                                 const std::string& node, int attempt) {
  if (uri.rfind("file://", 0) != 0) {
    return InvalidArgument(
        "--container with --server: the API links the primary container's "
        "logs only");
  }
  const std::filesystem::path primary(uri.substr(7));
  const std::filesystem::path dir = primary.parent_path();
  if (std::filesystem::exists(dir / (container + ".stdout.log"))) {
    return "file://" + (dir / (container + "." + primary.filename().string())).string();
  }
  std::string others;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = f.path().filename().string();
    const std::string suffix = ".stdout.log";
    if (name.size() > suffix.size() && name.ends_with(suffix)) {
      others += (others.empty() ? "" : ", ") + name.substr(0, name.size() - suffix.size());
    }
  }
  return NotFound(
      "node " + node + " attempt " + std::to_string(attempt) + " has no container " + container +
      " with logs (" +
      (others.empty() ? std::string("it has none besides the primary") : "it has: " + others) +
      ")");
}

// Prints an attempt's stdout and stderr, where its TaskLogs point; with
// `follow`, keeps printing what is appended until the attempt ends.
// `container`: a pod's init container or sidecar (default: the primary).
int RunLogs(const CliEnv& env, const AdminArgs& args, const std::string& id,
            const std::string& node, int attempt, const std::string& container, bool follow) {
  auto client = AdminClient::Open(env, args);
  if (!client.ok()) return Fail(client.status(), kExitBadInput);
  AdminClient& c = **client;
  if (auto e = c.GetExecution(id); !e.ok()) return Fail(e.status(), kExitBadInput);
  std::map<std::string, size_t> printed;
  while (true) {
    auto attempts = c.ListAttempts(id, node);
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
    const int number = static_cast<int>(chosen->id().retry_attempt());
    for (const auto& log : chosen->closure().logs()) {
      if (log.name() != "stdout" && log.name() != "stderr") continue;
      std::string uri = log.uri();
      if (!container.empty()) {
        auto other = ContainerLog(uri, container, node, number);
        if (!other.ok()) return Fail(other.status(), kExitBadInput);
        uri = *other;
      }
      auto text = FetchLog(args, c.token(), uri);
      if (!text.ok()) return Fail(text.status(), kExitFailed);
      size_t& done = printed[log.name()];
      if (text->size() > done) {
        (log.name() == "stdout" ? std::cout : std::cerr) << text->substr(done) << std::flush;
        done = text->size();
      }
    }
    if (!follow || idl::IsTerminal(chosen->closure().phase())) return kExitOk;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace

void RegisterExecutions(CLI::App& app, CliEnv* env, int* exit_code) {
  auto* ex = app.add_subcommand("executions", "List or show executions in the store");
  ex->require_subcommand(1);
  auto* ls = ex->add_subcommand("ls", "List executions, newest first");
  auto ls_remote = std::make_shared<AdminArgs>();
  AddAdminOptions(ls, ls_remote.get());
  ls->callback([env, ls_remote, exit_code] { *exit_code = RunList(*env, *ls_remote); });
  auto get_id = std::make_shared<std::string>();
  auto* get = ex->add_subcommand("get", "Show an execution: inputs, outputs, error, nodes");
  auto get_remote = std::make_shared<AdminArgs>();
  AddAdminOptions(get, get_remote.get());
  get->add_option("EXEC", *get_id, "Execution id")->required();
  auto get_node = std::make_shared<std::string>();
  auto get_phase = std::make_shared<std::string>();
  get->add_option("--node", *get_node, "Show this node (path, e.g. n1/n0); an array's elements");
  get->add_option("--phase", *get_phase, "Only the elements in this phase (e.g. failed)");
  auto get_wait = std::make_shared<bool>(false);
  get->add_flag("--wait", *get_wait, "First wait until the execution has ended");
  get->callback([env, get_remote, get_id, get_node, get_phase, get_wait, exit_code] {
    *exit_code = RunGet(*env, *get_remote, *get_id, *get_node, *get_phase, *get_wait);
  });

  auto ev_id = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* events = app.add_subcommand("events", "Show an execution's events, in order");
  events->add_option("EXEC", *ev_id, "Execution id")->required();
  events->add_flag("--json", *json, "One flyteidl event per line, as JSON");
  auto ev_remote = std::make_shared<AdminArgs>();
  AddAdminOptions(events, ev_remote.get());
  events->callback([env, ev_remote, ev_id, json, exit_code] {
    *exit_code = RunEvents(*env, *ev_remote, *ev_id, *json);
  });

  struct LogsArgs {
    std::string id, node, container;
    int attempt = -1;
    bool follow = false;
    AdminArgs remote;
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
  AddAdminOptions(logs, &la->remote);
  logs->callback([env, la, exit_code] {
    *exit_code =
        RunLogs(*env, la->remote, la->id, la->node, la->attempt, la->container, la->follow);
  });

  auto ab_id = std::make_shared<std::string>();
  auto* abort = app.add_subcommand("abort", "Abort a running execution");
  abort->add_option("EXEC", *ab_id, "Execution id")->required();
  auto ab_remote = std::make_shared<AdminArgs>();
  AddAdminOptions(abort, ab_remote.get());
  abort->callback(
      [env, ab_remote, ab_id, exit_code] { *exit_code = RunAbort(*env, *ab_remote, *ab_id); });
}

}  // namespace flytecpp::cli
