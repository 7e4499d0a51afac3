// Cache keys (include/flytecpp/engine/cache.h).
#include "flytecpp/engine/cache.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>

#include "executor.h"
#include "flytecpp/idl/literals.h"

namespace flytecpp::engine {

namespace core = flyteidl::core;

namespace {

// Map entries in key order: equal messages give equal bytes.
std::string Deterministic(const google::protobuf::Message& m) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream stream(&out);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    m.SerializeToCodedStream(&coded);
  }
  return out;
}

std::string Base64Url(const unsigned char* data, size_t n) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (i + 1 < n ? uint32_t{data[i + 1]} << 8 : 0) |
                       (i + 2 < n ? uint32_t{data[i + 2]} : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    if (i + 1 < n) out += kAlphabet[(v >> 6) & 63];
    if (i + 2 < n) out += kAlphabet[v & 63];
  }
  return out;
}

std::string Hash(const google::protobuf::Message& m) {
  const std::string bytes = Deterministic(m);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  return Base64Url(digest, len);
}

// What of a type identifies it: metadata and annotations are for people and
// tools, except an annotation that says it is part of the cache key.
void StripType(core::LiteralType* t) {
  t->clear_metadata();
  if (t->has_annotation() && !t->annotation().annotations().fields().count("cache-key-metadata")) {
    t->clear_annotation();
  }
  t->clear_structure();
  if (t->has_collection_type()) StripType(t->mutable_collection_type());
  if (t->has_map_value_type()) StripType(t->mutable_map_value_type());
  if (t->has_union_type()) {
    for (auto& v : *t->mutable_union_type()->mutable_variants()) StripType(&v);
  }
}

core::VariableMap Stripped(const core::VariableMap& vars) {
  core::VariableMap out = vars;
  for (auto& [name, v] : *out.mutable_variables()) {
    v.clear_description();
    StripType(v.mutable_type());
  }
  return out;
}

// A literal with a hash counts by its hash alone; containers are rebuilt
// from their items.
core::Literal ForKey(const core::Literal& l) {
  core::Literal out;
  if (!l.hash().empty()) {
    out.set_hash(l.hash());
    return out;
  }
  if (l.has_collection()) {
    auto* items = out.mutable_collection()->mutable_literals();
    for (const auto& item : l.collection().literals()) *items->Add() = ForKey(item);
    return out;
  }
  if (l.has_map()) {
    auto* entries = out.mutable_map()->mutable_literals();
    for (const auto& [k, v] : l.map().literals()) (*entries)[k] = ForKey(v);
    return out;
  }
  return l;
}

bool LocalPresent(const std::string& uri) {
  const std::optional<std::string> path = idl::LocalPathOf(uri);
  if (!path) return true;  // remote data: not ours to check
  std::error_code ec;
  return std::filesystem::exists(*path, ec);
}

bool Present(const core::Literal& l) {
  if (l.has_offloaded_metadata() && !LocalPresent(l.offloaded_metadata().uri())) return false;
  if (l.has_collection()) {
    for (const auto& item : l.collection().literals()) {
      if (!Present(item)) return false;
    }
  }
  if (l.has_map()) {
    for (const auto& [k, v] : l.map().literals()) {
      if (!Present(v)) return false;
    }
  }
  if (l.has_scalar()) {
    const auto& s = l.scalar();
    if (s.has_blob() && !LocalPresent(s.blob().uri())) return false;
    if (s.has_structured_dataset() && !LocalPresent(s.structured_dataset().uri())) return false;
    if (s.has_union_() && !Present(s.union_().value())) return false;
  }
  return true;
}

std::string Trimmed(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

}  // namespace

Result<std::string> CacheKeyOf(const core::TaskTemplate& task, const core::LiteralMap& inputs) {
  const std::string version = Trimmed(task.metadata().discovery_version());
  if (version.empty()) {
    return InvalidArgument("task " + task.id().name() +
                           " is cacheable (discoverable) but has no cache version");
  }
  const auto& ignored = task.metadata().cache_ignore_input_vars();
  core::LiteralMap keyed;
  for (const auto& [name, value] : inputs.literals()) {
    if (std::find(ignored.begin(), ignored.end(), name) != ignored.end()) continue;
    (*keyed.mutable_literals())[name] = ForKey(value);
  }
  const std::string dataset = task.id().project() + "/" + task.id().domain() + "/flyte_task-" +
                              task.id().name() + "@" + version + "-" +
                              Hash(Stripped(task.interface().inputs())).substr(0, 8) + "-" +
                              Hash(Stripped(task.interface().outputs())).substr(0, 8);
  return dataset + ":flyte_cached-" + Hash(keyed);
}

bool CachedDataPresent(const core::LiteralMap& outputs) {
  for (const auto& [name, value] : outputs.literals()) {
    if (!Present(value)) return false;
  }
  return true;
}

}  // namespace flytecpp::engine

// ---- The engine's side of the cache (executor.h).

namespace flytecpp::engine::internal {

std::shared_ptr<const core::LiteralMap> Executor::CacheLookup(const std::string& key,
                                                              const core::TaskTemplate& task) {
  // An entry put this turn, or in one whose commit is deferred, is not in
  // the store yet: a node after the one that ran the key hits it too (its
  // success is committed with, or after, the entry).
  std::shared_ptr<const core::LiteralMap> found;
  if (auto pending = cache_pending_.find(key); pending != cache_pending_.end()) {
    found = pending->second;
  } else {
    auto entry = store().GetCacheEntry(key);
    if (!entry.ok() || !entry->has_value() || !(*entry)->outputs) return nullptr;
    found = (*entry)->outputs;
  }
  const core::LiteralMap& outputs = *found;
  // An entry that does not fit, or whose data is gone, is a miss.
  for (const auto& [name, var] : task.interface().outputs().variables()) {
    if (!outputs.literals().count(name)) return nullptr;
  }
  if (!CachedDataPresent(outputs)) return nullptr;
  pending_.cache_hits.push_back(key);
  return found;
}

void Executor::CachePut(Scope* s, const std::string& path, int attempt, const std::string& key,
                        const core::TaskTemplate& task,
                        std::shared_ptr<const core::LiteralMap> outputs) {
  store::CacheEntry e;
  e.key = key;
  e.task = task.id().name();
  e.outputs = std::move(outputs);
  e.created_ns = e.used_ns = Now();
  e.source_execution = s->execution_id;
  e.source_node = path;
  e.source_attempt = attempt;
  cache_pending_[key] = e.outputs;
  pending_.cache_puts.push_back(std::move(e));
}

Result<bool> Executor::ReserveCache(const std::string& key, const std::string& holder) {
  FLYTECPP_ASSIGN_OR_RETURN(std::string who,
                            store().ReserveCache(key, holder, Now(), Now() + lease_ns_));
  return who == holder;
}

void Executor::ReleaseCache(const std::string& key, const std::string& holder) {
  pending_.cache_releases.emplace_back(key, holder);
}

}  // namespace flytecpp::engine::internal
