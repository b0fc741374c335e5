// libFuzzer target for `{{ path }}` templates: the input is a template's source text, parsed
// as the runbook loader parses every templated scalar and rendered against a fixed event.
// Invariants: a refused template says why; a parsed one keeps its source, parses again to the
// same segments (no empty placeholder, no two literals in a row), renders the same twice,
// and with nothing to read renders exactly its literal text (the whole source when it has no
// placeholder).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/runbook/runbook.hpp"
#include "tests/fuzz/fuzz_check.hpp"
#include "tests/fuzz/fuzz_fixtures.hpp"

namespace {

using vigil::runbook::template_string;

bool same_segments(const template_string& a, const template_string& b) {
  if (a.segments().size() != b.segments().size())
    return false;
  for (std::size_t i = 0; i < a.segments().size(); ++i)
    if (a.segments()[i].placeholder != b.segments()[i].placeholder
        || a.segments()[i].text != b.segments()[i].text)
      return false;
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string_view source(reinterpret_cast<const char*>(data), size);
  std::string error;
  const auto t = template_string::parse(source, error);
  if (!t) {
    VIGIL_FUZZ_CHECK(!error.empty(), "a template refused without a reason");
    return 0;
  }
  VIGIL_FUZZ_CHECK(t->source() == source, "the template does not keep its source");

  std::string literal_text;
  bool previous_literal = false;
  for (const auto& s : t->segments()) {
    VIGIL_FUZZ_CHECK(!s.text.empty(), "an empty segment");
    VIGIL_FUZZ_CHECK(s.placeholder || !previous_literal, "two literal segments in a row");
    if (!s.placeholder)
      literal_text += s.text;
    previous_literal = !s.placeholder;
  }

  std::string again_error;
  const auto again = template_string::parse(t->source(), again_error);
  VIGIL_FUZZ_CHECK(again && same_segments(*t, *again), "the source parses to other segments");

  const vigil::runbook::render_context nothing;
  VIGIL_FUZZ_CHECK(t->render(nothing) == literal_text,
                   "with nothing to read, the render is not the literal text");
  if (t->is_literal())
    VIGIL_FUZZ_CHECK(literal_text == source, "a template without placeholders changed its text");

  const auto ctx = vigil::fuzz::fixed_context();
  const auto rendered = t->render(ctx);
  VIGIL_FUZZ_CHECK(rendered == t->render(ctx), "a template rendered two ways");
  VIGIL_FUZZ_CHECK(rendered.size() >= literal_text.size(), "the render lost literal text");
  return 0;
}
