// Cache keys of discoverable tasks (flyte-executor.md §5.2).
//
// A key names a task by project, domain and name — not its version — with
// its `discovery_version`, a hash of its interface (descriptions and type
// metadata left out) and a hash of its inputs, where a literal carrying a
// `hash` counts by that hash alone and `cache_ignore_input_vars` are left
// out. Two runs with equal keys may share outputs.
//
//   <project>/<domain>/flyte_task-<name>@<discovery_version>-<H8(in)>-<H8(out)>:flyte_cached-<H>
//
// H is base64url (no padding) of the SHA-256 of the deterministic protobuf
// serialization; H8 its first 8 characters. (Flyte hashes with objecthash;
// keys are not shared with a Flyte datacatalog: docs/compatibility.md.)
#pragma once

#include <string>

#include "flytecpp/util/status.h"
#include "flyteidl/core/literals.pb.h"
#include "flyteidl/core/tasks.pb.h"

namespace flytecpp::engine {

// InvalidArgument when the task declares no discovery_version.
Result<std::string> CacheKeyOf(const flyteidl::core::TaskTemplate& task,
                               const flyteidl::core::LiteralMap& inputs);

// False when `outputs` refer to local data (file:// or absolute blob,
// structured dataset or offloaded literal uris) that is gone: such an entry
// is a miss, not a failure (flyte#4672).
bool CachedDataPresent(const flyteidl::core::LiteralMap& outputs);

}  // namespace flytecpp::engine
