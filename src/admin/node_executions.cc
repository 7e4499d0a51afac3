// Node and task executions through the API (flyteadmin's node_execution and
// task_execution managers): read from the store's node rows, task events and
// data directory.
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "executions.h"
#include "filters.h"
#include "flytecpp/idl/io.h"
#include "flytecpp/idl/phases.h"
#include "flytecpp/store/data_dir.h"
#include "flytecpp/util/text.h"
#include "flyteidl/event/event.pb.h"

namespace flytecpp::admin {

namespace {

using google::protobuf::util::TimeUtil;

// `path`'s parent ("" at the top level).
std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

std::string FileUri(const std::string& path) { return "file://" + path; }

// The ids of the array nodes of `closure`'s workflows (a node's id is the
// last part of its path): FlyteRemote reads an array node's attempts
// differently (NodeExecutionMetaData.is_array).
std::set<std::string> ArrayNodeIds(const core::CompiledWorkflowClosure& closure) {
  std::set<std::string> ids;
  auto add = [&ids](const core::CompiledWorkflow& wf) {
    for (const auto& node : wf.template_().nodes()) {
      if (node.has_array_node()) ids.insert(node.id());
    }
  };
  add(closure.primary());
  for (const auto& sub : closure.sub_workflows()) add(sub);
  return ids;
}

flyteadmin::NodeExecution ToNode(const core::WorkflowExecutionIdentifier& exec,
                                 const store::NodeRecord& n, const store::DataDir& data,
                                 bool is_parent, const std::set<std::string>& array_ids) {
  flyteadmin::NodeExecution out;
  out.mutable_id()->set_node_id(n.path);
  *out.mutable_id()->mutable_execution_id() = exec;
  out.set_input_uri(FileUri(data.InputsPath(n.path)));
  auto* c = out.mutable_closure();
  c->set_phase(n.phase);
  const int64_t started = n.attempt_started_ns != 0 ? n.attempt_started_ns : n.queued_ns;
  *c->mutable_created_at() = TimeUtil::NanosecondsToTimestamp(n.queued_ns);
  *c->mutable_started_at() = TimeUtil::NanosecondsToTimestamp(started);
  *c->mutable_updated_at() = TimeUtil::NanosecondsToTimestamp(n.updated_ns);
  if (idl::IsTerminal(n.phase) && started != 0) {
    *c->mutable_duration() = TimeUtil::NanosecondsToDuration(n.updated_ns - started);
  }
  // Outputs come from GetNodeExecutionData (output_uri is deprecated).
  if (n.error) *c->mutable_error() = *n.error;
  out.mutable_metadata()->set_is_parent_node(is_parent);
  const std::string spec_node_id = n.path.substr(n.path.rfind('/') + 1);
  out.mutable_metadata()->set_spec_node_id(spec_node_id);
  out.mutable_metadata()->set_is_array(array_ids.count(spec_node_id) > 0);
  if (idl::IsTerminal(n.phase)) {  // flytekit writes a task's deck beside its outputs
    const std::string deck = data.OutputDir(n.path, n.attempts) + "/deck.html";
    std::error_code error;
    if (std::filesystem::exists(deck, error)) c->set_deck_uri(FileUri(deck));
  }
  out.mutable_metadata()->set_retry_group(std::to_string(n.attempts));
  return out;
}

// A literal map the engine wrote (in the database or a file), if there is one.
std::optional<core::LiteralMap> ReadMap(store::Store& store, const store::DataDir& data,
                                        const std::string& key) {
  core::LiteralMap m;
  if (!store::ReadData(store, data, key, &m).ok()) return std::nullopt;
  return m;
}

}  // namespace

Result<std::vector<store::NodeRecord>> Executions::Nodes(
    const core::WorkflowExecutionIdentifier& exec, std::set<std::string>* array_ids) {
  FLYTECPP_ASSIGN_OR_RETURN(store::ExecutionRecord record, Record(exec));
  if (array_ids != nullptr) *array_ids = ArrayNodeIds(record.closure);
  return store_->GetNodes(exec.name());
}

Result<flyteadmin::NodeExecutionList> Executions::ListNodes(
    const flyteadmin::NodeExecutionListRequest& request) {
  if (request.limit() == 0) return InvalidArgument("limit must be greater than 0");
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<Predicate> filters, ParseFilters(request.filters()));
  FLYTECPP_ASSIGN_OR_RETURN(size_t offset, PageOffset(request.token()));
  const auto& exec = request.workflow_execution_id();
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> array_ids;
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<store::NodeRecord> nodes, Nodes(exec, &array_ids));
  std::map<std::string, bool> parents;  // paths that have children
  for (const auto& n : nodes) parents[Parent(n.path)] = true;
  const std::string& parent = request.unique_parent_id();
  if (!parent.empty() && !parents.count(parent)) {
    bool known = false;
    for (const auto& n : nodes) known = known || n.path == parent;
    if (!known) return NotFound("execution " + exec.name() + " has no node " + parent);
  }
  std::vector<const store::NodeRecord*> level;
  for (const auto& n : nodes) {
    if (Parent(n.path) != parent) continue;
    FLYTECPP_ASSIGN_OR_RETURN(
        bool match, Matches(filters, [&](const std::string& f) -> std::optional<FieldValue> {
          const std::string field = OwnField(f, {"node_execution"});
          if (field == "phase") return FieldValue{core::NodeExecution::Phase_Name(n.phase), {}};
          if (field == "node_id") return FieldValue{n.path, {}};
          if (field == "created_at") return FieldValue{"", n.queued_ns};
          if (field == "updated_at") return FieldValue{"", n.updated_ns};
          return std::nullopt;
        }));
    if (match) level.push_back(&n);
  }
  // In the order they started, as flyteadmin lists them by default.
  std::stable_sort(level.begin(), level.end(),
                   [](auto* a, auto* b) { return a->queued_ns < b->queued_ns; });
  store::DataDir data(store_->data_dir(), exec.name());
  flyteadmin::NodeExecutionList out;
  const size_t end = std::min(level.size(), offset + std::min<size_t>(request.limit(), 10000));
  for (size_t i = offset; i < end; ++i) {
    *out.add_node_executions() =
        ToNode(exec, *level[i], data, parents.count(level[i]->path) > 0, array_ids);
  }
  if (end < level.size()) out.set_token(std::to_string(end));
  return out;
}

