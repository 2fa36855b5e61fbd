# One static library per room of cmake/ExacheckRooms.cmake, linking exactly the rooms it may include, so that
# a call into a room it may not use fails to link; cmake/ExacheckCheckRooms.cmake fails the build earlier, at
# the include. Every room compiles with exacheck_settings (include folders, dependencies, definitions).
include(${CMAKE_CURRENT_LIST_DIR}/ExacheckRooms.cmake)

# The library of a room: exacheck_harness_core for harness/core.
function(exacheck_room_target folder out)
  string(MAKE_C_IDENTIFIER "${folder}" id)
  set(${out} exacheck_${id} PARENT_SCOPE)
endfunction()

# Whether a room is built here: kernels/cuda only with CUDA.
function(exacheck_room_built folder out)
  if(folder STREQUAL "kernels/cuda" AND NOT EXACHECK_HAVE_CUDA)
    set(${out} FALSE PARENT_SCOPE)
  else()
    set(${out} TRUE PARENT_SCOPE)
  endif()
endfunction()

# Makes the room's library from the sources directly in its folder (a subfolder is a room of its own).
function(exacheck_add_room folder)
  exacheck_room_target("${folder}" target)
  file(GLOB sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${folder}/*.cpp ${PROJECT_SOURCE_DIR}/${folder}/*.cu)
  if(folder STREQUAL "harness/cli")
    list(REMOVE_ITEM sources ${PROJECT_SOURCE_DIR}/harness/cli/main.cpp)
  endif()
  add_library(${target} STATIC ${sources})
  target_link_libraries(${target} PUBLIC exacheck_settings)
  add_dependencies(${target} exacheck_rooms_check)
  string(MAKE_C_IDENTIFIER "${folder}" id)
  set(allowed "${EXACHECK_ROOM_ALLOWED_${id}}")
  if("*" IN_LIST allowed)
    set(allowed "${EXACHECK_ROOM_FOLDERS}")
    list(REMOVE_ITEM allowed "${folder}")
  endif()
  foreach(other IN LISTS allowed)
    exacheck_room_built("${other}" built)
    if(built)
      exacheck_room_target("${other}" other_target)
      target_link_libraries(${target} PUBLIC ${other_target})
    endif()
  endforeach()
endfunction()

# Checks the one-way rule whenever a source of a room changes, before any room compiles.
function(exacheck_add_rooms_check)
  set(watched "")
  foreach(folder IN LISTS EXACHECK_ROOM_FOLDERS)
    file(GLOB files CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/${folder}/*.hpp ${PROJECT_SOURCE_DIR}/${folder}/*.cpp
         ${PROJECT_SOURCE_DIR}/${folder}/*.cuh ${PROJECT_SOURCE_DIR}/${folder}/*.cu)
    list(APPEND watched ${files})
  endforeach()
  set(stamp ${PROJECT_BINARY_DIR}/rooms-checked.stamp)
  add_custom_command(
    OUTPUT ${stamp}
    COMMAND ${CMAKE_COMMAND} -DROOT=${PROJECT_SOURCE_DIR} -P ${PROJECT_SOURCE_DIR}/cmake/ExacheckCheckRooms.cmake
    COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
    DEPENDS ${watched} ${PROJECT_SOURCE_DIR}/cmake/ExacheckRooms.cmake
            ${PROJECT_SOURCE_DIR}/cmake/ExacheckCheckRooms.cmake
    COMMENT "Checking that every include keeps the rooms' one-way rule (cmake/ExacheckRooms.cmake)"
    VERBATIM)
  add_custom_target(exacheck_rooms_check DEPENDS ${stamp})
endfunction()
