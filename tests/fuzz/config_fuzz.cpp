// libFuzzer target for the config loader: the input is a `vigil.yaml` text, with `${VAR}`
// looked up in a fixed table (never the process environment). The same text is also read as
// one integration's settings, as `PUT /api/integrations/NAME` reads a body.
// Invariants: a refused text has diagnostics, each naming the origin with a message and a
// position that is not negative.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "runtime/model/config.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace vigil;

std::optional<std::string> fixed_env(const std::string& name) {
  if (name == "VIGIL_TOKEN")
    return "s3cret-token-value";
  if (name == "EMPTY")
    return std::string{};
  if (name == "PORT")
    return "9000";
  return std::nullopt;
}

void check_refused(const model::diagnostics& errors, const std::string& origin) {
  VIGIL_FUZZ_CHECK(!errors.empty(), "refused without a diagnostic");
  for (const auto& d : errors) {
    VIGIL_FUZZ_CHECK(d.file == origin, "a diagnostic does not name the origin");
    VIGIL_FUZZ_CHECK(!d.message.empty(), "a diagnostic without a message");
    VIGIL_FUZZ_CHECK(d.line >= 0 && d.column >= 0, "a negative position");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = model::load_config_text(text, "<fuzz>", &fixed_env);
  if (!config.ok())
    check_refused(config.errors(), "<fuzz>");
  auto integration = model::load_integration_text(text, "fuzzed", "<body>");
  if (!integration.ok())
    check_refused(integration.errors(), "<body>");
  return 0;
}
