// SQL tasks (a TaskTemplate with the `sql` target, or flytekit's SQLite3Task
// of type "sqlite") run against an embedded SQLite database.
//
// The statement's `{{ .inputs.NAME }}` references become bound parameters,
// never text: an input is a value, whatever it contains. The database is the
// task config's `flytecpp.sql.database` (a file path), else the SQLite3Task's
// `custom.uri`. The result set becomes the task's output: a CSV
// StructuredDataset (its columns in the literal's type), or, when the task
// declares one scalar output and the query returns one row with one column,
// that value. Statements may be several (`;`-separated); the rows are the
// last one's. See docs/runtime.md.
#pragma once

#include <memory>

#include "flytecpp/runtime/runtime.h"

namespace flytecpp::runtime {

class SqlRuntime : public Runtime {
 public:
  SqlRuntime();
  ~SqlRuntime() override;  // waits for running statements (interrupted)

  std::string_view name() const override { return "sql"; }
  bool CanRun(const core::TaskTemplate& task) const override;
  Status Start(AttemptSpec spec, AttemptCallbacks callbacks) override;
  void Abort(const AttemptId& id) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace flytecpp::runtime
