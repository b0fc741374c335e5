#include "runtime/model/yaml_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>
#include <tuple>

#include <yaml-cpp/yaml.h>

#include "runtime/model/time.hpp"

namespace vigil::model {

std::string diagnostic::to_string() const {
  std::string out = file;
  if (line > 0) {
    out += ':';
    out += std::to_string(line);
    out += ':';
    out += std::to_string(column);
  }
  out += ": ";
  if (!path.empty()) {
    out += path;
    out += ": ";
  }
  out += message;
  return out;
}

void sort_by_position(diagnostics& ds) {
  std::stable_sort(ds.begin(), ds.end(), [](const diagnostic& x, const diagnostic& y) {
    return std::tie(x.file, x.line, x.column) < std::tie(y.file, y.line, y.column);
  });
}

std::optional<std::string> process_env(const std::string& name) {
  if (const char* v = std::getenv(name.c_str()))
    return std::string{v};
  return std::nullopt;
}

yaml_reader::yaml_reader(std::string file, env_lookup_fn env)
  : file_(std::move(file)), env_(env != nullptr ? env : &process_env) {}

void yaml_reader::error(const YAML::Node& node, std::string_view path, std::string message) {
  const auto mark = node.Mark();
  diagnostic d{file_, std::string{path}, 0, 0, std::move(message)};
  if (!mark.is_null()) {
    d.line = mark.line + 1;
    d.column = mark.column + 1;
  }
  errors_.push_back(std::move(d));
}

void yaml_reader::error(std::string_view path, std::string message) {
  errors_.push_back(diagnostic{file_, std::string{path}, 0, 0, std::move(message)});
}

std::string yaml_reader::join(std::string_view path, std::string_view key) {
  std::string out{path};
  if (!out.empty())
    out += '.';
  out += key;
  return out;
}

bool yaml_reader::expect_map(const YAML::Node& node, std::string_view path) {
  if (!node.IsMap()) {
    error(node, path, node.IsNull() ? "expected a map, got nothing" : "expected a map");
    return false;
  }
  std::set<std::string> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) {
      error(kv.first, path, "keys must be plain strings");
      continue;
    }
    const auto& key = kv.first.Scalar();
    if (!seen.insert(key).second)
      error(kv.first, join(path, key), "duplicate key");
  }
  return true;
}

bool yaml_reader::expect_map(const YAML::Node& node, std::string_view path,
                             std::initializer_list<std::string_view> allowed) {
  if (!expect_map(node, path))
    return false;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar())
      continue;
    const auto& key = kv.first.Scalar();
    bool known = false;
    for (auto a : allowed)
      known = known || a == key;
    if (!known) {
      std::string expected;
      for (auto a : allowed) {
        if (!expected.empty())
          expected += ", ";
        expected += a;
      }
      error(kv.first, join(path, key), "unknown key (expected one of: " + expected + ")");
    }
  }
  return true;
}

bool yaml_reader::expect_sequence(const YAML::Node& node, std::string_view path) {
  if (!node.IsSequence()) {
    error(node, path, "expected a list");
    return false;
  }
  return true;
}

std::optional<std::string> yaml_reader::expand(const YAML::Node& node, std::string_view path,
                                               const std::string& text) {
  if (text.find("${") == std::string::npos)
    return text;
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto start = text.find("${", pos);
    if (start == std::string::npos) {
      out.append(text, pos, std::string::npos);
      break;
    }
    out.append(text, pos, start - pos);
    auto end = text.find('}', start + 2);
    if (end == std::string::npos) {
      error(node, path, "unterminated ${ in \"" + text + "\"");
      return std::nullopt;
    }
    std::string inner = text.substr(start + 2, end - start - 2);
    std::optional<std::string> fallback;
    if (auto sep = inner.find(":-"); sep != std::string::npos) {
      fallback = inner.substr(sep + 2);
      inner.resize(sep);
    }
    bool valid_name =
      !inner.empty() && (std::isalpha(static_cast<unsigned char>(inner[0])) || inner[0] == '_');
    for (char c : inner)
      valid_name = valid_name && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!valid_name) {
      error(node, path, "invalid environment variable name \"" + inner + "\"");
      return std::nullopt;
    }
    if (auto value = env_(inner); value && (!value->empty() || !fallback)) {
      out += *value;
    } else if (fallback) {
      out += *fallback;
    } else {
      error(node, path, "environment variable " + inner + " is not set");
      return std::nullopt;
    }
    pos = end + 1;
  }
  return out;
}

