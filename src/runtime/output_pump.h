// A task's stdout and stderr, carried through pipes into log files that are
// made only when the task first writes to them. Most tasks print nothing,
// and every file is a cost per attempt — on a file system slow at creating
// inodes, the largest one — so a silent attempt leaves no log files.
#pragma once

#include <sys/types.h>

#include <string>

#include "flytecpp/util/status.h"

namespace flytecpp::runtime::internal {

class OutputPump {
 public:
  // Makes the pipes; the files are made on the first byte written to each.
  OutputPump(std::string stdout_path, std::string stderr_path);
  OutputPump(const OutputPump&) = delete;
  OutputPump& operator=(const OutputPump&) = delete;
  ~OutputPump();

  // Whether the pipes could be made (else the error, naming the step).
  const Status& status() const { return status_; }
  // The child's ends, for its stdout and stderr.
  int stdout_fd() const { return out_[1]; }
  int stderr_fd() const { return err_[1]; }

  // Closes the child's ends (once it has them), then copies what arrives
  // into the files until process `pid` has exited and what it wrote before
  // exiting is in them, or it closed both. Does not reap it. Processes the
  // task left behind may hold the pipes open: they are not waited for. On
  // kernels without pidfd_open (before 5.3) an exit is seen only for a child
  // of this process; for another (the sandbox helper's) the copying then ends
  // when the pipes close.
  void CopyUntilExit(pid_t pid);

 private:
  struct Sink {
    std::string path;
    int fd = -1;  // the file, once made
  };
  // Copies what `from` holds now; false once it reached its end.
  bool Drain(int from, Sink& sink);

  Status status_ = Status::Ok();
  int out_[2] = {-1, -1}, err_[2] = {-1, -1};
  Sink out_sink_, err_sink_;
};

}  // namespace flytecpp::runtime::internal
