// flytekit's side of the process runtime (python_env.h) and the files an
// attempt's inputs name (input_paths.h).
#include "python_env.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "flytecpp/idl/io.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/util/text.h"
#include "input_paths.h"
#include "test_support.h"

namespace flytecpp::runtime::internal {
namespace {

namespace fs = std::filesystem;
namespace lit = idl::lit;
using Command = std::vector<std::string>;

void WriteFile(const fs::path& p, const std::string& text, bool executable = false) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
  if (executable) ::chmod(p.c_str(), 0755);
}

TEST(PythonEnvTest, KnowsFlytekitsEntrypointsByName) {
  EXPECT_TRUE(IsFlytekitEntrypoint("pyflyte-execute"));
  EXPECT_TRUE(IsFlytekitEntrypoint("/venv/bin/pyflyte-map-execute"));
  EXPECT_TRUE(IsFlytekitEntrypoint("pyflyte-fast-execute"));
  EXPECT_FALSE(IsFlytekitEntrypoint("python"));
  EXPECT_FALSE(IsFlytekitEntrypoint("pyflyte"));
}

TEST(PythonEnvTest, TheEnvironmentIsTheFirstPyflyteExecuteOnThePath) {
  testing::TempDir dir;
  WriteFile(dir.path() / "a/bin/other", "", true);
  WriteFile(dir.path() / "venv/bin/pyflyte-execute", "", true);
  const std::string path =
      (dir.path() / "a/bin").string() + ":" + (dir.path() / "venv/bin").string();
  auto env = FindPythonEnvironment(path);
  ASSERT_TRUE(env.has_value());
  EXPECT_EQ(*env, dir.path() / "venv");
  EXPECT_EQ(CheckPythonEnvironment(*env, "pyflyte-execute"), "");
  EXPECT_NE(CheckPythonEnvironment(*env, "pyflyte-map-execute").find("pyflyte-map-execute"),
            std::string::npos);
  EXPECT_FALSE(FindPythonEnvironment((dir.path() / "a/bin").string()).has_value());
  EXPECT_FALSE(FindPythonEnvironment("").has_value());
}

TEST(PythonEnvTest, AnAbsoluteOrUnfilledDestDirBecomesTheAttempts) {
  Command cmd = {"pyflyte-fast-execute",
                 "--additional-distribution",
                 "s3://b/fast1.tar.gz",
                 "--dest-dir",
                 "/root",
                 "--",
                 "pyflyte-execute",
                 "--dest-dir",
                 "/x"};
  RewriteFastExecuteDestDir(&cmd, "/attempt/work");
  EXPECT_EQ(cmd[4], "/attempt/work");
  EXPECT_EQ(cmd[8], "/x");  // the task's own arguments are its own
  Command placeholder = {"pyflyte-fast-execute", "--dest-dir", "{{ .dest_dir }}", "--", "x"};
  RewriteFastExecuteDestDir(&placeholder, "/w");
  EXPECT_EQ(placeholder[2], "/w");
  Command relative = {"pyflyte-fast-execute", "--dest-dir", ".", "--", "x"};
  RewriteFastExecuteDestDir(&relative, "/w");
  EXPECT_EQ(relative[2], ".");
}

TEST(PythonEnvTest, FastExecuteOfALocalBundleIsUnpackedOnceAndRunsTheTaskItself) {
  testing::TempDir dir;
  WriteFile(dir.path() / "src/app/__init__.py", "");
  WriteFile(dir.path() / "src/app/flows.py", "X = 1\n");
  const fs::path bundle = dir.path() / "fastabc.tar.gz";
  const std::string tar =
      "tar -czf " + bundle.string() + " -C " + (dir.path() / "src").string() + " app";
  ASSERT_EQ(std::system(tar.c_str()), 0);
  const Command cmd = {"pyflyte-fast-execute",
                       "--additional-distribution",
                       "file://" + bundle.string(),
                       "--dest-dir",
                       ".",
                       "--",
                       "pyflyte-execute",
                       "--inputs",
                       "in.pb",
                       "--resolver",
                       "r",
                       "--",
                       "task-module",
                       "app.flows"};
  EXPECT_EQ(FastExecuteDistribution(cmd), bundle.string());
  auto fast = PrepareFastExecute(cmd);
  ASSERT_TRUE(fast.ok()) << fast.status().ToString();
  ASSERT_TRUE(fast->has_value());
  const FastExecute& f = **fast;
  EXPECT_EQ(f.code_dir, bundle.string() + ".d");
  EXPECT_TRUE(fs::exists(fs::path(f.code_dir) / "app/flows.py"));
  const Command want = {"pyflyte-execute",
                        "--inputs",
                        "in.pb",
                        "--dynamic-addl-distro",
                        "file://" + bundle.string(),
                        "--dynamic-dest-dir",
                        f.code_dir,
                        "--resolver",
                        "r",
                        "--",
                        "task-module",
                        "app.flows"};
  EXPECT_EQ(f.command, want);
  // Unpacked once: a second attempt uses the folder as it is.
  WriteFile(fs::path(f.code_dir) / "marker", "");
  auto again = PrepareFastExecute(cmd);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(fs::exists(fs::path(f.code_dir) / "marker"));
  // A bundle that is not there is named; a remote one is left to flytekit.
  Command missing = cmd;
  missing[2] = (dir.path() / "fastnone.tar.gz").string();
  auto gone = PrepareFastExecute(missing);
  ASSERT_FALSE(gone.ok());
  EXPECT_NE(gone.status().message().find("fastnone.tar.gz does not exist"), std::string::npos);
  Command remote = cmd;
  remote[2] = "s3://bucket/fastabc.tar.gz";
  auto left = PrepareFastExecute(remote);
  ASSERT_TRUE(left.ok());
  EXPECT_FALSE(left->has_value());
}

TEST(PythonEnvTest, ErrorsAreTheExceptionInOneLine) {
  const std::string message =
      "Trace:\n\n    Traceback (most recent call last):\n      File \"x.py\", line 3\n"
      "    ValueError: x is too big: 5\n\nMessage:\n\n    ValueError: x is too big: 5\n";
  EXPECT_EQ(FlytekitErrorSummary(message), "ValueError: x is too big: 5");
  EXPECT_EQ(FlytekitErrorSummary("no\nsections  here"), "no sections here");
  const std::string rich =
      "\u256d\u2500 Traceback \u2500\u256e\n\u2502 x.py:3 \u2502\n\u2570\u2500\u256f\n"
      "RuntimeError: task execution code was not found\n\n";
  EXPECT_EQ(LastMessageLine(rich), "RuntimeError: task execution code was not found");
  EXPECT_EQ(LastMessageLine("\n\n"), "");
}

TEST(InputPathsTest, LocalPathsOfBlobsDatasetsAndOffloadedLiterals) {
  testing::TempDir dir;
  const fs::path data = dir.path() / "data";
  WriteFile(data / "e/n0/raw/h1/a.csv", "a");
  WriteFile(data / "e/n0/raw/h2/part0", "p");
  WriteFile(data / "e/n1/raw/h3/b.csv", "b");
  core::LiteralMap in = lit::Inputs({
      {"file", lit::Blob("file://" + (data / "e/n0/raw/h1/a.csv").string(), "csv")},
      {"sd", lit::StructuredDataset((data / "e/n0/raw/h2").string(), "parquet")},
      {"files", lit::List({lit::Blob((data / "e/n1/raw/h3/b.csv").string(), "csv"),
                           lit::Blob("s3://bucket/c.csv", "csv")})},
      {"gone", lit::Blob((data / "nowhere.csv").string(), "csv")},
      {"n", lit::Int(3)},
  });
  auto paths = LocalInputPaths(in);
  ASSERT_EQ(paths.size(), 3u);  // remote and missing ones are not shown
  EXPECT_EQ(paths[0].path, (data / "e/n0/raw/h1/a.csv").string());
  EXPECT_TRUE(paths[0].blob);
  EXPECT_EQ(paths[1].path, (data / "e/n0/raw/h2").string());
  EXPECT_FALSE(paths[1].blob);
  EXPECT_EQ(paths[2].path, (data / "e/n1/raw/h3/b.csv").string());

  SandboxSpec sandbox;
  const fs::path copies = dir.path() / "attempt/.inputs";
  ASSERT_TRUE(ShowInputPaths(in, data.string(), copies.string(), &sandbox).ok());
  // The dataset read-only at its path; each file a copy in a stand-in for its folder.
  ASSERT_EQ(sandbox.ro_binds.size(), 1u);
  EXPECT_EQ(sandbox.ro_binds[0].first, (data / "e/n0/raw/h2").string());
  ASSERT_EQ(sandbox.rw_binds.size(), 2u);
  EXPECT_EQ(sandbox.rw_binds[0].second, (data / "e/n0/raw/h1").string());
  EXPECT_EQ(sandbox.rw_binds[1].second, (data / "e/n1/raw/h3").string());
  auto copy = idl::ReadFileBytes(fs::path(sandbox.rw_binds[0].first) / "a.csv");
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(*copy, "a");
  // A user's file outside the store: a copy of it alone, at its path.
  WriteFile(dir.path() / "home/me.csv", "mine");
  SandboxSpec user;
  ASSERT_TRUE(
      ShowInputPaths(lit::Inputs({{"f", lit::Blob((dir.path() / "home/me.csv").string(), "csv")}}),
                     data.string(), (dir.path() / "attempt2/.inputs").string(), &user)
          .ok());
  ASSERT_EQ(user.rw_binds.size(), 1u);
  EXPECT_EQ(user.rw_binds[0].second, (dir.path() / "home/me.csv").string());
}

}  // namespace
}  // namespace flytecpp::runtime::internal
