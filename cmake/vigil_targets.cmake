# Shared settings for Vigil's own targets: strict warnings on our code only
# (third-party headers come in as SYSTEM includes through their imported targets).

set(VIGIL_WARNINGS -Wall -Wextra -Werror -Wno-missing-field-initializers)

# vigil_library(NAME ALIAS SOURCES...): one library per folder, alias vigil::NAME.
function(vigil_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  add_library(vigil_${name} STATIC ${ARG_SOURCES})
  add_library(vigil::${name} ALIAS vigil_${name})
  target_compile_options(vigil_${name} PRIVATE ${VIGIL_WARNINGS})
  target_include_directories(vigil_${name} PUBLIC ${PROJECT_SOURCE_DIR})
endfunction()

# vigil_warnings(TARGET): the same warnings for executables and tests.
function(vigil_warnings target)
  target_compile_options(${target} PRIVATE ${VIGIL_WARNINGS})
endfunction()
