// LiteralType helpers: builders, a canonical type string, default literals
// and parsing a literal from command-line text given its declared type.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flytecpp/util/status.h"
#include "flyteidl/core/literals.pb.h"
#include "flyteidl/core/types.pb.h"

namespace flytecpp::idl {

using flyteidl::core::Literal;
using flyteidl::core::LiteralType;

// Builders: `types::List(types::Float())`, `types::Map(types::Blob("csv"))`.
namespace types {
LiteralType Simple(flyteidl::core::SimpleType simple);
LiteralType Int();
LiteralType Float();
LiteralType String();
LiteralType Bool();
LiteralType Datetime();
LiteralType Duration();
LiteralType None();
LiteralType Struct();
LiteralType Binary();
LiteralType Error();
LiteralType Blob(
    std::string format = "",
    flyteidl::core::BlobType::BlobDimensionality dimensionality = flyteidl::core::BlobType::SINGLE);
LiteralType MultipartBlob(std::string format = "");
LiteralType List(LiteralType element);
LiteralType Map(LiteralType value);
LiteralType Enum(std::vector<std::string> values);
LiteralType Union(std::vector<LiteralType> variants);
LiteralType Schema(
    std::vector<std::pair<std::string, flyteidl::core::SchemaType::SchemaColumn::SchemaColumnType>>
        columns = {});
LiteralType StructuredDataset(std::string format = "",
                              std::vector<std::pair<std::string, LiteralType>> columns = {});
}  // namespace types

// Canonical, human-readable type string, e.g. `int`, `list<float>`,
// `map<str, blob:csv>`, `union<int, none>`, `enum<red, green>`,
// `schema<a: int>`, `structured_dataset:parquet`, `multipart_blob`.
// Annotations, metadata and structure tags are not part of the string.
std::string TypeString(const LiteralType& type);

// The zero value of a type: 0, 0.0, "", false, the epoch, 0s, none, an empty
// list/map/struct, a blob with an empty uri, the first enum value, the
// default of the first union variant (none when a variant is none).
Result<Literal> DefaultLiteral(const LiteralType& type);

// Parses command-line text as a literal of `type`:
//   int `3`; float `2.5`; bool `true|false|1|0|yes|no`; str verbatim;
//   datetime RFC 3339 `2024-01-01T00:00:00Z` or a date `2024-01-01`;
//   duration `90s`, `1h30m`, `250ms`, `1.5s`, `2d`; none `none|null|`(empty);
//   list/map/struct as JSON; blob/schema/structured dataset a path or URI
//   (local paths must exist and are made absolute); enum one of its values;
//   union the first variant the text parses as (`none` picks a none variant).
// Errors name the text and the expected type.
Result<Literal> ParseLiteral(std::string_view text, const LiteralType& type);

}  // namespace flytecpp::idl
