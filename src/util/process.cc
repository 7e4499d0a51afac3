#include "flytecpp/util/process.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>

namespace flytecpp {

uint64_t ProcessStartTime(pid_t pid) {
  // Plain reads: a process that ends meanwhile fails the read with ESRCH,
  // which a std::ifstream turns into an exception.
  const int fd = ::open(("/proc/" + std::to_string(pid) + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  std::string stat(1024, '\0');
  const ssize_t n = ::read(fd, stat.data(), stat.size());
  ::close(fd);
  stat.resize(n > 0 ? static_cast<size_t>(n) : 0);
  const size_t close = stat.rfind(')');  // the command name may hold spaces and parentheses
  if (close == std::string::npos || close + 2 > stat.size()) return 0;
  std::istringstream fields(stat.substr(close + 2));  // from field 3 on
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return std::strtoull(field.c_str(), nullptr, 10);
  }
  return 0;
}

}  // namespace flytecpp
