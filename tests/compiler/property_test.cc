// Random DAG workflows compile, and their connection set is exactly what the
// bindings and explicit upstream ids imply (plus orphan edges to start/end).
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "compiler_test_util.h"

namespace flytecpp::compiler {
namespace {

using namespace testing;
using Edges = std::map<std::string, std::set<std::string>>;

Edges FromProto(
    const google::protobuf::Map<std::string, flyteidl::core::ConnectionSet::IdList>& m) {
  Edges out;
  for (const auto& [k, v] : m) out[k] = {v.ids().begin(), v.ids().end()};
  return out;
}

class RandomDag {
 public:
  explicit RandomDag(uint32_t seed) : rng_(seed) {}

  void Generate() {
    std::uniform_int_distribution<int> size(1, 40);
    const int n = size(rng_);
    for (int i = 0; i < n; ++i) {
      const std::string id = "n" + std::to_string(i);
      std::vector<std::string> providers;  // one per input, may repeat
      std::bernoulli_distribution from_start(0.3), extra(0.35);
      int inputs = std::uniform_int_distribution<int>(0, 3)(rng_);
      for (int k = 0; k < inputs; ++k) {
        if (i == 0 || from_start(rng_)) {
          providers.push_back("start-node");
        } else {
          providers.push_back("n" +
                              std::to_string(std::uniform_int_distribution<int>(0, i - 1)(rng_)));
        }
      }
      std::set<std::string> explicit_up;
      if (i > 0 && extra(rng_)) {
        explicit_up.insert("n" +
                           std::to_string(std::uniform_int_distribution<int>(0, i - 1)(rng_)));
      }
      AddNode(id, providers, explicit_up);
    }
    // Some workflow outputs.
    std::bernoulli_distribution output(0.2);
    for (int i = 0; i < n; ++i) {
      if (output(rng_)) {
        const std::string var = "out" + std::to_string(i);
        const std::string id = "n" + std::to_string(i);
        wf_.Output(var, types::Int(), Promise(id, "o0"));
        Edge(id, "end-node");
      }
    }
    // Orphans: no upstream -> from start; no downstream -> to end.
    for (const auto& id : ids_) {
      if (!up_.count(id)) Edge("start-node", id);
      if (!down_.count(id)) Edge(id, "end-node");
    }
  }

  WorkflowTemplate workflow() const { return wf_.Build(); }
  const std::vector<TaskTemplate>& tasks() const { return tasks_; }
  const Edges& expected_downstream() const { return down_; }
  const Edges& expected_upstream() const { return up_; }

 private:
  const TaskTemplate& TaskWithInputs(int k) {
    while (static_cast<int>(tasks_.size()) <= k) {
      std::vector<std::pair<std::string, LiteralType>> in;
      for (int j = 0; j < static_cast<int>(tasks_.size()); ++j) {
        in.emplace_back("x" + std::to_string(j), types::Int());
      }
      tasks_.push_back(Task("t" + std::to_string(tasks_.size()), in, {{"o0", types::Int()}}));
    }
    return tasks_[k];
  }

  void AddNode(const std::string& id, const std::vector<std::string>& providers,
               const std::set<std::string>& explicit_up) {
    NodeBuilder node = TaskNode(id, TaskWithInputs(static_cast<int>(providers.size())));
    for (size_t k = 0; k < providers.size(); ++k) {
      const std::string var = "x" + std::to_string(k);
      if (providers[k] == "start-node") {
        node.Bind(var, WorkflowInput("w"));
      } else {
        node.Bind(var, Promise(providers[k], "o0"));
      }
      Edge(providers[k], id);
    }
    for (const auto& up : explicit_up) {
      node.After(up);
      Edge(up, id);
    }
    if (ids_.empty()) wf_.Input("w", types::Int());
    wf_.Add(node);
    ids_.push_back(id);
  }

  void Edge(const std::string& from, const std::string& to) {
    down_[from].insert(to);
    up_[to].insert(from);
  }

  std::mt19937 rng_;
  WorkflowBuilder wf_{"random.dag"};
  std::vector<TaskTemplate> tasks_;
  std::vector<std::string> ids_;
  Edges down_, up_;
};

TEST(CompilerPropertyTest, RandomDagsCompileWithExactConnections) {
  for (uint32_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RandomDag dag(seed);
    dag.Generate();
    auto o = Compile(dag.workflow(), dag.tasks());
    ASSERT_TRUE(o.closure.ok()) << o.Listing();
    const auto& conn = o.closure->primary().connections();
    EXPECT_EQ(FromProto(conn.downstream()), dag.expected_downstream());
    EXPECT_EQ(FromProto(conn.upstream()), dag.expected_upstream());
    // Node order: start, end, then the user's nodes as given.
    const auto& nodes = o.closure->primary().template_().nodes();
    ASSERT_GE(nodes.size(), 3);
    EXPECT_EQ(nodes[0].id(), "start-node");
    EXPECT_EQ(nodes[1].id(), "end-node");
    EXPECT_EQ(nodes[2].id(), "n0");
  }
}

TEST(CompilerPropertyTest, CompilingIsIndependentOfNodeOrderForConnections) {
  // Reversing the node list (forward references everywhere) gives the same
  // connections: every node is known before any binding is resolved.
  for (uint32_t seed = 1; seed <= 50; ++seed) {
    RandomDag dag(seed);
    dag.Generate();
    WorkflowTemplate wf = dag.workflow();
    std::reverse(wf.mutable_nodes()->begin(), wf.mutable_nodes()->end());
    auto o = Compile(wf, dag.tasks());
    ASSERT_TRUE(o.closure.ok()) << o.Listing();
    EXPECT_EQ(FromProto(o.closure->primary().connections().upstream()), dag.expected_upstream());
  }
}

}  // namespace
}  // namespace flytecpp::compiler
