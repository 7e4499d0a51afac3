// flytecpp signals ls [EXEC] | signal EXEC ID VALUE | approve EXEC ID |
// reject EXEC ID [--reason TEXT]: what gates wait for, and releasing them.
#include <iomanip>
#include <iostream>
#include <map>

#include "admin_client.h"
#include "commands.h"
#include "engine_env.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/phases.h"
#include "flytecpp/idl/types.h"
#include "report.h"

namespace flytecpp::cli {

namespace core = flyteidl::core;

namespace {

// A signal as `signals ls` shows it: FlyteAdmin's, and what its API does not
// say (whether a gate waits for it now, who set it and why), known from
// the local engine; with --server, an unset signal of an unfinished
// execution is taken to be waited for.
struct SignalRow {
  admin::Signal signal;
  bool waiting = false;
  std::string origin, note;
};

Result<std::vector<SignalRow>> SignalsOf(AdminClient& client, const std::string& exec) {
  FLYTECPP_ASSIGN_OR_RETURN(admin::Execution e, client.GetExecution(exec));
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<admin::Signal> signals, client.ListSignals(exec));
  std::map<std::string, engine::SignalState> known;
  FLYTECPP_ASSIGN_OR_RETURN(engine::Engine * local, client.local_engine());
  if (local != nullptr) {
    FLYTECPP_ASSIGN_OR_RETURN(std::vector<engine::SignalState> states, local->Signals(exec));
    for (auto& s : states) known[s.signal_id] = std::move(s);
  }
  std::vector<SignalRow> out;
  for (auto& s : signals) {
    SignalRow row;
    if (auto it = known.find(s.id().signal_id()); it != known.end()) {
      row.waiting = it->second.waiting;
      row.origin = it->second.origin;
      row.note = it->second.note;
    } else {
      row.waiting = !s.has_value() && !idl::IsTerminal(e.closure().phase());
    }
    row.signal = std::move(s);
    out.push_back(std::move(row));
  }
  return out;
}

// `exec`'s signals, or every unfinished execution's.
Result<std::vector<SignalRow>> ListRows(AdminClient& client, const std::string& exec) {
  if (!exec.empty()) return SignalsOf(client, exec);
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<admin::Execution> all, client.ListExecutions());
  std::vector<SignalRow> out;
  for (auto it = all.rbegin(); it != all.rend(); ++it) {  // oldest first
    if (idl::IsTerminal(it->closure().phase())) continue;
    FLYTECPP_ASSIGN_OR_RETURN(std::vector<SignalRow> some, SignalsOf(client, it->id().name()));
    for (auto& row : some) out.push_back(std::move(row));
  }
  return out;
}

Result<admin::Signal> FindSignal(AdminClient& client, const std::string& exec,
                                 const std::string& id) {
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<admin::Signal> all, client.ListSignals(exec));
  std::string known;
  for (auto& s : all) {
    if (s.id().signal_id() == id) return std::move(s);
    known += (known.empty() ? "" : ", ") + s.id().signal_id();
  }
  return NotFound("execution " + exec + " has no gate for signal \"" + id + "\"" +
                  (known.empty() ? " (it has no signals)" : " (its signals: " + known + ")"));
}

int RunList(const CliEnv& env, const AdminArgs& args, const std::string& exec) {
  auto client = AdminClient::Open(env, args);
  if (!client.ok()) return Fail(client.status(), kExitBadInput);
  auto rows = ListRows(**client, exec);
  if (!rows.ok()) return Fail(rows.status(), kExitBadInput);
  std::cout << std::left << std::setw(24) << "EXECUTION" << std::setw(20) << "SIGNAL"
            << std::setw(12) << "TYPE" << std::setw(10) << "STATE"
            << "VALUE\n";
  for (const auto& row : *rows) {
    const admin::Signal& s = row.signal;
    const std::string state = s.has_value() ? "set" : row.waiting ? "waiting" : "declared";
    std::cout << std::setw(24) << s.id().execution_id().name() << std::setw(20)
              << s.id().signal_id() << std::setw(12) << idl::TypeString(s.type()) << std::setw(10)
              << state;
    if (s.has_value()) {
      std::cout << idl::ShortString(s.value());
      if (!row.origin.empty()) std::cout << "  by " << row.origin;
      if (!row.note.empty()) std::cout << ": " << row.note;
    }
    std::cout << "\n";
  }
  return kExitOk;
}

