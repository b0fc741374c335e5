// libFuzzer target for trigger matching: the input drives FuzzedDataProvider to build
// runbooks' triggers (types, statuses, exact labels and every `match:` operator, regexes
// compiled as the loader compiles them) and events over a small shared vocabulary, so keys
// and values collide often. Built directly rather than through the YAML loader, which
// runbook_fuzz covers.
// Invariant: the indexed `matcher` finds exactly the runbooks a plain scan finds (enabled,
// some trigger holding by `trigger::matches`), in load order, each once; `find` finds each
// runbook by name.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>
#include <re2/re2.h>

#include "runtime/runbook/matcher.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using namespace vigil;
using runbook::condition;

const char* const keys[] = {"alertname",   "severity", "instance", "service", "value",
                            "metric_name", "source",   "",         "a"};
const char* const values[] = {"HighMemoryUsage",
                              "HighCpu",
                              "critical",
                              "warning",
                              "server-01",
                              "95",
                              "90.5",
                              "-1",
                              "",
                              "1e3",
                              "api"};

std::string pick(FuzzedDataProvider& in, const char* const* pool, std::size_t n) {
  if (in.ConsumeIntegralInRange<int>(0, 7) == 0)
    return in.ConsumeRandomLengthString(16);
  return pool[in.ConsumeIntegralInRange<std::size_t>(0, n - 1)];
}

std::string key(FuzzedDataProvider& in) {
  return pick(in, keys, std::size(keys));
}

std::string value(FuzzedDataProvider& in) {
  return pick(in, values, std::size(values));
}

double number(FuzzedDataProvider& in) {
  if (in.ConsumeBool())
    return in.ConsumeIntegralInRange<int>(-2, 100);
  return in.ConsumeFloatingPointInRange<double>(-1e300, 1e300);
}

std::optional<condition> make_condition(FuzzedDataProvider& in) {
  condition c;
  c.key = key(in);
  c.operation = static_cast<condition::op>(in.ConsumeIntegralInRange<int>(0, 9));
  switch (c.operation) {
    case condition::op::eq:
    case condition::op::ne:
      c.text = value(in);
      break;
    case condition::op::in:
    case condition::op::not_in:
      for (int i = in.ConsumeIntegralInRange<int>(1, 3); i > 0; --i)
        c.values.push_back(value(in));
      break;
    case condition::op::regex: {
      c.text = in.ConsumeBool() ? value(in) + ".*" : in.ConsumeRandomLengthString(24);
      re2::RE2::Options options;
      options.set_log_errors(false);
      auto re = std::make_shared<re2::RE2>(c.text, options);
      if (!re->ok())
        return std::nullopt; // the loader refuses it
      c.regex = std::move(re);
      break;
    }
    case condition::op::exists:
      c.exists = in.ConsumeBool();
      break;
    default:
      c.number = number(in);
  }
  return c;
}

runbook::trigger make_trigger(FuzzedDataProvider& in) {
  runbook::trigger t;
  if (int type = in.ConsumeIntegralInRange<int>(0, 3); type > 0)
    t.type = static_cast<model::event_type>(type - 1);
  t.status = static_cast<runbook::status_filter>(in.ConsumeIntegralInRange<int>(0, 2));
  for (int i = in.ConsumeIntegralInRange<int>(0, 2); i > 0; --i)
    t.labels.emplace_back(key(in), value(in));
  for (int i = in.ConsumeIntegralInRange<int>(0, 3); i > 0; --i)
    if (auto c = make_condition(in))
      t.match.push_back(std::move(*c));
  return t;
}

model::event make_event(FuzzedDataProvider& in) {
  model::event e;
  e.type = static_cast<model::event_type>(in.ConsumeIntegralInRange<int>(0, 2));
  e.status = in.ConsumeBool() ? model::event_status::firing : model::event_status::resolved;
  std::vector<std::pair<std::string, std::string>> labels;
  // Past 24 labels the matcher looks them up in the set itself: reach both ways.
  for (int i = in.ConsumeIntegralInRange<int>(0, in.ConsumeBool() ? 5 : 30); i > 0; --i)
    labels.emplace_back(key(in), value(in));
  e.labels = model::label_set{labels};
  if (in.ConsumeBool())
    e.severity = value(in);
  if (in.ConsumeBool())
    e.source = value(in);
  if (in.ConsumeBool())
    e.metric_name = value(in);
  if (in.ConsumeBool())
    e.value = number(in);
  return e;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  std::vector<runbook::runbook_ptr> books;
  for (int i = in.ConsumeIntegralInRange<int>(1, 4); i > 0; --i) {
    auto rb = std::make_shared<runbook::runbook>();
    rb->name = "rb" + std::to_string(books.size());
    rb->path = rb->name + ".yaml";
    rb->enabled = in.ConsumeIntegralInRange<int>(0, 5) != 0;
    for (int j = in.ConsumeIntegralInRange<int>(0, 3); j > 0; --j)
      rb->triggers.push_back(make_trigger(in));
    books.push_back(std::move(rb));
  }
  const runbook::matcher m{books};
  for (const auto& rb : books)
    VIGIL_FUZZ_CHECK(m.find(rb->name) == rb, "find does not find a runbook by its name");

  std::vector<const runbook::runbook*> found;
  std::vector<const runbook::runbook*> expected;
  for (int i = in.ConsumeIntegralInRange<int>(1, 4); i > 0; --i) {
    const auto e = make_event(in);
    found.clear();
    m.match(e, found);
    expected.clear();
    for (const auto& rb : books) {
      if (!rb->enabled)
        continue;
      for (const auto& t : rb->triggers)
        if (t.matches(e)) {
          expected.push_back(rb.get());
          break;
        }
    }
    VIGIL_FUZZ_CHECK(found == expected, "the matcher and a plain scan disagree");
  }
  return 0;
}
