// SQL tasks (a TaskTemplate with the `sql` target, or flytekit's SQLite3Task
// of type "sqlite") run against an embedded SQLite database, or a PostgreSQL
// server named in the config.
//
// The statement's `{{ .inputs.NAME }}` references become bound parameters,
// never text: an input is a value, whatever it contains. The database is the
// task config's `flytecpp.sql.database` (a SQLite file), else the
// SQLite3Task's `custom.uri`, or `flytecpp.sql.connection`: a connection of
// SqlRuntimeOptions (PostgreSQL). The result set becomes the task's output: a CSV
// StructuredDataset (its columns in the literal's type), or, when the task
// declares one scalar output and the query returns one row with one column,
// that value. Statements may be several (`;`-separated); the rows are the
// last one's (on PostgreSQL, a statement with parameters must be alone, a
// rule of its protocol). See docs/runtime.md.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "flytecpp/runtime/runtime.h"
#include "flytecpp/runtime/secrets.h"

namespace flytecpp::runtime {

// A PostgreSQL server tasks may name.
struct SqlConnection {
  std::string conninfo;         // libpq's "host=... dbname=... user=..." (no password)
  std::string password_secret;  // "GROUP/KEY" in the secret store; "" for none
};

struct SqlRuntimeOptions {
  std::map<std::string, SqlConnection> connections;  // by name
  std::optional<SecretStore> secrets;                // passwords; else the environment
};

class SqlRuntime : public Runtime {
 public:
  explicit SqlRuntime(SqlRuntimeOptions options = {});
  ~SqlRuntime() override;  // waits for running statements (interrupted)

  std::string_view name() const override { return "sql"; }
  bool CanRun(const core::TaskTemplate& task) const override;
  bool ReadsInputFiles(const core::TaskTemplate&) const override {
    return false;  // statements bind the map
  }
  Status Start(AttemptSpec spec, AttemptCallbacks callbacks) override;
  void Abort(const AttemptId& id) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flytecpp::runtime
