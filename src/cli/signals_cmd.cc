// flytecpp signals ls [EXEC] | signal EXEC ID VALUE | approve EXEC ID |
// reject EXEC ID [--reason TEXT]: what gates wait for, and releasing them.
#include <iomanip>
#include <iostream>

#include "commands.h"
#include "engine_env.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/types.h"
#include "remote.h"
#include "report.h"

namespace flytecpp::cli {

namespace core = flyteidl::core;

namespace {

Result<engine::SignalState> FindSignal(const std::vector<engine::SignalState>& all,
                                       const std::string& exec, const std::string& id) {
  std::string known;
  for (const auto& s : all) {
    if (s.signal_id == id) return s;
    known += (known.empty() ? "" : ", ") + s.signal_id;
  }
  return NotFound("execution " + exec + " has no gate for signal \"" + id + "\"" +
                  (known.empty() ? " (it has no signals)" : " (its signals: " + known + ")"));
}

// Every unfinished execution's signals, from the server.
Result<std::vector<engine::SignalState>> RemoteSignals(Remote& remote, const std::string& exec) {
  if (!exec.empty()) return remote.Signals(exec);
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<store::ExecutionRecord> all, remote.ListExecutions());
  std::vector<engine::SignalState> out;
  for (const auto& e : all) {
    const auto p = e.phase;
    if (p == core::WorkflowExecution::SUCCEEDED || p == core::WorkflowExecution::FAILED ||
        p == core::WorkflowExecution::ABORTED || p == core::WorkflowExecution::TIMED_OUT) {
      continue;
    }
    FLYTECPP_ASSIGN_OR_RETURN(std::vector<engine::SignalState> some, remote.Signals(e.id));
    out.insert(out.end(), some.begin(), some.end());
  }
  return out;
}

int RunList(const CliEnv& env, const RemoteArgs& remote_args, const std::string& exec) {
  Result<std::vector<engine::SignalState>> signals = Internal("not read");
  if (!remote_args.server.empty()) {
    auto remote = Remote::Connect(remote_args);
    if (!remote.ok()) return Fail(remote.status(), kExitBadInput);
    signals = RemoteSignals(**remote, exec);
  } else {
    auto made = MakeEngineEnv(env);
    if (!made.ok()) return Fail(made.status(), kExitBadInput);
    signals = (*made)->engine->Signals(exec);
  }
  if (!signals.ok()) return Fail(signals.status(), kExitBadInput);
  std::cout << std::left << std::setw(24) << "EXECUTION" << std::setw(20) << "SIGNAL"
            << std::setw(12) << "TYPE" << std::setw(10) << "STATE"
            << "VALUE\n";
  for (const auto& s : *signals) {
    const std::string state = s.value ? "set" : s.waiting ? "waiting" : "declared";
    std::cout << std::setw(24) << s.execution_id << std::setw(20) << s.signal_id << std::setw(12)
              << idl::TypeString(s.type) << std::setw(10) << state;
    if (s.value) {
      std::cout << idl::ShortString(*s.value) << "  by " << s.origin;
      if (!s.note.empty()) std::cout << ": " << s.note;
    }
    std::cout << "\n";
  }
  return kExitOk;
}

// Sets signal `id` of `exec`: VALUE parsed by its declared type (approve and
// reject give a boolean).
int RunSet(const CliEnv& env, const RemoteArgs& remote_args, const std::string& command,
           const std::string& exec, const std::string& id, const std::optional<std::string>& text,
           std::optional<bool> approval, const std::string& note) {
  // Where the signal is set: this machine's engine, or the server.
  std::unique_ptr<EngineEnv> local;
  std::unique_ptr<Remote> remote;
  Result<std::vector<engine::SignalState>> all = Internal("not read");
  if (!remote_args.server.empty()) {
    if (!note.empty()) {
      return Fail(InvalidArgument("--reason with --server: FlyteAdmin's SetSignal carries no "
                                  "reason"),
                  kExitBadInput);
    }
    auto connected = Remote::Connect(remote_args);
    if (!connected.ok()) return Fail(connected.status(), kExitBadInput);
    remote = std::move(connected).value();
    all = remote->Signals(exec);
  } else {
    auto made = MakeEngineEnv(env);
    if (!made.ok()) return Fail(made.status(), kExitBadInput);
    local = std::move(made).value();
    all = local->engine->Signals(exec);
  }
  if (!all.ok()) return Fail(all.status(), kExitBadInput);
  auto signal = FindSignal(*all, exec, id);
  if (!signal.ok()) return Fail(signal.status(), kExitBadInput);
  core::Literal value;
  if (approval) {
    if (signal->type.simple() != core::BOOLEAN) {
      return Fail(
          InvalidArgument("signal " + id + " of execution " + exec + " takes a " +
                          idl::TypeString(signal->type) +
                          ", not an approval: use flytecpp signal " + exec + " " + id + " VALUE"),
          kExitBadInput);
    }
    value = idl::lit::Bool(*approval);
  } else {
    auto parsed = idl::ParseLiteral(*text, signal->type);
    if (!parsed.ok()) {
      return Fail(
          parsed.status().WithContext("signal " + id + " (" + idl::TypeString(signal->type) + ")"),
          kExitBadInput);
    }
    value = std::move(parsed).value();
  }
  Status st;
  if (remote) {
    admin::SignalSetRequest request;
    *request.mutable_id()->mutable_execution_id() = remote->ExecutionId(exec);
    request.mutable_id()->set_signal_id(id);
    *request.mutable_value() = value;
    admin::SignalSetResponse response;
    st = remote->Call(remote->signals(), &flyteidl::service::SignalService::Stub::SetSignal,
                      request, &response);
  } else {
    st = local->engine->Signal(exec, id, value, SignalOrigin(command), note);
  }
  if (!st.ok()) return Fail(st, kExitBadInput);
  std::cout << "signal " << id << " of execution " << exec << " set to " << idl::ShortString(value)
            << "\n";
  return kExitOk;
}

}  // namespace

