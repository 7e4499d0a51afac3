// Shared tail of the examples: write the message to argv[1] (format by
// extension) or print it as YAML when no path is given.
#pragma once

#include <iostream>

#include "flytecpp/idl/io.h"

inline int EmitExample(int argc, char** argv, const google::protobuf::Message& message) {
  if (argc < 2) {
    std::cout << flytecpp::idl::ToYaml(message);
    return 0;
  }
  flytecpp::Status st = flytecpp::idl::WriteMessage(argv[1], message);
  if (!st.ok()) {
    std::cerr << argv[0] << ": " << st.ToString() << "\n";
    return 2;
  }
  return 0;
}
