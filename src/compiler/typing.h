// Internal pieces of type checking.
#pragma once

#include <google/protobuf/struct.pb.h>

#include "flyteidl/core/types.pb.h"

namespace flytecpp::compiler::internal {

// STRUCT types carry JSON schemas (dataclasses) in `metadata`. `upstream`
// casts to `downstream` when the schemas are equal as JSON, or when upstream
// is a subtype: an object schema with every property downstream declares
// (each of a castable schema, recursively), at least its required ones, and
// the same `type`. The reference uses a JSON-schema comparison library; this
// covers what dataclass schemas express (see docs/compatibility.md).
bool IsJsonSchemaSubtype(const google::protobuf::Struct& upstream,
                         const google::protobuf::Struct& downstream);

// Optional: a union with a none variant (a bare none is not optional). An
// optional input may be left unbound.
bool IsOptional(const flyteidl::core::LiteralType& type);

}  // namespace flytecpp::compiler::internal
