# Generates C++ for the official flyteidl protos at build time.
#
# The protos come from the npm package @flyteorg/flyteidl pinned in
# package-lock.json (installed by scripts/setup.sh into node_modules/). The
# service protos are generated separately, below (flytecpp_service_proto).
#
# Output: shared library flytecpp_idl_proto (alias flytecpp::idl_proto),
# shared so every message type registers at load time (type detection and
# --type look types up by name); compiled without debug info and with warnings off: it is generated code that
# takes minutes on two cores and is rebuilt only when the protos change.

set(FLYTEIDL_PROTO_ROOT "${PROJECT_SOURCE_DIR}/node_modules/@flyteorg/flyteidl/protos"
    CACHE PATH "Directory holding flyteidl/**/*.proto from @flyteorg/flyteidl")

if(NOT EXISTS "${FLYTEIDL_PROTO_ROOT}/flyteidl/core/literals.proto")
  message(FATAL_ERROR
    "flyteidl protos not found under ${FLYTEIDL_PROTO_ROOT}. "
    "Run scripts/setup.sh (it runs 'npm ci' for the pinned @flyteorg/flyteidl).")
endif()

# Read the version we build against from the package's own package.json.
file(READ "${FLYTEIDL_PROTO_ROOT}/../package.json" _flyteidl_pkg_json)
string(JSON FLYTEIDL_VERSION GET "${_flyteidl_pkg_json}" version)
message(STATUS "flyteidl protos: ${FLYTEIDL_VERSION} from ${FLYTEIDL_PROTO_ROOT}")

set(_flyteidl_groups core admin event datacatalog cacheservice plugins)
set(_protos "")
foreach(group IN LISTS _flyteidl_groups)
  file(GLOB_RECURSE _group_protos RELATIVE "${FLYTEIDL_PROTO_ROOT}"
       CONFIGURE_DEPENDS "${FLYTEIDL_PROTO_ROOT}/flyteidl/${group}/*.proto")
  list(APPEND _protos ${_group_protos})
endforeach()
list(SORT _protos)

set(FLYTEIDL_GEN_DIR "${CMAKE_BINARY_DIR}/gen")
set(_gen_srcs "")
set(_gen_hdrs "")
set(_proto_abs "")
foreach(proto IN LISTS _protos)
  string(REGEX REPLACE "\\.proto$" "" stem "${proto}")
  list(APPEND _gen_srcs "${FLYTEIDL_GEN_DIR}/${stem}.pb.cc")
  list(APPEND _gen_hdrs "${FLYTEIDL_GEN_DIR}/${stem}.pb.h")
  list(APPEND _proto_abs "${FLYTEIDL_PROTO_ROOT}/${proto}")
endforeach()

# One protoc call for all files: far faster than one per file.
add_custom_command(
  OUTPUT ${_gen_srcs} ${_gen_hdrs}
  COMMAND ${CMAKE_COMMAND} -E make_directory "${FLYTEIDL_GEN_DIR}"
  COMMAND protobuf::protoc -I "${FLYTEIDL_PROTO_ROOT}" --cpp_out "${FLYTEIDL_GEN_DIR}" ${_protos}
  DEPENDS ${_proto_abs} protobuf::protoc
  WORKING_DIRECTORY "${FLYTEIDL_PROTO_ROOT}"
  COMMENT "protoc: generating C++ for the flyteidl protos"
  VERBATIM)

add_library(flytecpp_idl_proto SHARED ${_gen_srcs} ${_gen_hdrs})
add_library(flytecpp::idl_proto ALIAS flytecpp_idl_proto)
target_include_directories(flytecpp_idl_proto SYSTEM PUBLIC "${FLYTEIDL_GEN_DIR}")
target_link_libraries(flytecpp_idl_proto PUBLIC protobuf::libprotobuf)
target_compile_options(flytecpp_idl_proto PRIVATE -w -g0)
set_target_properties(flytecpp_idl_proto PROPERTIES POSITION_INDEPENDENT_CODE ON)
target_compile_definitions(flytecpp_idl_proto PUBLIC
  FLYTECPP_FLYTEIDL_VERSION="${FLYTEIDL_VERSION}")

