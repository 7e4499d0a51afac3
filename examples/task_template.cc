// Example (a): a task template with metadata and a container.
//
//   cached (discoverable), 30-minute timeout, 3 retries, interruptible;
//   container python:3.9-slim with command/args and cpu 500m / memory 1Gi.
//
// Usage: example_task_template [OUT.{pb,json,yaml}]   (YAML on stdout without OUT)
#include <chrono>

#include "emit.h"
#include "flytecpp/idl/builders.h"

using namespace flytecpp::idl;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  TaskTemplate task =
      TaskBuilder("examples.train_model")
          .Version("v1")
          .Input("dataset", types::Blob("csv"))
          .Input("epochs", types::Int())
          .Output("model", types::Blob("onnx"))
          .Output("accuracy", types::Float())
          .Discoverable("1.0")
          .Timeout(30min)
          .Retries(3)
          .Interruptible()
          .Container(ContainerBuilder("python:3.9-slim")
                         .Command({"python", "-m", "train"})
                         .Args({"--inputs", "{{.input}}", "--output-prefix", "{{.outputPrefix}}"})
                         .CpuRequest("500m")
                         .MemoryRequest("1Gi"))
          .Build();

  return EmitExample(argc, argv, task);
}
