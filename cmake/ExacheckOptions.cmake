set(EXACHECK_CUDA "AUTO" CACHE STRING "Build the CUDA backend: AUTO (when nvcc is found), ON, OFF")
set_property(CACHE EXACHECK_CUDA PROPERTY STRINGS AUTO ON OFF)
option(EXACHECK_BUILD_TESTS "Build the tests" ON)
option(EXACHECK_BUILD_PERF "Build the Google Benchmark perf programs" ON)
