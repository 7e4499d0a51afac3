// The messages both interop directions agree on: a container, a k8s-pod and a
// SQL TaskTemplate (the target is a oneof), and a WorkflowClosure with nodes
// of all five kinds. js_write.js builds the same messages with the official
// JS bindings; js_check.js checks C++'s output field by field.
#pragma once

#include "flyteidl/core/tasks.pb.h"
#include "flyteidl/core/workflow_closure.pb.h"

namespace flytecpp::interop {

flyteidl::core::TaskTemplate ContainerTask();
flyteidl::core::TaskTemplate PodTask();
flyteidl::core::TaskTemplate SqlTask();
flyteidl::core::WorkflowClosure AllNodesClosure();

}  // namespace flytecpp::interop
