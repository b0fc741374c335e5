# Every dependency comes from a Debian package (scripts/setup.sh); nothing is downloaded.

find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Boost 1.81 REQUIRED CONFIG)
find_package(simdjson REQUIRED CONFIG)
find_package(RocksDB REQUIRED CONFIG)
find_package(prometheus-cpp REQUIRED CONFIG)
find_package(yaml-cpp REQUIRED CONFIG)
find_package(spdlog REQUIRED CONFIG)
find_package(CLI11 REQUIRED CONFIG)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)

# Debian's libcaf-dev ships no CMake package: describe its two libraries ourselves.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
foreach(component core io)
  find_library(CAF_${component}_LIBRARY NAMES caf_${component} REQUIRED)
  add_library(caf_${component} SHARED IMPORTED GLOBAL)
  set_target_properties(caf_${component} PROPERTIES
    IMPORTED_LOCATION "${CAF_${component}_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endforeach()
set_property(TARGET caf_io APPEND PROPERTY INTERFACE_LINK_LIBRARIES caf_core)

# moodycamel::ConcurrentQueue is header-only (libconcurrentqueue-dev).
find_path(CONCURRENTQUEUE_INCLUDE_DIR concurrentqueue/concurrentqueue.h REQUIRED)
add_library(concurrentqueue INTERFACE IMPORTED GLOBAL)
set_target_properties(concurrentqueue PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${CONCURRENTQUEUE_INCLUDE_DIR}")

if(VIGIL_JEMALLOC AND NOT VIGIL_SANITIZE)
  find_library(JEMALLOC_LIBRARY NAMES jemalloc REQUIRED)
  add_library(vigil_allocator INTERFACE)
  target_link_libraries(vigil_allocator INTERFACE ${JEMALLOC_LIBRARY})
else()
  add_library(vigil_allocator INTERFACE)
endif()

if(VIGIL_BUILD_TESTS)
  find_package(GTest REQUIRED CONFIG)
endif()
if(VIGIL_BUILD_BENCH)
  find_package(benchmark REQUIRED CONFIG)
endif()
