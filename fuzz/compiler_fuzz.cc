// libFuzzer target over the compiler: arbitrary bytes read as a
// WorkflowClosure (the workflow plus its tasks) are compiled. Any input must
// give a closure or compile errors, never a crash, hang or sanitizer report.
#include <cstddef>
#include <cstdint>

#include "flytecpp/compiler/compiler.h"
#include "flytecpp/idl/io.h"
#include "flyteidl/core/workflow_closure.pb.h"

using namespace flytecpp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  flyteidl::core::WorkflowClosure closure;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (!idl::Parse(bytes, idl::Format::kBinary, &closure).ok()) return 0;

  std::vector<compiler::CompiledTask> tasks;
  for (const auto& t : closure.tasks()) {
    auto compiled = compiler::CompileTask(t);
    if (compiled.ok()) tasks.push_back(std::move(compiled).value());
  }
  (void)compiler::GetRequirements(closure.workflow(), {});
  // The tasks double as sub-workflow-free context; also try the workflow as
  // its own sub-workflow to reach the recursion checks.
  std::vector<compiler::CompileError> errors;
  (void)compiler::CompileWorkflow(closure.workflow(), {}, tasks, {}, &errors);
  (void)compiler::CompileWorkflow(closure.workflow(), {closure.workflow()}, tasks, {}, &errors);
  return 0;
}
