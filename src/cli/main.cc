// flytecpp: Flyte's task and workflow IDL, compiler and engine, locally.
// This binary has no in-process tasks; programs that embed tasks call
// flytecpp::cli::RunCli with their own runtime (see examples/flytecpp_demo.cc).
#include "flytecpp/cli/cli.h"

int main(int argc, char** argv) { return flytecpp::cli::RunCli(argc, argv, {}); }
