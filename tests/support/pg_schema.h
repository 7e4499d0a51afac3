// A schema of a test's own on the throwaway PostgreSQL server the test
// command starts (tests/support/postgres.sh), so tests may run at once on
// one server. Link PostgreSQL::PostgreSQL.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace flytecpp::testing {

class PgSchema {
 public:
  // Connects and creates the schema; available() is false (and the caller
  // should skip, loudly) when the test command started no server.
  PgSchema() {
    const char* dir = std::getenv("FLYTECPP_TEST_PG_DIR");
    if (dir == nullptr || !std::filesystem::exists(std::filesystem::path(dir) / "conninfo")) return;
    conninfo_ = FirstLine(std::filesystem::path(dir) / "conninfo");
    password_ = FirstLine(std::filesystem::path(dir) / "password");
    name_ = "t" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name_) {
      c = std::isalnum(static_cast<unsigned char>(c))
              ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
              : '_';
    }
    Exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
    Exec("CREATE SCHEMA " + name_);
  }
  ~PgSchema() {
    if (available()) Exec("DROP SCHEMA " + name_ + " CASCADE");
  }
  PgSchema(const PgSchema&) = delete;
  PgSchema& operator=(const PgSchema&) = delete;

  static constexpr const char* kSkip =
      "NO POSTGRESQL: FLYTECPP_TEST_PG_DIR/conninfo missing (ctest starts the server: "
      "tests/support/postgres.sh); these tests did not run";

  bool available() const { return !conninfo_.empty(); }
  const std::string& name() const { return name_; }
  const std::string& conninfo() const { return conninfo_; }  // without the password
  const std::string& password() const { return password_; }
  // A connection string whose unqualified tables are the schema's.
  std::string conninfo_in_schema(bool with_password = true) const {
    return conninfo_ + (with_password ? " password=" + password_ : "") +
           " options=-csearch_path=" + name_;
  }

  // Runs `sql` on a connection of its own; returns the first cell.
  std::string Exec(const std::string& sql) const {
    const std::string info = conninfo_ + " password=" + password_;
    PGconn* c = PQconnectdb(info.c_str());
    EXPECT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
    PGresult* r = PQexec(c, sql.c_str());
    const auto st = PQresultStatus(r);
    EXPECT_TRUE(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) << PQresultErrorMessage(r);
    std::string out = st == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
    PQclear(r);
    PQfinish(c);
    return out;
  }

 private:
  static std::string FirstLine(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::string line;
    std::getline(in, line);
    return line;
  }

  std::string conninfo_, password_, name_;
};

}  // namespace flytecpp::testing
