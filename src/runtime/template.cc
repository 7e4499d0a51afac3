#include "template.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <charconv>
#include <regex>

#include "flytecpp/idl/literals.h"

namespace flytecpp::runtime::internal {

using google::protobuf::util::TimeUtil;

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string ShortestDouble(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

const std::regex& TemplateVariable() {
  static const std::regex kVar(R"(\{\{\s*[\.\$]([A-Za-z_][A-Za-z0-9_]*)(\.([^}\s]+))?\s*\}\})");
  return kVar;
}

}  // namespace

Result<std::string> RenderValue(const flyteidl::core::Literal& value) {
  const auto& l = idl::Unwrapped(value);
  switch (idl::KindOf(l)) {
    case idl::LiteralKind::kInteger: return std::to_string(l.scalar().primitive().integer());
    case idl::LiteralKind::kFloat: return ShortestDouble(l.scalar().primitive().float_value());
    case idl::LiteralKind::kString: return l.scalar().primitive().string_value();
    case idl::LiteralKind::kBoolean:
      return std::string(l.scalar().primitive().boolean() ? "true" : "false");
    case idl::LiteralKind::kDatetime: return TimeUtil::ToString(l.scalar().primitive().datetime());
    case idl::LiteralKind::kDuration: return TimeUtil::ToString(l.scalar().primitive().duration());
    case idl::LiteralKind::kBlob: return l.scalar().blob().uri();
    case idl::LiteralKind::kSchema: return l.scalar().schema().uri();
    case idl::LiteralKind::kStructuredDataset: return l.scalar().structured_dataset().uri();
    case idl::LiteralKind::kCollection: {
      std::string out = "[";
      for (int i = 0; i < l.collection().literals_size(); ++i) {
        FLYTECPP_ASSIGN_OR_RETURN(std::string e, RenderValue(l.collection().literals(i)));
        out += (i ? "," : "") + e;
      }
      return out + "]";
    }
    default:
      return InvalidArgument("a " + std::string(idl::LiteralKindName(idl::KindOf(l))) +
                             " value cannot be rendered into a command line");
  }
}

bool NamesInputFile(const std::string& text) {
  if (text.find("{{") == std::string::npos) return false;  // the common case, without a regex
  const auto end = std::sregex_iterator();
  for (auto it = std::sregex_iterator(text.begin(), text.end(), TemplateVariable()); it != end;
       ++it) {
    const std::string name = Lower((*it)[1].str());
    if (!(*it)[3].matched && (name == "input" || name == "inputprefix")) return true;
  }
  return false;
}

Result<std::string> RenderTemplate(const std::string& text, const TemplateVars& vars) {
  const std::regex& kVar = TemplateVariable();
  std::string out;
  auto begin = std::sregex_iterator(text.begin(), text.end(), kVar);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    out.append(text, last, static_cast<size_t>(m.position(0)) - last);
    last = static_cast<size_t>(m.position(0) + m.length(0));
    const std::string name = Lower(m[1].str());
    if (m[3].matched) {
      if (name != "inputs") {
        return InvalidArgument("unknown template variable " + m[0].str());
      }
      const std::string input = m[3].str();
      if (vars.inputs == nullptr || !vars.inputs->literals().count(input)) {
        return InvalidArgument("template variable " + m[0].str() + ": no input named " + input);
      }
      auto v = RenderValue(vars.inputs->literals().at(input));
      if (!v.ok()) return v.status().WithContext("template variable " + m[0].str());
      out += *v;
      continue;
    }
    if (name == "input")
      out += vars.input;
    else if (name == "inputprefix")
      out += vars.input_prefix;
    else if (name == "outputprefix")
      out += vars.output_prefix;
    else if (name == "rawoutputdataprefix")
      out += vars.raw_output_prefix;
    else if (name == "checkpointoutputprefix")
      out += vars.checkpoint_output_prefix;
    else if (name == "prevcheckpointprefix")
      out += vars.prev_checkpoint_prefix.empty() ? "\"\"" : vars.prev_checkpoint_prefix;
    else if (name == "perretryuniquekey")
      out += vars.per_retry_unique_key;
    else if (name == "tasktemplatepath")
      out += vars.task_template_path;
    else if (name == "namespace")
      out += vars.namespace_;
    else
      return InvalidArgument("unknown template variable " + m[0].str());
  }
  out.append(text, last, std::string::npos);
  return out;
}

}  // namespace flytecpp::runtime::internal