Result<flyteadmin::NodeExecution> Executions::Node(const core::NodeExecutionIdentifier& id) {
  std::set<std::string> array_ids;
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<store::NodeRecord> nodes,
                            Nodes(id.execution_id(), &array_ids));
  bool is_parent = false;
  const store::NodeRecord* found = nullptr;
  for (const auto& n : nodes) {
    if (n.path == id.node_id()) found = &n;
    if (Parent(n.path) == id.node_id()) is_parent = true;
  }
  if (found == nullptr) {
    return NotFound("execution " + id.execution_id().name() + " has no node " + id.node_id());
  }
  store::DataDir data(store_->data_dir(), id.execution_id().name());
  return ToNode(id.execution_id(), *found, data, is_parent, array_ids);
}

Result<flyteadmin::NodeExecution> Executions::GetNode(const core::NodeExecutionIdentifier& id) {
  std::lock_guard<std::mutex> lock(mu_);
  FLYTECPP_ASSIGN_OR_RETURN(flyteadmin::NodeExecution node, Node(id));
  // A task node's cache status, from its latest event that says it: read
  // here only, as it means parsing the execution's events.
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<store::EventRecord> events,
                            store_->GetEvents(id.execution_id().name()));
  for (auto e = events.rbegin(); e != events.rend(); ++e) {
    if (e->kind != store::EventKind::kNode || e->node_path != id.node_id()) continue;
    flyteidl::event::NodeExecutionEvent ne;
    if (!ne.ParseFromString(e->payload) || !ne.has_task_node_metadata()) continue;
    auto* m = node.mutable_closure()->mutable_task_node_metadata();
    m->set_cache_status(ne.task_node_metadata().cache_status());
    *m->mutable_catalog_key() = ne.task_node_metadata().catalog_key();
    break;
  }
  return node;
}

