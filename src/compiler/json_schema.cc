#include <google/protobuf/util/message_differencer.h>

#include <set>
#include <string>

#include "typing.h"

namespace flytecpp::compiler::internal {

using google::protobuf::Struct;
using google::protobuf::Value;
using google::protobuf::util::MessageDifferencer;

namespace {

const Value* Field(const Struct& s, const std::string& name) {
  auto it = s.fields().find(name);
  return it == s.fields().end() ? nullptr : &it->second;
}

std::set<std::string> StringList(const Value* v) {
  std::set<std::string> out;
  if (v == nullptr || !v->has_list_value()) return out;
  for (const auto& e : v->list_value().values()) {
    if (e.has_string_value()) out.insert(e.string_value());
  }
  return out;
}

bool Subtype(const Struct& up, const Struct& down, int depth) {
  if (MessageDifferencer::Equals(up, down)) return true;
  if (depth > 32) return false;
  const Value* ut = Field(up, "type");
  const Value* dt = Field(down, "type");
  if ((ut == nullptr) != (dt == nullptr)) return false;
  if (ut != nullptr && !MessageDifferencer::Equals(*ut, *dt)) return false;
  // Every required property downstream must be required upstream.
  std::set<std::string> up_required = StringList(Field(up, "required"));
  for (const auto& r : StringList(Field(down, "required"))) {
    if (!up_required.count(r)) return false;
  }
  // Arrays: element schemas must be subtypes too.
  if (const Value* di = Field(down, "items"); di != nullptr && di->has_struct_value()) {
    const Value* ui = Field(up, "items");
    if (ui == nullptr || !ui->has_struct_value() ||
        !Subtype(ui->struct_value(), di->struct_value(), depth + 1)) {
      return false;
    }
  }
  const Value* dp = Field(down, "properties");
  const Value* upp = Field(up, "properties");
  if (dp == nullptr) return true;
  if (upp == nullptr || !upp->has_struct_value() || !dp->has_struct_value()) return false;
  for (const auto& [name, dschema] : dp->struct_value().fields()) {
    auto it = upp->struct_value().fields().find(name);
    if (it == upp->struct_value().fields().end()) return false;
    if (!it->second.has_struct_value() || !dschema.has_struct_value()) {
      if (!MessageDifferencer::Equals(it->second, dschema)) return false;
      continue;
    }
    if (!Subtype(it->second.struct_value(), dschema.struct_value(), depth + 1)) return false;
  }
  // Definitions referenced by $ref must agree where both declare them.
  for (const char* defs : {"definitions", "$defs"}) {
    const Value* ud = Field(up, defs);
    const Value* dd = Field(down, defs);
    if (dd == nullptr || !dd->has_struct_value()) continue;
    if (ud == nullptr || !ud->has_struct_value()) return false;
    for (const auto& [name, dschema] : dd->struct_value().fields()) {
      auto it = ud->struct_value().fields().find(name);
      if (it == ud->struct_value().fields().end()) return false;
      if (!it->second.has_struct_value() || !dschema.has_struct_value() ||
          !Subtype(it->second.struct_value(), dschema.struct_value(), depth + 1)) {
        return false;
      }
    }
  }
  return true;
}

}  // namespace

bool IsJsonSchemaSubtype(const Struct& upstream, const Struct& downstream) {
  return Subtype(upstream, downstream, 0);
}

}  // namespace flytecpp::compiler::internal
