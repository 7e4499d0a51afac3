// Data migrations both dialects run, in their schema migration's
// transaction (sqlite_db.cc, postgres_db.cc).
#pragma once

#include "sql_db.h"

namespace flytecpp::store {

// Schema 8: the `entities` table (tasks, compiled workflows and launch plans
// a local run kept by identifier text) becomes rows of the registry, and is
// dropped. What the registry holds under an id already stays.
Status MoveEntitiesToRegistry(SqlDatabase& db);

}  // namespace flytecpp::store
