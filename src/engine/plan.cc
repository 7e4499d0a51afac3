#include "plan.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <charconv>

#include "flytecpp/idl/identifiers.h"

namespace flytecpp::engine::internal {

using google::protobuf::util::TimeUtil;

namespace {

Status BuildError(const std::string& node, const std::string& what) {
  return InvalidArgument("WorkflowBuildError " + node + ": " + what);
}

// Output aliases of `provider`: alias -> real output name.
std::string Unalias(const core::Node& provider, const std::string& var) {
  for (const auto& a : provider.output_aliases()) {
    if (a.alias() == var) return a.var();
  }
  return var;
}

struct Planner {
  Plan* plan;

  Result<BindingPlan> Binding(const core::BindingData& b, const std::string& consumer) {
    BindingPlan out;
    switch (b.value_case()) {
      case core::BindingData::kScalar:
        out.kind = BindingPlan::Kind::kScalar;
        out.scalar = &b.scalar();
        return out;
      case core::BindingData::kCollection:
        out.kind = BindingPlan::Kind::kCollection;
        for (const auto& item : b.collection().bindings()) {
          FLYTECPP_ASSIGN_OR_RETURN(BindingPlan p, Binding(item, consumer));
          out.items.push_back(std::move(p));
        }
        return out;
      case core::BindingData::kMap: {
        out.kind = BindingPlan::Kind::kMap;
        std::vector<std::string> keys;
        for (const auto& [k, v] : b.map().bindings()) keys.push_back(k);
        std::sort(keys.begin(), keys.end());
        for (const auto& k : keys) {
          FLYTECPP_ASSIGN_OR_RETURN(BindingPlan p, Binding(b.map().bindings().at(k), consumer));
          out.keys.push_back(k);
          out.items.push_back(std::move(p));
        }
        return out;
      }
      case core::BindingData::kPromise: {
        const auto& p = b.promise();
        const std::string& id = p.node_id().empty() ? std::string("start-node") : p.node_id();
        auto it = plan->index.find(id);
        if (it == plan->index.end()) {
          return BuildError(consumer, "binds an output of unknown node \"" + id + "\"");
        }
        out.kind = BindingPlan::Kind::kPromise;
        out.source = it->second;
        std::string var = p.var();
        if (!var.empty() && var[0] == '[') {  // [i].name
          const size_t close = var.find("].");
          int index = -1;
          const char* first = var.data() + 1;
          const char* last = var.data() + (close == std::string::npos ? 1 : close);
          auto [end, ec] = std::from_chars(first, last, index);
          if (close == std::string::npos || ec != std::errc() || end != last || index < 0) {
            return BuildError(consumer, "promise var \"" + var + "\" is neither name nor [i].name");
          }
          out.index = index;
          var = var.substr(close + 2);
        }
        out.var = Unalias(*plan->nodes[it->second].node, var);
        if (p.attr_path_size() > 0) out.attr_path = &p.attr_path();
        return out;
      }
      default: out.kind = BindingPlan::Kind::kUnsupported; return out;
    }
  }

