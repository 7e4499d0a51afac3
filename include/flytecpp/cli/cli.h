// The flytecpp command as a library, so that a program embedding in-process
// tasks gets every subcommand (run, resume, executions, ...) with its own
// runtimes:
//
//   int main(int argc, char** argv) {
//     flytecpp::runtime::InProcessRuntime tasks;
//     tasks.Register("my.task", ...);
//     return flytecpp::cli::RunCli(argc, argv, {&tasks});
//   }
#pragma once

#include <vector>

#include "flytecpp/runtime/runtime.h"

namespace flytecpp::cli {

// Parses argv and runs the subcommand. Returns the process exit code:
// 0 success, 1 a workflow failed, 2 bad input or usage.
int RunCli(int argc, char** argv, std::vector<runtime::Runtime*> runtimes);

}  // namespace flytecpp::cli
