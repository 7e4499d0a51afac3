// Command/argument templating for container tasks (flyte-executor.md §6.1):
// {{.input}}, {{.inputPrefix}}, {{.outputPrefix}}, {{.rawOutputDataPrefix}},
// {{.checkpointOutputPrefix}}, {{.prevCheckpointPrefix}},
// {{.perRetryUniqueKey}}, {{.taskTemplatePath}}, {{.namespace}},
// {{.inputs.<name>}}; case-insensitive, `.` or `$`, spaces allowed inside
// the braces. An unknown variable or an input that cannot be rendered is an
// error naming it.
#pragma once

#include <string>

#include "flytecpp/util/status.h"
#include "flyteidl/core/literals.pb.h"

namespace flytecpp::runtime::internal {

struct TemplateVars {
  std::string input;          // inputs.pb path
  std::string input_prefix;   // node data dir
  std::string output_prefix;  // attempt output dir
  std::string raw_output_prefix;
  std::string checkpoint_output_prefix;
  std::string prev_checkpoint_prefix;  // "" on the first attempt
  std::string per_retry_unique_key;
  std::string task_template_path;
  std::string namespace_;
  const flyteidl::core::LiteralMap* inputs = nullptr;
};

Result<std::string> RenderTemplate(const std::string& text, const TemplateVars& vars);

// Whether `text` names the inputs file or its directory ({{.input}},
// {{.inputPrefix}}): what a command must do to read them.
bool NamesInputFile(const std::string& text);

// An input value as text, as templating and copilot files render it.
Result<std::string> RenderValue(const flyteidl::core::Literal& value);

}  // namespace flytecpp::runtime::internal