void RegisterSignals(CLI::App& app, CliEnv* env, int* exit_code) {
  auto* signals = app.add_subcommand("signals", "What gates of executions wait for");
  signals->require_subcommand(1);
  auto ls_exec = std::make_shared<std::string>();
  auto* ls = signals->add_subcommand("ls", "List signals: declared, waited for, set");
  ls->add_option("EXEC", *ls_exec, "Execution id (default: every unfinished execution)");
  auto ls_remote = std::make_shared<RemoteArgs>();
  AddRemoteOptions(ls, ls_remote.get());
  ls->callback(
      [env, ls_remote, ls_exec, exit_code] { *exit_code = RunList(*env, *ls_remote, *ls_exec); });

  struct SetArgs {
    std::string exec, id, value, reason;
    RemoteArgs remote;
  };
  auto sa = std::make_shared<SetArgs>();
  auto* signal = app.add_subcommand("signal", "Set a signal a gate waits for");
  signal->add_option("EXEC", sa->exec, "Execution id")->required();
  signal->add_option("ID", sa->id, "Signal id")->required();
  signal->add_option("VALUE", sa->value, "The value, parsed by the signal's type")->required();
  AddRemoteOptions(signal, &sa->remote);
  signal->callback([env, sa, exit_code] {
    *exit_code = RunSet(*env, sa->remote, "signal", sa->exec, sa->id, sa->value, std::nullopt, "");
  });

  auto aa = std::make_shared<SetArgs>();
  auto* approve = app.add_subcommand("approve", "Approve a gate (its signal: true)");
  approve->add_option("EXEC", aa->exec, "Execution id")->required();
  approve->add_option("ID", aa->id, "Signal id of the approve gate")->required();
  AddRemoteOptions(approve, &aa->remote);
  approve->callback([env, aa, exit_code] {
    *exit_code = RunSet(*env, aa->remote, "approve", aa->exec, aa->id, std::nullopt, true, "");
  });

  auto ra = std::make_shared<SetArgs>();
  auto* reject = app.add_subcommand("reject", "Reject a gate (its signal: false): it fails");
  reject->add_option("EXEC", ra->exec, "Execution id")->required();
  reject->add_option("ID", ra->id, "Signal id of the approve gate")->required();
  reject->add_option("--reason", ra->reason, "Why (shown in the gate's error)");
  AddRemoteOptions(reject, &ra->remote);
  reject->callback([env, ra, exit_code] {
    *exit_code =
        RunSet(*env, ra->remote, "reject", ra->exec, ra->id, std::nullopt, false, ra->reason);
  });
}

}  // namespace flytecpp::cli
