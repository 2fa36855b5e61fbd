# The version and git revision are baked into the binary for provenance (run.json).
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
                OUTPUT_VARIABLE EXACHECK_GIT_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
                OUTPUT_VARIABLE EXACHECK_GIT_DIRTY OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT EXACHECK_GIT_REVISION)
  set(EXACHECK_GIT_REVISION "unknown")
elseif(EXACHECK_GIT_DIRTY)
  set(EXACHECK_GIT_REVISION "${EXACHECK_GIT_REVISION}-dirty")
endif()
if(EXACHECK_HAVE_CUDA)
  set(EXACHECK_HAVE_CUDA_BOOL true)
else()
  set(EXACHECK_HAVE_CUDA_BOOL false)
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/version.hpp.in ${CMAKE_CURRENT_BINARY_DIR}/generated/exacheck_version.hpp @ONLY)
