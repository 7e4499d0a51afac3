// flytecpp-demo: the flytecpp command plus in-process C++ implementations of
// a few tasks (container tasks still run as processes), showing how a
// program embeds its own tasks:
//
//   examples.double / examples.square          (x: int) -> o0: int
//   examples.process_in_bulk / ..._one_by_one  (input_count: int) -> processed: int
//   core.control_flow.conditions.double/square (n: float) -> o0: float   (flytesnacks)
//   demo.step                                  (x: int, tag: str) -> o0: int
//
// demo.step computes 3x+1; it sleeps $FLYTECPP_DEMO_SLEEP_MS and appends its
// tag to $FLYTECPP_DEMO_LOG when set (the crash tests count re-runs with it).
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#include "flytecpp/cli/cli.h"
#include "flytecpp/idl/literals.h"

using namespace flytecpp;
using flyteidl::core::LiteralMap;

namespace {

int64_t IntInput(const LiteralMap& in, const std::string& name) {
  return *idl::FromLiteral<int64_t>(in.literals().at(name));
}
double FloatInput(const LiteralMap& in, const std::string& name) {
  return *idl::FromLiteral<double>(in.literals().at(name));
}

runtime::TaskOutcome Step(const LiteralMap& in) {
  if (const char* ms = std::getenv("FLYTECPP_DEMO_SLEEP_MS")) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(ms)));
  }
  std::string tag = *idl::FromLiteral<std::string>(in.literals().at("tag"));
  if (const char* log = std::getenv("FLYTECPP_DEMO_LOG")) {
    static std::mutex mu;
    std::lock_guard<std::mutex> lock(mu);
    std::ofstream(log, std::ios::app) << tag << "\n" << std::flush;
  }
  return idl::lit::Inputs({{"o0", idl::lit::Int(3 * IntInput(in, "x") + 1)}});
}

}  // namespace

int main(int argc, char** argv) {
  runtime::InProcessRuntime tasks;
  tasks.Register("demo.step", Step);
  tasks.Register("examples.double", [](const LiteralMap& in) -> runtime::TaskOutcome {
    return idl::lit::Inputs({{"o0", idl::lit::Int(2 * IntInput(in, "x"))}});
  });
  tasks.Register("examples.square", [](const LiteralMap& in) -> runtime::TaskOutcome {
    int64_t x = IntInput(in, "x");
    return idl::lit::Inputs({{"o0", idl::lit::Int(x * x)}});
  });
  tasks.Register("examples.process_in_bulk", [](const LiteralMap& in) -> runtime::TaskOutcome {
    return idl::lit::Inputs({{"processed", idl::lit::Int(IntInput(in, "input_count"))}});
  });
  tasks.Register("examples.process_one_by_one", [](const LiteralMap& in) -> runtime::TaskOutcome {
    return idl::lit::Inputs({{"processed", idl::lit::Int(IntInput(in, "input_count"))}});
  });
  tasks.Register("core.control_flow.conditions.double",
                 [](const LiteralMap& in) -> runtime::TaskOutcome {
                   return idl::lit::Inputs({{"o0", idl::lit::Float(2 * FloatInput(in, "n"))}});
                 });
  tasks.Register("core.control_flow.conditions.square",
                 [](const LiteralMap& in) -> runtime::TaskOutcome {
                   double n = FloatInput(in, "n");
                   return idl::lit::Inputs({{"o0", idl::lit::Float(n * n)}});
                 });
  return cli::RunCli(argc, argv, {&tasks});
}
