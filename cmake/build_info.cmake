# Writes build_info.hpp from lib/version/build_info.hpp.in (run by the mpaas_build_info target).
# configure_file leaves the output alone when its content would not change.
execute_process(
  COMMAND git rev-parse --short=12 HEAD
  WORKING_DIRECTORY ${SOURCE_DIR}
  OUTPUT_VARIABLE MPAAS_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_QUIET)
if(NOT MPAAS_GIT_COMMIT)
  set(MPAAS_GIT_COMMIT "unknown")
endif()
configure_file(${SOURCE_DIR}/lib/version/build_info.hpp.in ${OUTPUT} @ONLY)
