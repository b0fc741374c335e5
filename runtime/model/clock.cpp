#include "runtime/model/clock.hpp"

namespace vigil::model {

namespace {

class system_clock_impl final : public clock {
public:
  [[nodiscard]] timestamp now() const noexcept override {
    return std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  }
};

} // namespace

const clock& clock::system() noexcept {
  static const system_clock_impl instance;
  return instance;
}

} // namespace vigil::model
