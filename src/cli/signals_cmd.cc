// flytecpp signals ls [EXEC] | signal EXEC ID VALUE | approve EXEC ID |
// reject EXEC ID [--reason TEXT]: what gates wait for, and releasing them.
#include <iomanip>
#include <iostream>

#include "commands.h"
#include "engine_env.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/types.h"
#include "report.h"

namespace flytecpp::cli {

namespace core = flyteidl::core;

namespace {

Result<engine::SignalState> FindSignal(engine::Engine& engine, const std::string& exec,
                                       const std::string& id) {
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<engine::SignalState> all, engine.Signals(exec));
  std::string known;
  for (const auto& s : all) {
    if (s.signal_id == id) return s;
    known += (known.empty() ? "" : ", ") + s.signal_id;
  }
  return NotFound("execution " + exec + " has no gate for signal \"" + id + "\"" +
                  (known.empty() ? " (it has no signals)" : " (its signals: " + known + ")"));
}

int RunList(const CliEnv& env, const std::string& exec) {
  auto made = MakeEngineEnv(env);
  if (!made.ok()) return Fail(made.status(), kExitBadInput);
  auto signals = (*made)->engine->Signals(exec);
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
int RunSet(const CliEnv& env, const std::string& command, const std::string& exec,
           const std::string& id, const std::optional<std::string>& text,
           std::optional<bool> approval, const std::string& note) {
  auto made = MakeEngineEnv(env);
  if (!made.ok()) return Fail(made.status(), kExitBadInput);
  engine::Engine& engine = *(*made)->engine;
  auto signal = FindSignal(engine, exec, id);
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
  Status st = engine.Signal(exec, id, value, SignalOrigin(command), note);
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
  ls->callback([env, ls_exec, exit_code] { *exit_code = RunList(*env, *ls_exec); });

  struct SetArgs {
    std::string exec, id, value, reason;
  };
  auto sa = std::make_shared<SetArgs>();
  auto* signal = app.add_subcommand("signal", "Set a signal a gate waits for");
  signal->add_option("EXEC", sa->exec, "Execution id")->required();
  signal->add_option("ID", sa->id, "Signal id")->required();
  signal->add_option("VALUE", sa->value, "The value, parsed by the signal's type")->required();
  signal->callback([env, sa, exit_code] {
    *exit_code = RunSet(*env, "signal", sa->exec, sa->id, sa->value, std::nullopt, "");
  });

  auto aa = std::make_shared<SetArgs>();
  auto* approve = app.add_subcommand("approve", "Approve a gate (its signal: true)");
  approve->add_option("EXEC", aa->exec, "Execution id")->required();
  approve->add_option("ID", aa->id, "Signal id of the approve gate")->required();
  approve->callback([env, aa, exit_code] {
    *exit_code = RunSet(*env, "approve", aa->exec, aa->id, std::nullopt, true, "");
  });

  auto ra = std::make_shared<SetArgs>();
  auto* reject = app.add_subcommand("reject", "Reject a gate (its signal: false): it fails");
  reject->add_option("EXEC", ra->exec, "Execution id")->required();
  reject->add_option("ID", ra->id, "Signal id of the approve gate")->required();
  reject->add_option("--reason", ra->reason, "Why (shown in the gate's error)");
  reject->callback([env, ra, exit_code] {
    *exit_code = RunSet(*env, "reject", ra->exec, ra->id, std::nullopt, false, ra->reason);
  });
}

}  // namespace flytecpp::cli
