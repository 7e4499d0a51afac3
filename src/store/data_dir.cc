#include "flytecpp/store/data_dir.h"

#include "flytecpp/idl/io.h"

namespace flytecpp::store {

Status WriteProto(const std::filesystem::path& path, const google::protobuf::Message& message) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) return IoError(path.parent_path().string() + ": cannot create: " + ec.message());
  return idl::WriteMessage(path, message, idl::Format::kBinary);
}

Status ReadProto(const std::filesystem::path& path, google::protobuf::Message* message) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return NotFound(path.string() + ": no such file");
  return idl::ReadMessage(path, message, idl::Format::kBinary);
}

}  // namespace flytecpp::store
