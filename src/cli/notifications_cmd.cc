// flytecpp notifications ls: what `flytecpp serve` has to tell, has told,
// or could not tell of executions that ended (admin/notifier.h), from the
// store: pending (with its next try), delivered, failed (with the last
// error). Recipients and webhooks by name; never a secret.
#include <iomanip>
#include <iostream>

#include "commands.h"
#include "flyteidl/core/execution.pb.h"
#include "report.h"
#include "store_util.h"

namespace flytecpp::cli {

namespace {

const char* StateName(store::Delivery::State s) {
  switch (s) {
    case store::Delivery::kPending: return "pending";
    case store::Delivery::kDelivered: return "delivered";
    case store::Delivery::kFailed: return "failed";
  }
  return "?";
}

int RunList(const CliEnv& env) {
  auto store = OpenStore(env);
  if (!store.ok()) return Fail(store.status(), kExitBadInput);
  auto deliveries = (*store)->ListDeliveries();
  if (!deliveries.ok()) return Fail(deliveries.status(), kExitFailed);
  std::cout << std::left << std::setw(6) << "ID" << std::setw(24) << "EXECUTION" << std::setw(11)
            << "PHASE" << std::setw(9) << "CHANNEL" << std::setw(30) << "TO" << std::setw(10)
            << "STATE" << std::setw(9) << "ATTEMPTS" << std::setw(22) << "NEXT / DONE"
            << "LAST ERROR\n";
  for (const auto& d : *deliveries) {
    const auto phase = static_cast<flyteidl::core::WorkflowExecution::Phase>(d.phase);
    std::cout << std::setw(6) << d.id << std::setw(24) << d.execution_id << std::setw(11)
              << flyteidl::core::WorkflowExecution::Phase_Name(phase) << std::setw(9) << d.channel
              << std::setw(30) << d.target << std::setw(10) << StateName(d.state) << std::setw(9)
              << d.attempts << std::setw(22)
              << TimeText(d.state == store::Delivery::kPending ? d.next_ns : d.updated_ns)
              << d.last_error << "\n";
  }
  if (deliveries->empty()) std::cout << "(no notifications yet)\n";
  return kExitOk;
}

}  // namespace

void RegisterNotifications(CLI::App& app, CliEnv* env, int* exit_code) {
  auto* notifications =
      app.add_subcommand("notifications", "What flytecpp serve tells of executions that end");
  notifications->require_subcommand(1);
  auto* ls = notifications->add_subcommand(
      "ls", "Every notification: pending (next try), delivered, failed (last error)");
  ls->callback([env, exit_code] { *exit_code = RunList(*env); });
}

}  // namespace flytecpp::cli