// Sets signal `id` of `exec`: VALUE parsed by its declared type (approve and
// reject give a boolean).
int RunSet(const CliEnv& env, const AdminArgs& args, const std::string& command,
           const std::string& exec, const std::string& id, const std::optional<std::string>& text,
           std::optional<bool> approval, const std::string& note) {
  auto client = AdminClient::Open(env, args);
  if (!client.ok()) return Fail(client.status(), kExitBadInput);
  auto signal = FindSignal(**client, exec, id);
  if (!signal.ok()) return Fail(signal.status(), kExitBadInput);
  const core::LiteralType& type = signal->type();
  core::Literal value;
  if (approval) {
    if (type.simple() != core::BOOLEAN) {
      return Fail(
          InvalidArgument("signal " + id + " of execution " + exec + " takes a " +
                          idl::TypeString(type) + ", not an approval: use flytecpp signal " + exec +
                          " " + id + " VALUE"),
          kExitBadInput);
    }
    value = idl::lit::Bool(*approval);
  } else {
    auto parsed = idl::ParseLiteral(*text, type);
    if (!parsed.ok()) {
      return Fail(parsed.status().WithContext("signal " + id + " (" + idl::TypeString(type) + ")"),
                  kExitBadInput);
    }
    value = std::move(parsed).value();
  }
  admin::SignalSetRequest request;
  *request.mutable_id()->mutable_execution_id() = (*client)->ExecutionId(exec);
  request.mutable_id()->set_signal_id(id);
  *request.mutable_value() = value;
  auto set = (*client)->api().SetSignal(request, {SignalOrigin(command), note});
  if (!set.ok()) return Fail(set.status(), kExitBadInput);
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
  auto ls_remote = std::make_shared<AdminArgs>();
  AddAdminOptions(ls, ls_remote.get());
  ls->callback(
      [env, ls_remote, ls_exec, exit_code] { *exit_code = RunList(*env, *ls_remote, *ls_exec); });

  struct SetArgs {
    std::string exec, id, value, reason;
    AdminArgs remote;
  };
  auto sa = std::make_shared<SetArgs>();
  auto* signal = app.add_subcommand("signal", "Set a signal a gate waits for");
  signal->add_option("EXEC", sa->exec, "Execution id")->required();
  signal->add_option("ID", sa->id, "Signal id")->required();
  signal->add_option("VALUE", sa->value, "The value, parsed by the signal's type")->required();
  AddAdminOptions(signal, &sa->remote);
  signal->callback([env, sa, exit_code] {
    *exit_code = RunSet(*env, sa->remote, "signal", sa->exec, sa->id, sa->value, std::nullopt, "");
  });

  auto aa = std::make_shared<SetArgs>();
  auto* approve = app.add_subcommand("approve", "Approve a gate (its signal: true)");
  approve->add_option("EXEC", aa->exec, "Execution id")->required();
  approve->add_option("ID", aa->id, "Signal id of the approve gate")->required();
  AddAdminOptions(approve, &aa->remote);
  approve->callback([env, aa, exit_code] {
    *exit_code = RunSet(*env, aa->remote, "approve", aa->exec, aa->id, std::nullopt, true, "");
  });

  auto ra = std::make_shared<SetArgs>();
  auto* reject = app.add_subcommand("reject", "Reject a gate (its signal: false): it fails");
  reject->add_option("EXEC", ra->exec, "Execution id")->required();
  reject->add_option("ID", ra->id, "Signal id of the approve gate")->required();
  reject->add_option("--reason", ra->reason, "Why (shown in the gate's error)");
  AddAdminOptions(reject, &ra->remote);
  reject->callback([env, ra, exit_code] {
    *exit_code =
        RunSet(*env, ra->remote, "reject", ra->exec, ra->id, std::nullopt, false, ra->reason);
  });
}

}  // namespace flytecpp::cli
