#include "runtime/app/version.hpp"

#include <boost/version.hpp>
#include <caf/config.hpp>
#include <rocksdb/version.h>
#include <simdjson.h>

#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.0.0"
#endif

namespace vigil::app {

const char* vigil_version() noexcept {
  return VIGIL_VERSION;
}

std::string version_report() {
  std::string out = "vigil ";
  out += VIGIL_VERSION;
  out += "\n  CAF      " + std::to_string(CAF_MAJOR_VERSION) + "."
         + std::to_string(CAF_MINOR_VERSION) + "." + std::to_string(CAF_PATCH_VERSION);
  out += "\n  simdjson " SIMDJSON_STRINGIFY(SIMDJSON_VERSION);
  out += "\n  RocksDB  " + std::to_string(ROCKSDB_MAJOR) + "." + std::to_string(ROCKSDB_MINOR) + "."
         + std::to_string(ROCKSDB_PATCH);
  out += "\n  Boost    " + std::to_string(BOOST_VERSION / 100000) + "."
         + std::to_string(BOOST_VERSION / 100 % 1000) + "." + std::to_string(BOOST_VERSION % 100);
  out += "\n";
  return out;
}

} // namespace vigil::app
