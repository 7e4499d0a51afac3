// The store over an SQL database (sql_store.cc), for the openers of each
// database kind.
#pragma once

#include <filesystem>
#include <memory>

#include "flytecpp/store/store.h"
#include "sql_db.h"

namespace flytecpp::store {

// The store on `db`, whose schema is in place; literal data under `data_dir`.
std::unique_ptr<Store> MakeSqlStore(std::unique_ptr<SqlDatabase> db,
                                    std::filesystem::path data_dir);

}  // namespace flytecpp::store
