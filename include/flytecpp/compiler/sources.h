// Gathering what a compile needs from files: a pyflyte package, a
// WorkflowSpec or WorkflowClosure, plus task files. Used by `flytecpp
// compile`, `graph` and `run`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "flytecpp/compiler/compiler.h"
#include "flytecpp/idl/package.h"
#include "flyteidl/admin/launch_plan.pb.h"

namespace flytecpp::compiler {

struct WorkflowSources {
  // Workflows that can be compiled as the primary, in file order, each with
  // the sub-workflows its spec carries.
  struct Entry {
    WorkflowTemplate workflow;
    std::vector<WorkflowTemplate> sub_workflows;
  };
  std::vector<Entry> workflows;
  std::vector<TaskTemplate> tasks;
  std::vector<flyteidl::admin::LaunchPlan> launch_plans;
  std::vector<idl::SourceBundle> bundles;  // a package's fast-registration code
};

// `input` is a package (.tgz/.tar.gz/.tar), or a WorkflowSpec / WorkflowClosure
// / WorkflowTemplate file in any format, or a task file (to run a task alone). `task_files` add
// tasks (TaskSpec, TaskTemplate, CompiledTask or WorkflowClosure files). Errors name the file.
Result<WorkflowSources> LoadWorkflowSources(const std::filesystem::path& input,
                                            const std::vector<std::filesystem::path>& task_files);

// The workflow named `name` (full name, or the part after the last '.'), or
// the only one when `name` is empty.
Result<const WorkflowSources::Entry*> FindWorkflow(const WorkflowSources& sources,
                                                   const std::string& name);

// Compiles one workflow of `sources`: its tasks are compiled (all must pass),
// the required ones handed to CompileWorkflow with the sub-workflows of its
// spec and the interfaces of every launch plan in the sources.
Result<CompiledWorkflowClosure> CompileFromSources(const WorkflowSources& sources,
                                                   const WorkflowSources::Entry& entry,
                                                   std::vector<CompileError>* errors = nullptr);

}  // namespace flytecpp::compiler
