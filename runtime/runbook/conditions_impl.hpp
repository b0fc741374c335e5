#pragma once

// Private to the runbook library: trigger evaluation, generic over how labels are looked up
// (`model::label_set::find` for the public API, a flattened `label_view` in the matcher).

#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <string_view>

#include <re2/re2.h>

#include "runtime/runbook/loader_internal.hpp"
#include "runtime/runbook/runbook.hpp"

namespace vigil::runbook::detail {

/// An event's labels split into pairs once, so the several lookups one match makes do not
/// each walk the label buffer again. Borrows the label set; lives on the stack of one match.
class label_view {
public:
  explicit label_view(const model::label_set& labels) noexcept : labels_(labels) {
    if (labels.size() > capacity)
      return; // rare: look up in the set itself
    for (auto it = labels.begin(); it != labels.end(); ++it, ++size_) {
      const auto [key, value] = *it;
      pairs_[size_] = pair{key.data(), value.data(), key.size(), value.size()};
    }
  }

  /// The value of `key`, as `label_set::find` gives it.
  [[nodiscard]] std::optional<std::string_view> find(std::string_view key) const noexcept {
    if (size_ == 0 && !labels_.empty())
      return labels_.find(key);
    if (key.empty())
      return find_empty();
    // Label names are short and mostly differ in length or first letter: test those before
    // calling memcmp.
    for (std::size_t i = 0; i < size_; ++i) {
      const auto& p = pairs_[i];
      if (p.key_size == key.size() && p.key[0] == key[0]
          && std::memcmp(p.key + 1, key.data() + 1, key.size() - 1) == 0)
        return std::string_view{p.value, p.value_size};
    }
    return std::nullopt;
  }

private:
  static constexpr std::size_t capacity = 24;

  [[nodiscard]] std::optional<std::string_view> find_empty() const noexcept {
    for (std::size_t i = 0; i < size_; ++i)
      if (pairs_[i].key_size == 0)
        return std::string_view{pairs_[i].value, pairs_[i].value_size};
    return std::nullopt;
  }

  /// Left uninitialised past `size_`: filling it would cost more than the lookups save.
  struct pair {
    const char* key;
    const char* value;
    std::size_t key_size;
    std::size_t value_size;
  };

  const model::label_set& labels_;
  pair pairs_[capacity];
  std::size_t size_ = 0;
};

/// The text a condition's key names: the label first, then the event field of that name
/// (`metric_name`, `severity`, `source`, `value`) when the event has one.
template <class Labels>
std::optional<std::string_view> text_of(const model::event& e, const Labels& labels,
                                        std::string_view key, char (&buf)[64]) noexcept {
  if (auto v = labels.find(key))
    return v;
  if (key == "metric_name" && !e.metric_name.empty())
    return std::string_view{e.metric_name};
  if (key == "severity" && !e.severity.empty())
    return std::string_view{e.severity};
  if (key == "source" && !e.source.empty())
    return std::string_view{e.source};
  if (key == "value" && e.value)
    return format_number(*e.value, buf);
  return std::nullopt;
}

/// The number a condition's key names: the metric value for `value`, else the label (or
/// field) parsed as a number.
template <class Labels>
std::optional<double> number_of(const model::event& e, const Labels& labels,
                                std::string_view key) noexcept {
  if (key == "value" && e.value)
    return *e.value;
  char buf[64];
  auto text = text_of(e, labels, key, buf);
  if (!text || text->empty())
    return std::nullopt;
  double v = 0;
  auto r = std::from_chars(text->data(), text->data() + text->size(), v);
  if (r.ec != std::errc{} || r.ptr != text->data() + text->size() || std::isnan(v))
    return std::nullopt;
  return v;
}

inline bool contains(const std::vector<std::string>& values, std::string_view v) noexcept {
  for (const auto& x : values)
    if (x == v)
      return true;
  return false;
}

template <class Labels>
bool holds(const condition& c, const model::event& e, const Labels& labels) {
  using op = condition::op;
  if (c.operation == op::gt || c.operation == op::gte || c.operation == op::lt
      || c.operation == op::lte) {
    auto v = number_of(e, labels, c.key);
    if (!v)
      return false;
    switch (c.operation) {
      case op::gt:
        return *v > c.number;
      case op::gte:
        return *v >= c.number;
      case op::lt:
        return *v < c.number;
      default:
        return *v <= c.number;
    }
  }
  char buf[64];
  const auto v = text_of(e, labels, c.key, buf);
  switch (c.operation) {
    case op::eq:
      return v && *v == c.text;
    case op::ne:
      return !v || *v != c.text;
    case op::in:
      return v && contains(c.values, *v);
    case op::not_in:
      return !v || !contains(c.values, *v);
    case op::regex:
      return v && c.regex != nullptr
             && re2::RE2::FullMatch(re2::StringPiece{v->data(), v->size()}, *c.regex);
    case op::exists:
      return v.has_value() == c.exists;
    default:
      return false;
  }
}

template <class Labels>
bool matches(const trigger& t, const model::event& e, const Labels& labels) {
  if (t.type && *t.type != e.type)
    return false;
  if (t.status != status_filter::any
      && (t.status == status_filter::firing) != (e.status == model::event_status::firing))
    return false;
  for (const auto& [key, value] : t.labels) {
    auto v = labels.find(key);
    if (!v || *v != value)
      return false;
  }
  for (const auto& c : t.match)
    if (!holds(c, e, labels))
      return false;
  return true;
}

} // namespace vigil::runbook::detail
