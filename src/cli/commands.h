// The flytecpp command's subcommands. Each Register* adds one subcommand to
// the app; its callback stores the exit code in *exit_code.
#pragma once

#include <CLI/CLI.hpp>

namespace flytecpp::cli {

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;    // the workflow/task failed
inline constexpr int kExitBadInput = 2;  // bad input or usage

void RegisterInspect(CLI::App& app, int* exit_code);
void RegisterConvert(CLI::App& app, int* exit_code);
void RegisterPackage(CLI::App& app, int* exit_code);
void RegisterCompile(CLI::App& app, int* exit_code);  // compile and graph

}  // namespace flytecpp::cli
