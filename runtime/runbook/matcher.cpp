// The trigger index: an event is checked only against the triggers of its type that require
// its alertname, and those that require none.

#include "runtime/runbook/matcher.hpp"

#include <algorithm>
#include <cstdint>

#include "runtime/runbook/conditions_impl.hpp"

namespace vigil::runbook {

namespace {

constexpr model::event_type all_types[] = {model::event_type::alert, model::event_type::metric,
                                           model::event_type::event};

constexpr model::event_status all_statuses[] = {model::event_status::firing,
                                                model::event_status::resolved};

/// Index keys: type, status and, for triggers that require one, the alertname
/// ("alert/f\x1fHighMemoryUsage"). Keys without the separator hold the triggers of that type
/// and status that require no alertname. Status is part of the key so that resolved events
/// (half of what Alertmanager sends) skip every firing-only trigger without looking at it.
constexpr char key_separator = '\x1f';

void make_key(model::event_type type, model::event_status status, std::string_view alertname,
              std::string& key) {
  key.assign(model::to_string(type));
  key += status == model::event_status::firing ? "/f" : "/r";
  if (!alertname.empty()) {
    key += key_separator;
    key.append(alertname);
  }
}

bool accepts(status_filter filter, model::event_status status) noexcept {
  return filter == status_filter::any
         || (filter == status_filter::firing) == (status == model::event_status::firing);
}

/// The alertnames a trigger requires (one of them must be the event's); empty: any.
std::vector<std::string_view> required_alertnames(const trigger& t) {
  for (const auto& [key, value] : t.labels)
    if (key == "alertname")
      return {value};
  for (const auto& c : t.match) {
    if (c.key != "alertname")
      continue;
    if (c.operation == condition::op::eq)
      return {c.text};
    if (c.operation == condition::op::in && !c.values.empty())
      return {c.values.begin(), c.values.end()};
  }
  return {};
}

} // namespace

matcher::matcher(std::vector<runbook_ptr> runbooks) : runbooks_(std::move(runbooks)) {
  std::string key;
  for (std::size_t order = 0; order < runbooks_.size(); ++order) {
    const runbook& book = *runbooks_[order];
    if (!book.enabled)
      continue;
    for (const auto& t : book.triggers) {
      auto names = required_alertnames(t);
      if (names.empty())
        names.emplace_back();
      for (auto type : all_types) {
        if (t.type && *t.type != type)
          continue;
        for (auto status : all_statuses) {
          if (!accepts(t.status, status))
            continue;
          for (auto name : names) {
            make_key(type, status, name, key);
            auto& bucket = by_type_and_alertname_[key];
            // One trigger listed under one key once, even if `in` repeats a name.
            if (bucket.empty() || bucket.back().trig != &t)
              bucket.push_back(entry{&book, &t, order});
          }
        }
      }
    }
  }
}

void matcher::match(const model::event& e, std::vector<const runbook*>& out) const {
  // Keys are rebuilt per event in a reused buffer: no allocation once it has grown.
  thread_local std::string key;
  make_key(e.type, e.status, {}, key);
  const auto generic_it = by_type_and_alertname_.find(key);
  const std::vector<entry>* generic =
    generic_it == by_type_and_alertname_.end() ? nullptr : &generic_it->second;
  const detail::label_view labels{e.labels};
  const std::vector<entry>* named = nullptr;
  if (auto alertname = labels.find("alertname"); alertname && !alertname->empty()) {
    make_key(e.type, e.status, *alertname, key);
    if (auto it = by_type_and_alertname_.find(key); it != by_type_and_alertname_.end())
      named = &it->second;
  }
  // Both buckets are in load order: merge them, testing each runbook's triggers until one
  // holds, so a runbook is reported once, in load order.
  static const std::vector<entry> none;
  const auto& a = generic != nullptr ? *generic : none;
  const auto& b = named != nullptr ? *named : none;
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    const std::size_t order =
      std::min(i < a.size() ? a[i].order : SIZE_MAX, j < b.size() ? b[j].order : SIZE_MAX);
    const runbook* hit = nullptr;
    for (; i < a.size() && a[i].order == order; ++i)
      if (hit == nullptr && detail::matches(*a[i].trig, e, labels))
        hit = a[i].book;
    for (; j < b.size() && b[j].order == order; ++j)
      if (hit == nullptr && detail::matches(*b[j].trig, e, labels))
        hit = b[j].book;
    if (hit != nullptr)
      out.push_back(hit);
  }
}

runbook_ptr matcher::find(std::string_view name) const {
  for (const auto& r : runbooks_)
    if (r->name == name)
      return r;
  for (const auto& r : runbooks_)
    if (r->path == name)
      return r;
  return nullptr;
}

} // namespace vigil::runbook