Result<flyteadmin::NodeExecutionGetDataResponse> Executions::GetNodeData(
    const core::NodeExecutionIdentifier& id) {
  std::lock_guard<std::mutex> lock(mu_);
  FLYTECPP_ASSIGN_OR_RETURN(flyteadmin::NodeExecution node, Node(id));
  flyteadmin::NodeExecutionGetDataResponse out;
  store::DataDir data(store_->data_dir(), id.execution_id().name());
  if (auto in = ReadMap(*store_, data, store::DataDir::InputsKey(id.node_id()))) {
    *out.mutable_full_inputs() = *in;
  }
  const int attempt = std::stoi(node.metadata().retry_group());
  const auto phase = node.closure().phase();
  if (phase == core::NodeExecution::SUCCEEDED || phase == core::NodeExecution::RECOVERED) {
    if (auto o = ReadMap(*store_, data, store::DataDir::OutputsKey(id.node_id(), attempt))) {
      *out.mutable_full_outputs() = *o;
    }
  }
  // A dynamic task: the workflow it generated, as compiled.
  core::CompiledWorkflowClosure generated;
  if (store::ReadProto(data.DynamicWorkflowPath(id.node_id(), attempt), &generated).ok()) {
    auto* dynamic = out.mutable_dynamic_workflow();
    *dynamic->mutable_id() = generated.primary().template_().id();
    *dynamic->mutable_compiled_workflow() = std::move(generated);
    dynamic->set_dynamic_job_spec_uri(FileUri(data.DynamicJobSpecPath(id.node_id(), attempt)));
  }
  return out;
}

Result<flyteadmin::DynamicNodeWorkflowResponse> Executions::GetDynamicWorkflow(
    const core::NodeExecutionIdentifier& id) {
  FLYTECPP_ASSIGN_OR_RETURN(flyteadmin::NodeExecutionGetDataResponse data, GetNodeData(id));
  if (!data.has_dynamic_workflow()) {
    return NotFound("node " + id.node_id() + " of " + id.execution_id().name() +
                    " generated no dynamic workflow");
  }
  flyteadmin::DynamicNodeWorkflowResponse out;
  *out.mutable_compiled_workflow() = data.dynamic_workflow().compiled_workflow();
  return out;
}

Result<std::vector<flyteadmin::TaskExecution>> Executions::Attempts(
    const core::NodeExecutionIdentifier& id) {
  FLYTECPP_RETURN_IF_ERROR(Record(id.execution_id()).status());
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<store::EventRecord> events,
                            store_->GetEvents(id.execution_id().name()));
  const store::DataDir data(store_->data_dir(), id.execution_id().name());
  std::map<uint32_t, flyteadmin::TaskExecution>
      attempts;  // by retry attempt, from its events in order
  // An array node's events each carry the elements that changed: an attempt
  // keeps the latest state of every element.
  std::map<uint32_t, std::map<uint32_t, flyteidl::event::ExternalResourceInfo>> elements;
  for (const auto& e : events) {
    if (e.kind != store::EventKind::kTask || e.node_path != id.node_id()) continue;
    flyteidl::event::TaskExecutionEvent te;
    if (!te.ParseFromString(e.payload)) continue;
    auto [it, first] = attempts.try_emplace(te.retry_attempt());
    flyteadmin::TaskExecution& t = it->second;
    auto* c = t.mutable_closure();
    if (first) {
      *t.mutable_id()->mutable_task_id() = te.task_id();
      *t.mutable_id()->mutable_node_execution_id() = id;
      t.mutable_id()->set_retry_attempt(te.retry_attempt());
      t.set_input_uri(te.input_uri());
      *c->mutable_created_at() = te.occurred_at();
      c->set_task_type(te.task_type());
      c->set_event_version(te.event_version());
      // The attempt's logs: served over HTTP, or where this machine keeps them.
      const int attempt = static_cast<int>(te.retry_attempt());
      const std::string dir = data.OutputDir(id.node_id(), attempt);
      const auto& e = id.execution_id();
      for (const char* name : {"stdout", "stderr"}) {
        auto* log = c->add_logs();
        log->set_name(name);
        log->set_uri(log_base_url_.empty()
                         ? FileUri(dir + "/" + name + ".log")
                         : log_base_url_ + "/logs/" + PathEscape(e.project()) + "/" +
                               PathEscape(e.domain()) + "/" + PathEscape(e.name()) + "/" +
                               PathEscape(id.node_id()) + "/" + std::to_string(attempt) + "/" +
                               name);
      }
    }
    c->set_phase(te.phase());
    *c->mutable_updated_at() = te.occurred_at();
    if (te.phase() == core::TaskExecution::RUNNING && !c->has_started_at()) {
      *c->mutable_started_at() = te.occurred_at();
    }
    if (te.has_error()) *c->mutable_error() = te.error();
    if (te.has_custom_info()) *c->mutable_custom_info() = te.custom_info();
    *c->mutable_metadata() = te.metadata();
    for (auto& r : *c->mutable_metadata()->mutable_external_resources()) {
      elements[te.retry_attempt()][r.index()] = std::move(r);
    }
    c->mutable_metadata()->clear_external_resources();
  }
  std::vector<flyteadmin::TaskExecution> out;
  for (auto& [attempt, t] : attempts) {
    auto* c = t.mutable_closure();
    for (auto& [index, r] : elements[attempt]) {
      *c->mutable_metadata()->add_external_resources() = std::move(r);
    }
    const auto p = c->phase();
    if (idl::IsTerminal(p) && c->has_started_at()) {
      *c->mutable_duration() =
          TimeUtil::NanosecondsToDuration(TimeUtil::TimestampToNanoseconds(c->updated_at()) -
                                          TimeUtil::TimestampToNanoseconds(c->started_at()));
    }
    out.push_back(std::move(t));
  }
  return out;
}