std::optional<std::string> yaml_reader::scalar(const YAML::Node& node, std::string_view path) {
  if (!node.IsScalar()) {
    error(node, path, node.IsNull() ? "expected a value, got nothing" : "expected a single value");
    return std::nullopt;
  }
  return expand(node, path, node.Scalar());
}

void yaml_reader::read(const YAML::Node& map, std::string_view key, std::string_view path,
                       std::string& out) {
  const auto node = map[std::string{key}];
  if (!node)
    return;
  const auto p = join(path, key);
  if (!node.IsScalar() && !node.IsNull()) {
    error(node, p, "expected a string");
    return;
  }
  if (node.IsNull()) {
    out.clear();
    return;
  }
  if (auto v = scalar(node, p))
    out = std::move(*v);
}

void yaml_reader::read(const YAML::Node& map, std::string_view key, std::string_view path,
                       bool& out) {
  const auto node = map[std::string{key}];
  if (!node)
    return;
  const auto p = join(path, key);
  auto v = scalar(node, p);
  if (!v)
    return;
  if (*v == "true" || *v == "yes" || *v == "on")
    out = true;
  else if (*v == "false" || *v == "no" || *v == "off")
    out = false;
  else
    error(node, p, "expected true or false, got \"" + *v + "\"");
}

std::optional<uint64_t> yaml_reader::parse_uint(std::string_view text) noexcept {
  if (text.empty() || text.size() > 19)
    return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

void yaml_reader::read(const YAML::Node& map, std::string_view key, std::string_view path,
                       uint64_t& out, uint64_t min, uint64_t max) {
  const auto node = map[std::string{key}];
  if (!node)
    return;
  const auto p = join(path, key);
  auto v = scalar(node, p);
  if (!v)
    return;
  auto n = parse_uint(*v);
  if (!n) {
    error(node, p, "expected a whole number, got \"" + *v + "\"");
    return;
  }
  if (*n < min || *n > max) {
    error(node, p,
          "out of range: " + *v + " (allowed " + std::to_string(min) + ".." + std::to_string(max)
            + ")");
    return;
  }
  out = *n;
}

void yaml_reader::read(const YAML::Node& map, std::string_view key, std::string_view path,
                       uint32_t& out, uint64_t min, uint64_t max) {
  uint64_t wide = out;
  read(map, key, path, wide, min, max);
  out = static_cast<uint32_t>(wide);
}

void yaml_reader::read(const YAML::Node& map, std::string_view key, std::string_view path,
                       double& out, double min, double max) {
  const auto node = map[std::string{key}];
  if (!node)
    return;
  const auto p = join(path, key);
  auto v = scalar(node, p);
  if (!v)
    return;
  char* end = nullptr;
  errno = 0;
  double d = std::strtod(v->c_str(), &end);
  if (v->empty() || end != v->c_str() + v->size() || errno != 0 || !std::isfinite(d)) {
    error(node, p, "expected a number, got \"" + *v + "\"");
    return;
  }
  if (d < min || d > max) {
    error(node, p, "out of range: " + *v);
    return;
  }
  out = d;
}

void yaml_reader::read(const YAML::Node& map, std::string_view key, std::string_view path,
                       std::chrono::milliseconds& out, std::chrono::milliseconds min,
                       std::chrono::milliseconds max) {
  const auto node = map[std::string{key}];
  if (!node)
    return;
  const auto p = join(path, key);
  auto v = scalar(node, p);
  if (!v)
    return;
  auto d = parse_duration(*v);
  if (!d) {
    error(node, p, "expected a duration such as 30s, 5m or 1h, got \"" + *v + "\"");
    return;
  }
  if (*d < min || *d > max) {
    error(node, p,
          "out of range: " + *v + " (allowed " + format_duration(min) + ".." + format_duration(max)
            + ")");
    return;
  }
  out = *d;
}

void yaml_reader::read_choice(const YAML::Node& map, std::string_view key, std::string_view path,
                              std::string& out, std::initializer_list<std::string_view> choices) {
  const auto node = map[std::string{key}];
  if (!node)
    return;
  const auto p = join(path, key);
  auto v = scalar(node, p);
  if (!v)
    return;
  std::string expected;
  for (auto c : choices) {
    if (c == *v) {
      out = std::move(*v);
      return;
    }
    if (!expected.empty())
      expected += ", ";
    expected += c;
  }
  error(node, p, "\"" + *v + "\" is not one of: " + expected);
}

} // namespace vigil::model
