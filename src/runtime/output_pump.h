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

  // Closes the child's ends, once it has them: the pipes then end when the
  // task (and whatever it left behind holding them) is gone.
  void CloseChildEnds();

  // Our ends, non-blocking, to watch for what arrives (-1 once at their end).
  int stdout_read_fd() const { return out_[0]; }
  int stderr_read_fd() const { return err_[0]; }
  // Copies what the pipe holds now into its file; false once it reached its
  // end (its descriptor is then closed).
  bool DrainStdout() { return Drain(out_[0], out_sink_); }
  bool DrainStderr() { return Drain(err_[0], err_sink_); }

 private:
  struct Sink {
    std::string path;
    int fd = -1;  // the file, once made
  };
  // Copies what `from` holds now; false (and `from` closed) once it reached
  // its end.
  bool Drain(int& from, Sink& sink);

  Status status_ = Status::Ok();
  int out_[2] = {-1, -1}, err_[2] = {-1, -1};
  Sink out_sink_, err_sink_;
};

}  // namespace flytecpp::runtime::internal
