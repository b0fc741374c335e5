#include "runtime/model/logger.hpp"

#include <atomic>
#include <memory>
#include <mutex>

#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "runtime/model/json_writer.hpp"
#include "runtime/model/time.hpp"

namespace vigil::log {

namespace {

// Structured fields travel through spdlog inside the payload, after this separator, already
// serialized as `,"key":"value"` pairs; the formatter below puts them into the JSON object.
constexpr char field_separator = '\x1f';

std::atomic<int> current_level{static_cast<int>(level::info)};

std::string_view level_name(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    case spdlog::level::err:
      return "error";
    case spdlog::level::critical:
      return "critical";
    default:
      return "off";
  }
}

class json_formatter final : public spdlog::formatter {
public:
  explicit json_formatter(bool json) : json_(json) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string_view payload{msg.payload.data(), msg.payload.size()};
    std::string_view text = payload;
    std::string_view fields;
    if (auto sep = payload.find(field_separator); sep != std::string_view::npos) {
      text = payload.substr(0, sep);
      fields = payload.substr(sep + 1);
    }
    const auto ts =
      model::format_rfc3339(std::chrono::time_point_cast<std::chrono::nanoseconds>(msg.time));
    std::string line;
    line.reserve(128 + payload.size());
    if (json_) {
      line += "{\"ts\":\"";
      line += ts;
      line += "\",\"level\":\"";
      line += level_name(msg.level);
      line += "\",\"logger\":";
      model::append_json_string(line,
                                std::string_view{msg.logger_name.data(), msg.logger_name.size()});
      line += ",\"msg\":";
      model::append_json_string(line, text);
      line += fields;
      line += "}\n";
    } else {
      line += ts;
      line += ' ';
      line += level_name(msg.level);
      line += ' ';
      line.append(msg.logger_name.data(), msg.logger_name.size());
      line += ": ";
      line += text;
      if (!fields.empty()) {
        line += " ";
        line += fields;
      }
      line += '\n';
    }
    dest.append(line.data(), line.data() + line.size());
  }

  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<json_formatter>(json_);
  }

private:
  bool json_;
};

std::shared_ptr<spdlog::logger> make_logger(bool json) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(std::make_unique<json_formatter>(json));
  auto lg = std::make_shared<spdlog::logger>("vigil", std::move(sink));
  lg->set_level(spdlog::level::trace); // filtering happens in `enabled`
  lg->flush_on(spdlog::level::trace);
  return lg;
}

std::mutex logger_mtx;
std::shared_ptr<spdlog::logger> the_logger;
bool json_format = true;

std::shared_ptr<spdlog::logger> get_logger() {
  std::lock_guard<std::mutex> guard{logger_mtx};
  if (!the_logger)
    the_logger = make_logger(json_format);
  return the_logger;
}

spdlog::level::level_enum to_spdlog(level l) {
  switch (l) {
    case level::trace:
      return spdlog::level::trace;
    case level::debug:
      return spdlog::level::debug;
    case level::info:
      return spdlog::level::info;
    case level::warn:
      return spdlog::level::warn;
    case level::error:
      return spdlog::level::err;
    case level::critical:
      return spdlog::level::critical;
    case level::off:
      break;
  }
  return spdlog::level::off;
}

} // namespace

level parse_level(std::string_view name) noexcept {
  if (name == "trace")
    return level::trace;
  if (name == "debug")
    return level::debug;
  if (name == "warn" || name == "warning")
    return level::warn;
  if (name == "error")
    return level::error;
  if (name == "critical")
    return level::critical;
  if (name == "off")
    return level::off;
  return level::info;
}

void setup(std::string_view lvl, std::string_view format) {
  std::lock_guard<std::mutex> guard{logger_mtx};
  json_format = format != "text";
  the_logger = make_logger(json_format);
  current_level.store(static_cast<int>(parse_level(lvl)));
}

bool enabled(level lvl) noexcept {
  return lvl != level::off
         && static_cast<int>(lvl) >= current_level.load(std::memory_order_relaxed);
}

void write(level lvl, std::string_view logger_name, std::string_view msg,
           std::initializer_list<field> fields) {
  std::string payload{msg};
  if (fields.size() > 0) {
    payload += field_separator;
    for (const auto& f : fields) {
      payload += ',';
      model::append_json_string(payload, f.key);
      payload += ':';
      model::append_json_string(payload, f.value);
    }
  }
  auto lg = get_logger();
  spdlog::details::log_msg m{spdlog::string_view_t{logger_name.data(), logger_name.size()},
                             to_spdlog(lvl), spdlog::string_view_t{payload.data(), payload.size()}};
  for (auto& sink : lg->sinks())
    sink->log(m);
}

} // namespace vigil::log
