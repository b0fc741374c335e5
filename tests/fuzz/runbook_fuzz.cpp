// libFuzzer target for the runbook loader: the input is a runbook's YAML text, as
// `vigil validate` and the repository read it. Nothing is guarded here: an input that crashes
// the loader is a finding (docs/fuzzing.md).
// Invariants: a refused runbook has diagnostics, each naming the origin with a message, in
// position order; a loaded one records its text, path and digest, has distinct step names,
// and renders every template and evaluates every trigger the same way twice.

#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>

#include "runtime/runbook/runbook.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/fuzz_fixtures.hpp"

namespace {

using namespace vigil;

void check_template(const runbook::template_string& t) {
  const auto ctx = fuzz::fixed_context();
  VIGIL_FUZZ_CHECK(t.render(ctx) == t.render(ctx), "a template rendered two ways");
}

void check_action(const runbook::action& a) {
  for (const auto& arg : a.command)
    check_template(arg);
  for (const auto& [name, value] : a.env)
    check_template(value);
  check_template(a.message);
}

void check_loaded(const runbook::runbook& rb, const std::string& text) {
  VIGIL_FUZZ_CHECK(rb.source == text, "the runbook does not record its text");
  VIGIL_FUZZ_CHECK(rb.path == "fuzz.yaml", "the runbook does not record its path");
  VIGIL_FUZZ_CHECK(rb.sha256 == runbook::sha256_hex(text), "the digest is not the text's");
  for (std::size_t i = 0; i < rb.steps.size(); ++i) {
    VIGIL_FUZZ_CHECK(rb.step_index(rb.steps[i].name) == static_cast<int>(i),
                     "two steps share a name");
    check_action(rb.steps[i].action);
    if (rb.steps[i].rollback)
      check_action(*rb.steps[i].rollback);
  }
  if (rb.escalation)
    check_action(*rb.escalation);
  if (rb.concurrency.key)
    check_template(*rb.concurrency.key);
  const auto& e = fuzz::fixed_event();
  for (const auto& t : rb.triggers)
    VIGIL_FUZZ_CHECK(t.matches(e) == t.matches(e), "a trigger evaluated two ways");
}

void check_refused(const model::diagnostics& errors) {
  VIGIL_FUZZ_CHECK(!errors.empty(), "refused without a diagnostic");
  for (std::size_t i = 0; i < errors.size(); ++i) {
    const auto& d = errors[i];
    VIGIL_FUZZ_CHECK(d.file == "<fuzz>", "a diagnostic does not name the origin");
    VIGIL_FUZZ_CHECK(!d.message.empty(), "a diagnostic without a message");
    VIGIL_FUZZ_CHECK(d.line >= 0 && d.column >= 0, "a negative position");
    if (i > 0)
      VIGIL_FUZZ_CHECK(std::tie(errors[i - 1].line, errors[i - 1].column)
                         <= std::tie(d.line, d.column),
                       "diagnostics out of position order");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  static const runbook::integration_names integrations{std::string{runbook::any_integration}};
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto loaded = runbook::load_runbook_text(text, "<fuzz>", "fuzz.yaml", integrations);
  if (loaded.ok())
    check_loaded(loaded.value(), text);
  else
    check_refused(loaded.errors());
  return 0;
}
