#include "actors/system_config.hpp"

#include <thread>

#include "runtime/model/errc.hpp"

namespace vigil::actors {

system_config::system_config(std::size_t scheduler_threads) {
  // CAF 0.17.6's templated add_error_category does not compile; give the renderer directly.
  add_error_category(caf::atom("vigil"),
                     [](uint8_t code, caf::atom_value, const caf::message& ctx) -> std::string {
                       return describe(caf::error{code, caf::atom("vigil"), ctx});
                     });
  if (scheduler_threads == 0)
    scheduler_threads = std::max(2U, std::thread::hardware_concurrency());
  set("scheduler.max-threads", scheduler_threads);
  // A shared queue with a condition variable: idle workers sleep instead of polling to steal
  // work, which on a small machine would take CPU from the io threads and RocksDB.
  set("scheduler.policy", caf::atom("sharing"));
}

} // namespace vigil::actors
