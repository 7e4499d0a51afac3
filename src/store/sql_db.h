// What the store needs of an SQL database, so that one Store implementation
// (sql_store.cc) runs on SQLite or PostgreSQL: prepared statements with
// positional parameters, rows of blobs, text and integers, and a few words
// of dialect.
//
// SQL is written once, in the subset both understand: `?` or `?N`
// placeholders (PostgreSQL's connection renumbers them `$N`), upserts with
// ON CONFLICT, integers that fit 64 bits.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "flytecpp/util/status.h"

namespace flytecpp::store {

enum class StepResult { kRow, kDone, kError };

class SqlStatement {
 public:
  virtual ~SqlStatement() = default;
  // Forgets the bindings and any result, ready to run again.
  virtual void Reset() = 0;
  virtual void BindBlob(int i, const std::string& bytes) = 0;  // 1-based, as SQLite's
  virtual void BindText(int i, const std::string& text) = 0;
  virtual void BindInt(int i, int64_t value) = 0;
  virtual void BindNull(int i) = 0;
  // The first call runs the statement; each call moves to the next row.
  virtual StepResult Step() = 0;
  // Columns of the current row (0-based); NULL reads as empty or 0.
  virtual std::string Blob(int col) = 0;
  virtual std::string Text(int col) = 0;
  virtual int64_t Int(int col) = 0;
  virtual bool IsNull(int col) = 0;
  // Rows the statement inserted, updated or deleted.
  virtual int64_t Changes() = 0;
};

class SqlDatabase {
 public:
  virtual ~SqlDatabase() = default;
  // A statement for `sql`; null (and LastError) if it does not prepare.
  virtual std::unique_ptr<SqlStatement> Prepare(const std::string& sql) = 0;
  // Runs `sql`, which may hold several statements and no parameters.
  virtual Status Exec(const std::string& sql) = 0;
  // Why the last call failed.
  virtual std::string LastError() = 0;
  // Whether the last failure was a conflict with a concurrent transaction
  // (deadlock, serialization) that succeeds when retried from the start.
  virtual bool LastErrorRetryable() = 0;

  // Dialect.
  virtual const char* BeginWrite() const = 0;  // starts a write transaction
  virtual const char* ForUpdate() const = 0;   // appended to reads that decide a write
  // A statement that locks the text bound to ?1 until the transaction ends
  // (rows that do not exist yet); "" where write transactions are serial.
  virtual const char* LockKey() const = 0;
  // What errors name: the database file, or the server (no password).
  virtual const std::string& where() const = 0;
};

}  // namespace flytecpp::store