Result<flyteadmin::TaskExecutionList> Executions::ListTasks(
    const flyteadmin::TaskExecutionListRequest& request) {
  if (request.limit() == 0) return InvalidArgument("limit must be greater than 0");
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<Predicate> filters, ParseFilters(request.filters()));
  FLYTECPP_ASSIGN_OR_RETURN(size_t offset, PageOffset(request.token()));
  std::lock_guard<std::mutex> lock(mu_);
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<flyteadmin::TaskExecution> all,
                            Attempts(request.node_execution_id()));
  std::vector<flyteadmin::TaskExecution> attempts;
  for (auto& t : all) {
    FLYTECPP_ASSIGN_OR_RETURN(
        bool match, Matches(filters, [&](const std::string& f) -> std::optional<FieldValue> {
          const std::string field = OwnField(f, {"task_execution"});
          if (field == "phase") {
            return FieldValue{core::TaskExecution::Phase_Name(t.closure().phase()), {}};
          }
          if (field == "retry_attempt") {
            return FieldValue{std::to_string(t.id().retry_attempt()), {}};
          }
          return std::nullopt;
        }));
    if (match) attempts.push_back(std::move(t));
  }
  flyteadmin::TaskExecutionList out;
  const size_t end = std::min(attempts.size(), offset + std::min<size_t>(request.limit(), 10000));
  for (size_t i = offset; i < end; ++i) *out.add_task_executions() = std::move(attempts[i]);
  if (end < attempts.size()) out.set_token(std::to_string(end));
  return out;
}

Result<flyteadmin::TaskExecution> Executions::GetTask(const core::TaskExecutionIdentifier& id) {
  std::lock_guard<std::mutex> lock(mu_);
  FLYTECPP_ASSIGN_OR_RETURN(std::vector<flyteadmin::TaskExecution> attempts,
                            Attempts(id.node_execution_id()));
  for (auto& t : attempts) {
    if (t.id().retry_attempt() == id.retry_attempt()) return std::move(t);
  }
  return NotFound("node " + id.node_execution_id().node_id() + " of execution " +
                  id.node_execution_id().execution_id().name() + " has no attempt " +
                  std::to_string(id.retry_attempt()));
}

Result<flyteadmin::TaskExecutionGetDataResponse> Executions::GetTaskData(
    const core::TaskExecutionIdentifier& id) {
  FLYTECPP_ASSIGN_OR_RETURN(flyteadmin::TaskExecution t, GetTask(id));
  flyteadmin::TaskExecutionGetDataResponse out;
  std::lock_guard<std::mutex> lock(mu_);
  store::DataDir data(store_->data_dir(), id.node_execution_id().execution_id().name());
  if (auto in =
          ReadMap(*store_, data, store::DataDir::InputsKey(id.node_execution_id().node_id()))) {
    *out.mutable_full_inputs() = *in;
  }
  if (t.closure().phase() == core::TaskExecution::SUCCEEDED) {
    if (auto o = ReadMap(*store_, data,
                         store::DataDir::OutputsKey(id.node_execution_id().node_id(),
                                                    static_cast<int>(id.retry_attempt())))) {
      *out.mutable_full_outputs() = *o;
    }
  }
  return out;
}

