// flytecpp convert IN -o OUT: between binary protobuf, JSON and YAML.
#include <iostream>

#include "commands.h"
#include "flytecpp/idl/io.h"
#include "report.h"

namespace flytecpp::cli {

namespace {

struct ConvertOptions {
  std::string input;
  std::string output;
  std::string type;
  std::string from;    // input format
  std::string format;  // output format
};

int RunConvert(const ConvertOptions& o) {
  const google::protobuf::Descriptor* type = nullptr;
  if (!o.type.empty()) {
    auto t = idl::FindMessageType(o.type);
    if (!t.ok()) return Fail(t.status(), kExitBadInput);
    type = *t;
  }
  std::optional<idl::Format> in_format;
  if (!o.from.empty()) {
    auto f = idl::ParseFormatName(o.from);
    if (!f.ok()) return Fail(f.status(), kExitBadInput);
    in_format = *f;
  }
  idl::Format out_format = idl::FormatFromPath(o.output);
  if (!o.format.empty()) {
    auto f = idl::ParseFormatName(o.format);
    if (!f.ok()) return Fail(f.status(), kExitBadInput);
    out_format = *f;
  }
  auto loaded = idl::LoadMessage(o.input, type, in_format);
  if (!loaded.ok()) return Fail(loaded.status(), kExitBadInput);
  if (o.output == "-") {
    auto data = idl::Serialize(*loaded->message, out_format);
    if (!data.ok()) return Fail(data.status(), kExitBadInput);
    std::cout << *data;
    return kExitOk;
  }
  Status st = idl::WriteMessage(o.output, *loaded->message, out_format);
  if (!st.ok()) return Fail(st, kExitBadInput);
  std::cerr << "wrote " << o.output << " (" << loaded->message->GetDescriptor()->name() << ", "
            << idl::FormatName(out_format) << ")\n";
  return kExitOk;
}

}  // namespace

void RegisterConvert(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<ConvertOptions>();
  auto* cmd = app.add_subcommand("convert", "Convert a message between pb, json and yaml");
  cmd->add_option("IN", opts->input, "Input file")->required();
  cmd->add_option("-o,--output", opts->output, "Output file (format by extension), or - for stdout")
      ->required();
  cmd->add_option("--type", opts->type, "Message type when it cannot be detected");
  cmd->add_option("--from", opts->from, "Input format: pb, json or yaml (default: by extension)");
  cmd->add_option("--format", opts->format,
                  "Output format: pb, json or yaml (default: by extension)");
  cmd->callback([opts, exit_code] { *exit_code = RunConvert(*opts); });
}

}  // namespace flytecpp::cli
