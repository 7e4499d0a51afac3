// libFuzzer target over everything that reads outside input: binary/JSON/YAML
// message parsing and type detection, pyflyte package archives, entity
// decoding and literal parsing. Any crash, leak or sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "flytecpp/idl/io.h"
#include "flytecpp/idl/literals.h"
#include "flytecpp/idl/package.h"
#include "flytecpp/idl/types.h"
#include "flyteidl/core/workflow_closure.pb.h"

using namespace flytecpp::idl;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);

  for (Format f : {Format::kBinary, Format::kJson, Format::kYaml}) {
    auto type = DetectMessageType(bytes, f, "fuzz_2.pb");
    if (type.ok()) {
      auto m = NewMessage(*type);
      if (Parse(bytes, f, m.get()).ok()) {
        // Whatever parsed must serialise in every format.
        (void)Serialize(*m, Format::kJson);
        (void)Serialize(*m, Format::kYaml);
      }
    }
  }
  flyteidl::core::WorkflowClosure closure;
  (void)Parse(bytes, Format::kYaml, &closure);

  (void)ReadPackageData(bytes, "fuzz.tgz");
  (void)DecodeEntity("0_fuzz_1.pb", bytes);

  for (const LiteralType& t : {types::Int(), types::Float(), types::Duration(), types::Datetime(),
                               types::List(types::Map(types::Int())), types::Struct(),
                               types::Union({types::Int(), types::None()})}) {
    auto l = ParseLiteral(bytes, t);
    if (l.ok()) (void)ShortString(*l);
  }
  return 0;
}
