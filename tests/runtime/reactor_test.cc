// The process runtime waits on its attempts from one reactor thread: the
// number of threads stays flat however many attempts are in flight.
#include "reactor.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "flytecpp/idl/builders.h"
#include "flytecpp/runtime/process.h"
#include "test_support.h"

namespace flytecpp::runtime {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// This process's threads, from /proc.
int ThreadCount() {
  int n = 0;
  for ([[maybe_unused]] const auto& t : fs::directory_iterator("/proc/self/task")) ++n;
  return n;
}

template <typename Pred>
bool Within(std::chrono::seconds limit, Pred pred) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(ReactorTest, RunsPostedWorkInOrderAndCallsWatchersWhenTheirFdIsReadable) {
  internal::Reactor reactor;
  std::atomic<int> step{0};
  std::vector<int> order;
  for (int i = 0; i < 5; ++i) {
    reactor.Post([&order, i] { order.push_back(i); });
  }
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  reactor.Post([&] {
    reactor.Watch(fds[0], [&] {
      char c;
      if (::read(fds[0], &c, 1) == 1) step = c;
    });
    reactor.After(20ms, [&] { step = step + 100; });
  });
  ASSERT_EQ(::write(fds[1], "\x07", 1), 1);
  EXPECT_TRUE(Within(10s, [&] { return step.load() == 107; })) << step.load();
  reactor.Stop();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(ProcessReactorTest, TwoThousandAttemptsInFlightAddNoThreadEach) {
  constexpr int kAttempts = 2000;
  flytecpp::testing::TempDir dir;
  ProcessRuntimeOptions options;
  options.sandbox = false;
  options.jobs = kAttempts;
  options.python = "";
  auto process = std::make_unique<ProcessRuntime>(options);
  auto task = std::make_shared<core::TaskTemplate>(
      idl::TaskBuilder("sleeper")
          .Container(idl::ContainerBuilder("img").Command({"sleep", "600"}))
          .Build());
  const int before = ThreadCount();
  std::atomic<int> started{0}, done{0};
  AttemptCallbacks callbacks;
  callbacks.started = [&](const AttemptId&, std::string) { ++started; };
  callbacks.done = [&](const AttemptId&, TaskOutcome) { ++done; };
  std::vector<AttemptId> ids;
  for (int i = 0; i < kAttempts; ++i) {
    AttemptSpec spec;
    spec.id = {"e", "n" + std::to_string(i), 0, static_cast<uint64_t>(i + 1)};
    spec.task = task;
    spec.data_dir = dir.path() / ("n" + std::to_string(i));
    spec.output_dir = spec.data_dir / "0";
    fs::create_directories(spec.output_dir);
    ids.push_back(spec.id);
    ASSERT_TRUE(process->Start(std::move(spec), callbacks).ok());
  }
  ASSERT_TRUE(Within(300s, [&] { return started.load() == kAttempts; }))
      << started.load() << " of " << kAttempts << " started";
  const int during = ThreadCount();
  EXPECT_EQ(done.load(), 0) << "the attempts sleep: none ends on its own";
  // The runtime's reactor (and the sandbox helpers', none here): not one per attempt.
  EXPECT_LE(during - before, 2) << before << " threads before, " << during << " with " << kAttempts
                                << " attempts in flight";
  for (const auto& id : ids) process->Abort(id);
  process.reset();  // kills and reaps what is left
  EXPECT_EQ(done.load(), 0) << "an aborted attempt is not reported";
}

// An attempt that cannot start (its program is nowhere on the PATH) ends
// at once with an error naming it, reported like any other end.
TEST(ProcessReactorTest, AnAttemptThatCannotStartIsReportedOnce) {
  flytecpp::testing::TempDir dir;
  ProcessRuntimeOptions options;
  options.sandbox = false;
  options.python = "";
  ProcessRuntime process(options);
  auto task = std::make_shared<core::TaskTemplate>(
      idl::TaskBuilder("missing")
          .Container(idl::ContainerBuilder("img").Command({"flytecpp-no-such-program"}))
          .Build());
  AttemptSpec spec;
  spec.id = {"e", "n0", 0, 1};
  spec.task = task;
  spec.data_dir = dir.path() / "n0";
  spec.output_dir = spec.data_dir / "0";
  fs::create_directories(spec.output_dir);
  std::atomic<int> done{0};
  std::mutex mu;
  std::optional<TaskOutcome> outcome;
  AttemptCallbacks callbacks;
  callbacks.done = [&](const AttemptId&, TaskOutcome o) {
    std::lock_guard<std::mutex> lock(mu);
    outcome = std::move(o);
    ++done;
  };
  ASSERT_TRUE(process.Start(std::move(spec), callbacks).ok());
  ASSERT_TRUE(Within(30s, [&] { return done.load() > 0; }));
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_TRUE(outcome.has_value());
  const auto* error = std::get_if<TaskError>(&*outcome);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, "ContainerFailed");
  EXPECT_NE(error->message.find("flytecpp-no-such-program"), std::string::npos) << error->message;
  EXPECT_EQ(done.load(), 1);
}

}  // namespace
}  // namespace flytecpp::runtime
