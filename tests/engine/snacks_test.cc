// The real flytesnacks workflows of the snacks-core suite, run by the engine
// with in-process C++ versions of their Python tasks: chained tasks (019,
// 020) and conditions, nested and with else-fail (024-031). The expected
// outputs are what the Python originals compute.
#include <fstream>

#include "engine_test_util.h"
#include "flytecpp/compiler/sources.h"
#include "flytecpp/idl/io.h"
#include "flyteidl/admin/launch_plan.pb.h"

namespace flytecpp::engine {
namespace {

using namespace testing;
namespace fs = std::filesystem;

class SnacksTest : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    Register("core.control_flow.conditions.square",
             [](const core::LiteralMap& in) -> runtime::TaskOutcome {
               double n = Float(in, "n");
               return lit::Inputs({{"o0", lit::Float(n * n)}});
             });
    Register("core.control_flow.conditions.double",
             [](const core::LiteralMap& in) -> runtime::TaskOutcome {
               return lit::Inputs({{"o0", lit::Float(2 * Float(in, "n"))}});
             });
    // chain_tasks: write() leaves a dataset behind, read() returns it.
    Register("core.control_flow.chain_tasks.write",
             [this](const core::LiteralMap&) -> runtime::TaskOutcome {
               std::ofstream(dataset_) << "name,age\nalice,30\n";
               return core::LiteralMap();
             });
    Register("core.control_flow.chain_tasks.read",
             [this](const core::LiteralMap&) -> runtime::TaskOutcome {
               if (!fs::exists(dataset_)) return UserError("write did not run first");
               return lit::Inputs(
                   {{"o0", lit::StructuredDataset("file://" + dataset_.string(), "parquet")}});
             });
  }

  // Runs workflow file `wf` (with its task files) through its launch plan.
  ExecutionResult RunSnack(const std::string& wf, const std::vector<std::string>& tasks,
                           const std::string& lp, const core::LiteralMap& inputs) {
    auto conf = flytecpp::testing::ConformanceDir();
    fs::path dir = *conf / "flytepropeller-compiler" / "snacks-core";
    std::vector<fs::path> task_files;
    for (const auto& t : tasks) task_files.push_back(dir / t);
    auto sources = compiler::LoadWorkflowSources(dir / wf, task_files);
    EXPECT_TRUE(sources.ok()) << sources.status().ToString();
    auto closure = compiler::CompileFromSources(*sources, sources->workflows[0]);
    EXPECT_TRUE(closure.ok()) << closure.status().ToString();
    flyteidl::admin::LaunchPlan plan;
    EXPECT_TRUE(idl::ReadMessage(dir / lp, &plan).ok());
    Engine engine(Options());
    auto r = engine.Run(
        {.closure = *closure, .inputs = inputs, .defaults = plan.spec().default_inputs()});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : ExecutionResult{};
  }

  fs::path dataset_ = dir_.path() / "people.csv";
};

core::LiteralMap MyInput(double v) { return lit::Inputs({{"my_input", lit::Float(v)}}); }

TEST_F(SnacksTest, ChainTasksRunInOrder) {
  FLYTECPP_REQUIRE_CONFORMANCE(conf);
  auto r = RunSnack("019_core.control_flow.chain_tasks.chain_tasks_wf_2.pb",
                    {"017_core.control_flow.chain_tasks.read_1.pb",
                     "018_core.control_flow.chain_tasks.write_1.pb"},
                    "020_core.control_flow.chain_tasks.chain_tasks_wf_3.pb", lit::Inputs({}));
  ASSERT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED) << (r.error ? r.error->message() : "");
  const auto& sd = r.outputs.literals().at("o0").scalar().structured_dataset();
  EXPECT_EQ(sd.uri(), "file://" + dataset_.string());
  EXPECT_EQ(Calls("core.control_flow.chain_tasks.write"), 1);
}

const std::vector<std::string> kConditionTasks = {"024_core.control_flow.conditions.square_1.pb",
                                                  "025_core.control_flow.conditions.double_1.pb"};

TEST_F(SnacksTest, MultiplierDoublesFractionsAndSquaresTheRest) {
  FLYTECPP_REQUIRE_CONFORMANCE(conf);
  // if 0.1 <= x <= 1.0: double(x) else square(x)
  for (auto [in, want] :
       {std::pair{0.5, 1.0}, std::pair{1.0, 2.0}, std::pair{2.0, 4.0}, std::pair{0.05, 0.0025}}) {
    auto r = RunSnack("026_core.control_flow.conditions.multiplier_2.pb", kConditionTasks,
                      "027_core.control_flow.conditions.multiplier_3.pb", MyInput(in));
    ASSERT_EQ(r.phase, core::WorkflowExecution::SUCCEEDED);
    EXPECT_DOUBLE_EQ(Float(r.outputs, "o0"), want) << "my_input=" << in;
  }
}

TEST_F(SnacksTest, Multiplier2FailsOutsideItsRange) {
  FLYTECPP_REQUIRE_CONFORMANCE(conf);
  // if 0.1 < x < 1.0: double; elif 1.0 < x <= 10.0: square; else fail
  auto half = RunSnack("028_core.control_flow.conditions.multiplier_2_2.pb", kConditionTasks,
                       "029_core.control_flow.conditions.multiplier_2_3.pb", MyInput(0.5));
  EXPECT_DOUBLE_EQ(Float(half.outputs, "o0"), 1.0);
  auto five = RunSnack("028_core.control_flow.conditions.multiplier_2_2.pb", kConditionTasks,
                       "029_core.control_flow.conditions.multiplier_2_3.pb", MyInput(5));
  EXPECT_DOUBLE_EQ(Float(five.outputs, "o0"), 25.0);
  auto out = RunSnack("028_core.control_flow.conditions.multiplier_2_2.pb", kConditionTasks,
                      "029_core.control_flow.conditions.multiplier_2_3.pb", MyInput(20));
  EXPECT_EQ(out.phase, core::WorkflowExecution::FAILED);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code(), "UserProvidedError");
  EXPECT_EQ(out.error->message(), "[UserProvidedError] The input must be between 0 and 10");
  EXPECT_EQ(out.failed_node, "n0");
}

TEST_F(SnacksTest, Multiplier3DoublesTheBranchResult) {
  FLYTECPP_REQUIRE_CONFORMANCE(conf);
  auto r = RunSnack("030_core.control_flow.conditions.multiplier_3_2.pb", kConditionTasks,
                    "031_core.control_flow.conditions.multiplier_3_3.pb", MyInput(5));
  EXPECT_DOUBLE_EQ(Float(r.outputs, "o0"), 50.0);  // double(square(5))
  auto small = RunSnack("030_core.control_flow.conditions.multiplier_3_2.pb", kConditionTasks,
                        "031_core.control_flow.conditions.multiplier_3_3.pb", MyInput(0.5));
  EXPECT_DOUBLE_EQ(Float(small.outputs, "o0"), 2.0);  // double(double(0.5))
}

}  // namespace
}  // namespace flytecpp::engine
