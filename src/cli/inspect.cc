// flytecpp inspect FILE: what a file holds, briefly.
#include <iostream>

#include "commands.h"
#include "describe.h"
#include "flytecpp/idl/io.h"
#include "flytecpp/idl/package.h"
#include "report.h"

namespace flytecpp::cli {

namespace {

struct InspectOptions {
  std::string file;
  std::string type;
  std::string format;
};

int RunInspect(const InspectOptions& o) {
  if (idl::IsPackagePath(o.file)) {
    auto pkg = idl::ReadPackage(o.file);
    if (!pkg.ok()) return Fail(pkg.status(), kExitBadInput);
    std::cout << "package: " << o.file << " (" << pkg->entities.size() << " entities)\n";
    for (const auto& e : pkg->entities) {
      std::cout << "\n# " << e.entry << "\n";
      DescribePackageEntity(e, std::cout);
    }
    return kExitOk;
  }
  const google::protobuf::Descriptor* type = nullptr;
  if (!o.type.empty()) {
    auto t = idl::FindMessageType(o.type);
    if (!t.ok()) return Fail(t.status(), kExitBadInput);
    type = *t;
  }
  std::optional<idl::Format> format;
  if (!o.format.empty()) {
    auto f = idl::ParseFormatName(o.format);
    if (!f.ok()) return Fail(f.status(), kExitBadInput);
    format = *f;
  }
  auto loaded = idl::LoadMessage(o.file, type, format);
  if (!loaded.ok()) return Fail(loaded.status(), kExitBadInput);
  std::cout << "file: " << o.file << " (" << idl::FormatName(loaded->format) << ")\n";
  Describe(*loaded->message, std::cout);
  return kExitOk;
}

}  // namespace

void RegisterInspect(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand("inspect", "Show what a flyteidl file or package holds");
  cmd->add_option("FILE", opts->file, "A .pb/.json/.yaml message or a .tgz/.tar package")
      ->required();
  cmd->add_option("--type", opts->type,
                  "Message type when it cannot be detected (e.g. TaskSpec, LiteralMap)");
  cmd->add_option("--format", opts->format,
                  "Input format: pb, json or yaml (default: by extension)");
  cmd->callback([opts, exit_code] { *exit_code = RunInspect(*opts); });
}

}  // namespace flytecpp::cli
