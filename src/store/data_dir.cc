#include "flytecpp/store/data_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "flytecpp/idl/io.h"
#include "flytecpp/store/store.h"

namespace flytecpp::store {

namespace {

// mkdir -p with one syscall per missing level (no stat first).
Status MakeDirs(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) return Status::Ok();
  size_t slash = dir.find_last_of('/');
  if (errno != ENOENT || slash == std::string::npos || slash == 0) {
    return IoError(dir + ": cannot create: " + std::strerror(errno));
  }
  FLYTECPP_RETURN_IF_ERROR(MakeDirs(dir.substr(0, slash)));
  if (::mkdir(dir.c_str(), 0755) == 0 || errno == EEXIST) return Status::Ok();
  return IoError(dir + ": cannot create: " + std::strerror(errno));
}

std::string Parent(const std::string& path) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

}  // namespace

// Written in place, not through a temporary and rename: the engine records a
// node's success only after this returns, and a file left half-written by a
// crash belongs to an attempt that is not recorded, so it is written again.
Status WriteProto(const std::string& path, const google::protobuf::Message& message) {
  FLYTECPP_RETURN_IF_ERROR(MakeDirs(Parent(path)));
  std::string data;
  if (!message.SerializeToString(&data)) return Internal(path + ": cannot serialize");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError(path + ": cannot write: " + std::strerror(errno));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      return IoError(path + ": write failed: " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) return IoError(path + ": write failed: " + std::strerror(errno));
  return Status::Ok();
}

Status WriteProtoAtomically(const std::string& path, const google::protobuf::Message& message) {
  const std::string tmp = path + ".tmp";
  FLYTECPP_RETURN_IF_ERROR(WriteProto(tmp, message));
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return IoError(path + ": cannot write: " + std::strerror(errno));
  }
  return Status::Ok();
}

Status ReadProto(const std::string& path, google::protobuf::Message* message) {
  if (::access(path.c_str(), F_OK) != 0) return NotFound(path + ": no such file");
  return idl::ReadMessage(path, message, idl::Format::kBinary);
}

Status ReadData(Store& store, const DataDir& data, const std::string& key,
                google::protobuf::Message* message) {
  FLYTECPP_ASSIGN_OR_RETURN(std::optional<std::string> row,
                            store.GetData(data.execution_id(), key));
  if (!row) return ReadProto(data.Path(key), message);
  if (!message->ParseFromString(*row)) {
    return IoError(data.execution_id() + "/" + key + ": unreadable data in the store");
  }
  return Status::Ok();
}

}  // namespace flytecpp::store
