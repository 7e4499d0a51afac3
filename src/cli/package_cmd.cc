// flytecpp package ls PKG: the entities of a pyflyte package, in order.
#include <iomanip>
#include <iostream>

#include "commands.h"
#include "flytecpp/idl/package.h"
#include "report.h"

namespace flytecpp::cli {

namespace {

int RunPackageLs(const std::string& path) {
  auto pkg = idl::ReadPackage(path);
  if (!pkg.ok()) return Fail(pkg.status(), kExitBadInput);
  size_t i = 0;
  for (const auto& e : pkg->entities) {
    std::cout << std::setw(3) << i++ << "  " << std::left << std::setw(12)
              << idl::EntityKindName(e.kind) << std::right << e.name() << "  (" << e.entry << ")\n";
  }
  for (const auto& b : pkg->bundles) {
    std::cout << "  -  code        " << b.entry << "  (fast-registration source bundle, "
              << b.bytes.size() << " bytes)\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterPackage(CLI::App& app, int* exit_code) {
  auto* pkg = app.add_subcommand("package", "Work with pyflyte packages (.tgz/.tar)");
  pkg->require_subcommand(1);
  auto path = std::make_shared<std::string>();
  auto* ls = pkg->add_subcommand("ls", "List the entities of a package in registration order");
  ls->add_option("PKG", *path, "A package written by pyflyte package")->required();
  ls->callback([path, exit_code] { *exit_code = RunPackageLs(*path); });
}

}  // namespace flytecpp::cli
