# Fails at the first include that breaks the one-way rule of cmake/ExacheckRooms.cmake.
#   cmake -DROOT=<source tree> -P cmake/ExacheckCheckRooms.cmake
# Every .hpp/.cpp/.cuh/.cu file under a room's folder belongs to the room with the longest matching folder;
# an include "a/b/c.hpp" reaches the room whose folder is the longest prefix of it. Includes that reach no room
# (system headers, generated ones) are not checked.
cmake_minimum_required(VERSION 3.22)
if(NOT DEFINED ROOT)
  message(FATAL_ERROR "ExacheckCheckRooms: give -DROOT=<source tree>")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/ExacheckRooms.cmake)

set(folders "${EXACHECK_ROOM_FOLDERS}")

# The room of a path: the longest folder that is a prefix of it, or "" when none is.
function(room_of path out)
  set(best "")
  string(LENGTH "${best}" best_length)
  foreach(folder IN LISTS folders)
    string(LENGTH "${folder}/" length)
    string(SUBSTRING "${path}/" 0 ${length} head)
    if(head STREQUAL "${folder}/" AND length GREATER best_length)
      set(best "${folder}")
      set(best_length ${length})
    endif()
  endforeach()
  set(${out} "${best}" PARENT_SCOPE)
endfunction()

set(problems "")
set(checked 0)
foreach(folder IN LISTS folders)
  file(GLOB_RECURSE sources RELATIVE "${ROOT}" "${ROOT}/${folder}/*.hpp" "${ROOT}/${folder}/*.cpp"
       "${ROOT}/${folder}/*.cuh" "${ROOT}/${folder}/*.cu")
  foreach(source IN LISTS sources)
    room_of("${source}" room)
    if(NOT room STREQUAL folder)
      continue()  # a file of a deeper room: checked as that room's
    endif()
    math(EXPR checked "${checked} + 1")
    string(MAKE_C_IDENTIFIER "${room}" id)
    file(STRINGS "${ROOT}/${source}" lines)
    set(line_number 0)
    foreach(line IN LISTS lines)
      math(EXPR line_number "${line_number} + 1")
      if(NOT line MATCHES "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\"")
        continue()
      endif()
      set(included "${CMAKE_MATCH_1}")
      room_of("${included}" reached)
      if(reached STREQUAL "" OR reached STREQUAL room)
        continue()
      endif()
      if("*" IN_LIST EXACHECK_ROOM_ALLOWED_${id} OR reached IN_LIST EXACHECK_ROOM_ALLOWED_${id})
        continue()
      endif()
      set(may "${EXACHECK_ROOM_ALLOWED_${id}}")
      if(may STREQUAL "")
        set(may "only itself")
      endif()
      string(REPLACE ";" ", " may "${may}")
      string(APPEND problems
             "  ${source}:${line_number}: includes ${included} (room ${reached}); room ${room} may include ${may}\n")
    endforeach()
  endforeach()
endforeach()

if(NOT problems STREQUAL "")
  message(FATAL_ERROR "includes that break the one-way rule of cmake/ExacheckRooms.cmake "
                      "(docs/architecture.md):\n${problems}")
endif()
message(STATUS "rooms: ${checked} files keep the one-way rule")
