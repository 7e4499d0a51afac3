// flytecpp schedules ls: the schedules of active launch plans and when each
// fires next (admin/schedules.h), from the local store or --server.
#include <iomanip>
#include <iostream>

#include "admin_client.h"
#include "commands.h"
#include "flytecpp/admin/schedules.h"
#include "flytecpp/util/clock.h"
#include "report.h"

namespace flytecpp::cli {

namespace {

int RunList(const CliEnv& env, const AdminArgs& args, bool all) {
  auto client = AdminClient::Open(env, args);
  if (!client.ok()) return Fail(client.status(), kExitBadInput);
  auto views = flytecpp::admin::ListSchedules((*client)->api(), all ? "" : args.project,
                                              all ? "" : args.domain, SystemClock().Now());
  if (!views.ok()) return Fail(views.status(), kExitBadInput);
  std::cout << std::left << std::setw(44) << "LAUNCH PLAN" << std::setw(14) << "VERSION"
            << std::setw(28) << "SCHEDULE" << std::setw(22) << "NEXT (UTC)"
            << "ACTIVE SINCE\n";
  for (const auto& v : *views) {
    const auto& id = v.launch_plan;
    std::cout << std::setw(44) << (id.project() + "/" + id.domain() + "/" + id.name()) << " "
              << std::setw(13) << id.version() << " " << std::setw(27)
              << (v.error.empty() ? v.schedule : "(" + v.error + ")") << " " << std::setw(21)
              << TimeText(v.next_ns) << " " << TimeText(v.active_since_ns) << "\n";
  }
  if (views->empty()) {
    std::cout << "(no active launch plan with a schedule"
              << (all ? ""
                      : " in " + args.project + "/" + args.domain + "; --all for every project")
              << ")\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterSchedules(CLI::App& app, CliEnv* env, int* exit_code) {
  auto* schedules = app.add_subcommand("schedules", "Launch plans that run on a schedule");
  schedules->require_subcommand(1);
  auto args = std::make_shared<AdminArgs>();
  auto all = std::make_shared<bool>(false);
  auto* ls = schedules->add_subcommand(
      "ls", "The active launch plans with a schedule, and when each fires next");
  AddAdminOptions(ls, args.get());
  ls->add_flag("--all", *all, "Every project and domain");
  ls->callback([env, args, all, exit_code] { *exit_code = RunList(*env, *args, *all); });
}

}  // namespace flytecpp::cli
