// Which store a place names: the dispatcher, apart from the backends it
// chooses between (so neither backend depends on the other).
#include "flytecpp/store/store.h"

namespace flytecpp::store {

bool IsPostgresUrl(const std::string& where) {
  return where.rfind("postgres://", 0) == 0 || where.rfind("postgresql://", 0) == 0;
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& where,
                                         const std::filesystem::path& data_dir,
                                         Durability durability) {
  if (IsPostgresUrl(where)) return OpenPostgresStore(where, data_dir);
  return OpenSqliteStore(where, durability);
}

}  // namespace flytecpp::store
