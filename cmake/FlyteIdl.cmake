# Generates C++ for the official flyteidl protos at build time.
#
# The protos come from the npm package @flyteorg/flyteidl pinned in
# package-lock.json (installed by scripts/setup.sh into node_modules/). The six
# service protos need google/api annotation protos Debian lacks, so they are
# left out; the service surface flytecpp serves is defined separately.
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