# ---- The service definitions: flyteidl.service.AdminService, SignalService,
#      DataProxyService and AuthMetadataService ----
#
# Generated from the pinned package's own service/*.proto, so method names,
# HTTP paths and messages are exactly Flyte's. They import google/api's HTTP
# annotations (from the pinned npm package google-proto-files; only the two
# files, so protoc never sees a second copy of google/protobuf/*) and
# protoc-gen-openapiv2's option types, of which flyteidl sets only
# documentation: a minimal stub, written here at configure time, declares
# just those. The google.api.http rules stay in the descriptors, where the
# HTTP gateway reads its routes.
find_package(gRPC CONFIG REQUIRED)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
set(GOOGLE_API_PROTO_ROOT "${PROJECT_SOURCE_DIR}/node_modules/google-proto-files"
    CACHE PATH "Directory holding google/api/*.proto from google-proto-files")
set(_service_include "${CMAKE_BINARY_DIR}/service-protos")
foreach(f annotations.proto http.proto)
  if(NOT EXISTS "${GOOGLE_API_PROTO_ROOT}/google/api/${f}")
    message(FATAL_ERROR "google/api/${f} not found under ${GOOGLE_API_PROTO_ROOT}: run scripts/setup.sh")
  endif()
  configure_file("${GOOGLE_API_PROTO_ROOT}/google/api/${f}" "${_service_include}/google/api/${f}"
                 COPYONLY)
endforeach()
file(WRITE "${_service_include}/protoc-gen-openapiv2/options/annotations.proto" [=[
// Written by flytecpp's build: the option types flyteidl's service protos set
// (OpenAPI documentation, which flytecpp does not use), nothing more.
syntax = "proto3";
package grpc.gateway.protoc_gen_openapiv2.options;
import "google/protobuf/descriptor.proto";
message Response {
  string description = 1;
}
message Operation {
  repeated string tags = 1;
  string summary = 2;
  string description = 3;
  string operation_id = 7;
  map<string, Response> responses = 9;
}
extend google.protobuf.MethodOptions {
  Operation openapiv2_operation = 1042;
}
]=])

set(_service_protos flyteidl/service/admin.proto flyteidl/service/signal.proto
    flyteidl/service/dataproxy.proto flyteidl/service/auth.proto)
set(_support_protos google/api/annotations.proto google/api/http.proto
    protoc-gen-openapiv2/options/annotations.proto)
set(_service_srcs "")
foreach(proto IN LISTS _service_protos)
  string(REGEX REPLACE "\\.proto$" "" stem "${proto}")
  list(APPEND _service_srcs "${FLYTEIDL_GEN_DIR}/${stem}.pb.cc" "${FLYTEIDL_GEN_DIR}/${stem}.grpc.pb.cc")
endforeach()
foreach(proto IN LISTS _support_protos)
  string(REGEX REPLACE "\\.proto$" "" stem "${proto}")
  list(APPEND _service_srcs "${FLYTEIDL_GEN_DIR}/${stem}.pb.cc")
endforeach()
add_custom_command(
  OUTPUT ${_service_srcs}
  COMMAND ${CMAKE_COMMAND} -E make_directory "${FLYTEIDL_GEN_DIR}"
  COMMAND protobuf::protoc -I "${FLYTEIDL_PROTO_ROOT}" -I "${_service_include}"
          --cpp_out "${FLYTEIDL_GEN_DIR}" ${_support_protos}
  COMMAND protobuf::protoc -I "${FLYTEIDL_PROTO_ROOT}" -I "${_service_include}"
          --cpp_out "${FLYTEIDL_GEN_DIR}" --grpc_out "${FLYTEIDL_GEN_DIR}"
          "--plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN}" ${_service_protos}
  DEPENDS "${FLYTEIDL_PROTO_ROOT}/flyteidl/service/admin.proto"
          "${FLYTEIDL_PROTO_ROOT}/flyteidl/service/signal.proto"
          "${FLYTEIDL_PROTO_ROOT}/flyteidl/service/dataproxy.proto"
          "${FLYTEIDL_PROTO_ROOT}/flyteidl/service/auth.proto" protobuf::protoc
  WORKING_DIRECTORY "${FLYTEIDL_PROTO_ROOT}"
  COMMENT "protoc: generating C++ and gRPC for the flyteidl services"
  VERBATIM)
add_library(flytecpp_service_proto SHARED ${_service_srcs})
add_library(flytecpp::service_proto ALIAS flytecpp_service_proto)
target_link_libraries(flytecpp_service_proto PUBLIC flytecpp::idl_proto gRPC::grpc++)
target_compile_options(flytecpp_service_proto PRIVATE -w -g0)
set_target_properties(flytecpp_service_proto PROPERTIES POSITION_INDEPENDENT_CODE ON)
