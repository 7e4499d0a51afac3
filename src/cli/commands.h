// The flytecpp command's subcommands. Each Register* adds one subcommand to
// the app; its callback stores the exit code in *exit_code.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "flytecpp/runtime/runtime.h"

namespace flytecpp::cli {

// What commands that run workflows need from the program.
struct CliEnv {
  std::vector<runtime::Runtime*> runtimes;  // the program's, then the process runtime
  std::string store_dir;            // --store: a directory or postgres:// URL; empty: the default
  std::string home;                 // --home: local files beside a PostgreSQL store
  bool no_sandbox = false;          // --no-sandbox
  std::string runtime = "process";  // --runtime: where container tasks run
  std::string config;               // --config; empty: <store>/config.yaml
  int jobs = 0;                     // -j: process tasks at once; 0: one per core
};

// Exit codes shared by every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;    // the workflow/task failed
inline constexpr int kExitBadInput = 2;  // bad input or usage

// A whole-number option of at least `min`, with the rule in words (CLI11's
// own range checks print their double limits, 300 digits long).
CLI::Validator AtLeast(int min);

void RegisterInspect(CLI::App& app, int* exit_code);
void RegisterConvert(CLI::App& app, int* exit_code);
void RegisterPackage(CLI::App& app, int* exit_code);
void RegisterCompile(CLI::App& app, int* exit_code);           // compile and graph
void RegisterRun(CLI::App& app, CliEnv* env, int* exit_code);  // run and resume
void RegisterExecutions(CLI::App& app, CliEnv* env,
                        int* exit_code);  // executions, events, abort, logs
void RegisterSignals(CLI::App& app, CliEnv* env,
                     int* exit_code);  // signals ls, signal, approve, reject
void RegisterCache(CLI::App& app, CliEnv* env, int* exit_code);          // cache ls, rm, prune
void RegisterSecrets(CLI::App& app, CliEnv* env, int* exit_code);        // secrets set, ls, rm
void RegisterServe(CLI::App& app, CliEnv* env, int* exit_code);          // serve, ui
void RegisterRegister(CLI::App& app, CliEnv* env, int* exit_code);       // register PKG --server
void RegisterConfig(CLI::App& app, int* exit_code);                      // config init
void RegisterSchedules(CLI::App& app, CliEnv* env, int* exit_code);      // schedules ls
void RegisterNotifications(CLI::App& app, CliEnv* env, int* exit_code);  // notifications ls

}  // namespace flytecpp::cli