struct Executions::LogRef {
  core::WorkflowExecutionIdentifier exec;
  store::NodeRecord node;
  int attempt = -1;
  std::string stream;
};

Result<Executions::LogRef> Executions::ParseLogPath(const std::string& rest) {
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const size_t slash = rest.find('/', start);
    auto part =
        PathUnescape(rest.substr(start, slash == std::string::npos ? slash : slash - start));
    if (!part) return InvalidArgument("log path '" + rest + "': badly percent-encoded");
    parts.push_back(*part);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  const auto usage = InvalidArgument(
      "log path '" + rest + "': want <project>/<domain>/<name>/<node>/<attempt>/stdout|stderr");
  if (parts.size() != 6 || (parts[5] != "stdout" && parts[5] != "stderr")) return usage;
  LogRef ref;
  try {
    size_t used = 0;
    ref.attempt = std::stoi(parts[4], &used);
    if (used != parts[4].size()) ref.attempt = -1;
  } catch (...) {
  }
  if (ref.attempt < 0) return usage;
  ref.exec.set_project(parts[0]);
  ref.exec.set_domain(parts[1]);
  ref.exec.set_name(parts[2]);
  ref.stream = parts[5];
  // Only a node the execution has: a node id is part of the file's path.
  FLYTECPP_ASSIGN_OR_RETURN(const std::vector<store::NodeRecord> nodes, Nodes(ref.exec));
  for (const auto& n : nodes) {
    if (n.path == parts[3]) {
      ref.node = n;
      return ref;
    }
  }
  return NotFound("execution " + parts[2] + " has no node " + parts[3]);
}

Result<std::filesystem::path> Executions::LogFile(const std::string& rest) {
  std::lock_guard lock(mu_);
  FLYTECPP_ASSIGN_OR_RETURN(const LogRef ref, ParseLogPath(rest));
  const store::DataDir data(store_->data_dir(), ref.exec.name());
  const std::string dir = data.OutputDir(ref.node.path, ref.attempt);
  // A process attempt's log file is made when it first prints: its
  // directory without the file is an empty log (that may still grow).
  if (!std::filesystem::is_directory(dir)) {
    return NotFound("no " + ref.stream + " log for node " + ref.node.path + " attempt " +
                    std::to_string(ref.attempt) + " of " + ref.exec.name());
  }
  return std::filesystem::path(dir + "/" + ref.stream + ".log");
}

Result<bool> Executions::LogFinished(const std::string& rest) {
  std::lock_guard lock(mu_);
  FLYTECPP_ASSIGN_OR_RETURN(const LogRef ref, ParseLogPath(rest));
  return idl::IsTerminal(ref.node.phase) || ref.node.attempts > ref.attempt;
}

Result<BlobData> Executions::Blob(const std::string& uri) {
  namespace fs = std::filesystem;
  const std::string path = uri.rfind("file://", 0) == 0 ? uri.substr(7) : uri;
  const auto not_found = NotFound("blob " + uri + ": not data of this server's executions");
  if (path.empty() || path.front() != '/') return not_found;
  std::error_code error;
  // Symlinks and ".." resolved (lexically past what does not exist).
  const fs::path file = fs::weakly_canonical(path, error);
  if (error) return not_found;
  std::lock_guard lock(mu_);
  const fs::path data = fs::canonical(store_->data_dir(), error);
  if (error) return not_found;
  const auto [end, rest] = std::mismatch(data.begin(), data.end(), file.begin(), file.end());
  if (end != data.end() || rest == file.end()) return not_found;
  if (fs::is_regular_file(file, error)) return BlobData{file, std::nullopt, ""};
  // Not a file: small data of an execution, `<data>/<execution>/<key>`.
  const std::string execution = rest->string();
  fs::path key;
  for (auto part = std::next(rest); part != file.end(); ++part) key /= *part;
  if (key.empty()) return not_found;
  FLYTECPP_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                            store_->GetData(execution, key.string()));
  if (!bytes) return not_found;
  return BlobData{{}, std::move(bytes), file.filename().string()};
}

}  // namespace flytecpp::admin