  Status Inputs(PlanNode& n) {
    for (const auto& b : n.node->inputs()) {
      FLYTECPP_ASSIGN_OR_RETURN(BindingPlan p, Binding(b.binding(), n.id));
      n.inputs.emplace_back(b.var(), std::move(p));
    }
    return Status::Ok();
  }
};

}  // namespace

Result<std::unique_ptr<PlanSet>> PlanSet::Build(core::CompiledWorkflowClosure closure) {
  auto set = std::unique_ptr<PlanSet>(new PlanSet());
  set->closure_ = std::move(closure);
  for (const auto& t : set->closure_.tasks()) {
    set->tasks_.emplace(idl::IdentifierString(t.template_().id()),
                        std::make_shared<const core::TaskTemplate>(t.template_()));
  }
  for (const auto& sw : set->closure_.sub_workflows()) {
    set->sub_workflows_.emplace(idl::IdentifierString(sw.template_().id()), &sw);
  }
  FLYTECPP_ASSIGN_OR_RETURN(set->primary_, set->PlanWorkflow(set->closure_.primary()));
  return set;
}

Result<Plan*> PlanSet::PlanWorkflow(const core::CompiledWorkflow& wf) {
  const std::string key = idl::IdentifierString(wf.template_().id());
  if (auto it = plans_.find(key); it != plans_.end()) return it->second.get();
  if (std::find(planning_.begin(), planning_.end(), key) != planning_.end()) {
    return BuildError(key, "the workflow contains itself");
  }
  planning_.push_back(key);
  auto plan = std::make_unique<Plan>();
  plan->workflow_name = wf.template_().id().name();
  plan->tmpl = &wf.template_();
  plan->on_failure = wf.template_().metadata().on_failure();
  const auto& tmpl = wf.template_();

  // Graph nodes first (start, end, user nodes as compiled), then branch cases.
  std::vector<const core::Node*> all;
  for (const auto& n : tmpl.nodes()) all.push_back(&n);
  if (all.size() < 2 || all[0]->id() != "start-node" || all[1]->id() != "end-node") {
    return BuildError(key, "not a compiled workflow (no start-node/end-node)");
  }
  std::vector<std::pair<const core::Node*, int>> queue;  // (case node, branch index)
  auto add = [&](const core::Node* n, int owner) -> Result<int> {
    int i = static_cast<int>(plan->nodes.size());
    if (!plan->index.emplace(n->id(), i).second) {
      return BuildError(n->id(), "duplicate node id");
    }
    PlanNode pn;
    pn.id = n->id();
    pn.kind = idl::NodeKindOf(*n);
    pn.node = n;
    pn.owner = owner;
    plan->nodes.push_back(std::move(pn));
    return i;
  };
  for (const core::Node* n : all) FLYTECPP_RETURN_IF_ERROR(add(n, -1).status());
  // Branch cases are flattened into the same array (ids are prefixed, unique).
  for (size_t i = 0; i < plan->nodes.size(); ++i) {
    if (plan->nodes[i].kind != NodeKind::kBranch) continue;
    const auto& ie = plan->nodes[i].node->branch_node().if_else();
    auto add_case = [&](const core::Node& c) -> Result<int> {
      return add(&c, static_cast<int>(i));
    };
    if (ie.has_case_()) {
      FLYTECPP_ASSIGN_OR_RETURN(int c, add_case(ie.case_().then_node()));
      plan->nodes[i].cases.push_back({&ie.case_().condition(), c});
    }
    for (const auto& o : ie.other()) {
      FLYTECPP_ASSIGN_OR_RETURN(int c, add_case(o.then_node()));
      plan->nodes[i].cases.push_back({&o.condition(), c});
    }
    if (ie.has_else_node()) {
      FLYTECPP_ASSIGN_OR_RETURN(plan->nodes[i].else_node, add_case(ie.else_node()));
    } else if (ie.has_error()) {
      plan->nodes[i].else_error = &ie.error();
    }
  }
  // An array node's sub-node is owned by it, like a branch's cases.
  for (size_t i = 0; i < plan->nodes.size(); ++i) {
    if (plan->nodes[i].kind != NodeKind::kArray) continue;
    const auto& an = plan->nodes[i].node->array_node();
    if (!an.has_node()) return BuildError(plan->nodes[i].id, "array node without a sub-node");
    PlanNode::Array opts;
    if (an.parallelism_option_case() == core::ArrayNode::kParallelism) {
      opts.parallelism = an.parallelism();
    }
    if (an.success_criteria_case() == core::ArrayNode::kMinSuccesses) {
      opts.min_successes = an.min_successes();
    } else if (an.success_criteria_case() == core::ArrayNode::kMinSuccessRatio) {
      opts.min_success_ratio = an.min_success_ratio();
    }
    opts.run_all = an.run_all_sub_nodes();
    opts.individual_input_files = an.data_mode() == core::ArrayNode::INDIVIDUAL_INPUT_FILES;
    opts.bound.assign(an.bound_inputs().begin(), an.bound_inputs().end());
    FLYTECPP_ASSIGN_OR_RETURN(opts.sub_node, add(&an.node(), static_cast<int>(i)));
    const NodeKind sub = plan->nodes[opts.sub_node].kind;
    if (sub != NodeKind::kTask && sub != NodeKind::kSubWorkflow && sub != NodeKind::kLaunchPlan) {
      return BuildError(plan->nodes[i].id, "an array maps a task, a sub-workflow or a launch plan");
    }
    plan->nodes[i].array = std::move(opts);
  }
  if (tmpl.has_failure_node()) {
    FLYTECPP_ASSIGN_OR_RETURN(plan->failure_node, add(&tmpl.failure_node(), -1));
  }

  // Edges between graph nodes, from the compiled connections.
  for (const auto& [from, ids] : wf.connections().downstream()) {
    auto f = plan->index.find(from);
    if (f == plan->index.end()) return BuildError(from, "connection from an unknown node");
    for (const auto& to : ids.ids()) {
      auto t = plan->index.find(to);
      if (t == plan->index.end()) return BuildError(to, "connection to an unknown node");
      plan->nodes[f->second].downstream.push_back(t->second);
      ++plan->nodes[t->second].upstream_count;
    }
  }

  // A branch waits for what its cases read. The compiled connections list a
  // case's upstream nodes under the case's own id, with no downstream entry:
  // propeller holds the case node back until they end; here the branch
  // node waits for them (the same outcome: a case never reads outputs that
  // are not there yet).
  for (const auto& [to, ids] : wf.connections().upstream()) {
    auto t = plan->index.find(to);
    if (t == plan->index.end() || plan->nodes[t->second].owner < 0) continue;
    int branch = plan->nodes[t->second].owner;
    while (plan->nodes[branch].owner >= 0) branch = plan->nodes[branch].owner;
    if (plan->nodes[branch].kind != NodeKind::kBranch) continue;
    for (const auto& from : ids.ids()) {
      auto f = plan->index.find(from);
      if (f == plan->index.end() || f->second == branch || plan->nodes[f->second].owner >= 0) {
        continue;  // within the branch itself
      }
      auto& down = plan->nodes[f->second].downstream;
      if (std::find(down.begin(), down.end(), branch) != down.end()) continue;
      down.push_back(branch);
      ++plan->nodes[branch].upstream_count;
    }
  }

  Planner planner{plan.get()};
  const bool default_interruptible = tmpl.metadata_defaults().interruptible();
  for (PlanNode& n : plan->nodes) {
    // An array's sub-node gets its inputs from the array, element by element.
    const bool array_sub = n.owner >= 0 && plan->nodes[n.owner].kind == NodeKind::kArray;
    if (!array_sub) FLYTECPP_RETURN_IF_ERROR(planner.Inputs(n));
    const auto& md = n.node->metadata();
    n.interruptible = md.interruptible_value_case() == core::NodeMetadata::kInterruptible
                          ? md.interruptible()
                          : default_interruptible;
    switch (n.kind) {
      case NodeKind::kTask: {
        std::string tkey = idl::IdentifierString(n.node->task_node().reference_id());
        auto t = tasks_.find(tkey);
        if (t == tasks_.end())
          return BuildError(n.id, "its task " + tkey + " is not in the closure");
        n.task = t->second;
        uint32_t retries = md.retries().retries();
        if (retries == 0) retries = n.task->metadata().retries().retries();
        n.max_attempts = static_cast<int>(retries) + 1;
        const auto& timeout = md.has_timeout() ? md.timeout() : n.task->metadata().timeout();
        n.timeout = std::chrono::nanoseconds(TimeUtil::DurationToNanoseconds(timeout));
        break;
      }
      case NodeKind::kSubWorkflow: {
        std::string wkey = idl::IdentifierString(n.node->workflow_node().sub_workflow_ref());
        auto sw = sub_workflows_.find(wkey);
        if (sw == sub_workflows_.end()) {
          return BuildError(n.id, "its sub-workflow " + wkey + " is not in the closure");
        }
        FLYTECPP_ASSIGN_OR_RETURN(n.sub_plan, PlanWorkflow(*sw->second));
        break;
      }
      case NodeKind::kLaunchPlan: n.launch_plan = n.node->workflow_node().launchplan_ref(); break;
      default: break;
    }
  }
  // Who reads whose outputs.
  std::function<void(const BindingPlan&, bool)> count = [&](const BindingPlan& b, bool keep) {
    if (b.kind == BindingPlan::Kind::kPromise && b.source >= 0) {
      ++plan->nodes[b.source].consumers;
      if (keep) plan->nodes[b.source].keep_outputs = true;
    }
    for (const auto& item : b.items) count(item, keep);
  };
  for (int k = 0; k < static_cast<int>(plan->nodes.size()); ++k) {
    for (const auto& [var, b] : plan->nodes[k].inputs) count(b, k == plan->failure_node);
  }
  plan->nodes[Plan::kEnd].keep_outputs = true;

  // What an array's task element sees (its task is known now).
  for (PlanNode& n : plan->nodes) {
    if (n.kind != NodeKind::kArray || !plan->nodes[n.array.sub_node].task) continue;
    const auto& an = n.node->array_node();
    if (an.has_is_original_sub_node_interface() && an.is_original_sub_node_interface().value()) {
      n.array.element_task = plan->nodes[n.array.sub_node].task;  // per element already
      continue;
    }
    auto element = std::make_shared<core::TaskTemplate>(*plan->nodes[n.array.sub_node].task);
    auto* iface = element->mutable_interface();
    for (auto& [name, var] : *iface->mutable_outputs()->mutable_variables()) {
      if (var.type().has_collection_type()) {
        *var.mutable_type() = core::LiteralType(var.type().collection_type());
      }
    }
    const auto& bound = n.array.bound;
    for (auto& [name, var] : *iface->mutable_inputs()->mutable_variables()) {
      if (std::find(bound.begin(), bound.end(), name) == bound.end() &&
          var.type().has_collection_type()) {
        *var.mutable_type() = core::LiteralType(var.type().collection_type());
      }
    }
    n.array.element_task = std::move(element);
  }
  planning_.pop_back();
  Plan* raw = plan.get();
  plans_.emplace(key, std::move(plan));
  return raw;
}

}  // namespace flytecpp::engine::internal
