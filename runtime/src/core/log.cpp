#include "troupe/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace troupe::log {

namespace {

std::atomic<level> current{level::info};
std::atomic<format> current_format{format::text};
std::mutex mtx;
std::string node_name = "-";

const char* level_name(level lvl) {
  switch (lvl) {
    case level::debug:
      return "DEBUG";
    case level::info:
      return "INFO";
    case level::warning:
      return "WARN";
    case level::error:
      return "ERROR";
    default:
      return "";
  }
}

const char* json_level_name(level lvl) {
  switch (lvl) {
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warning:
      return "warning";
    case level::error:
      return "error";
    default:
      return "";
  }
}

} // namespace

void set_format(format f) {
  current_format = f;
}

bool set_format(std::string_view name) {
  if (name == "text")
    set_format(format::text);
  else if (name == "json")
    set_format(format::json);
  else
    return false;
  return true;
}

void set_node(std::string name) {
  std::lock_guard<std::mutex> guard{mtx};
  node_name = std::move(name);
}

void set_level(level lvl) {
  current = lvl;
}

bool set_level(std::string_view name) {
  static constexpr std::pair<std::string_view, level> names[] = {
    {"debug", level::debug},     {"info", level::info},
    {"warning", level::warning}, {"error", level::error},
    {"quiet", level::quiet},
  };
  for (auto& [str, lvl] : names)
    if (str == name) {
      set_level(lvl);
      return true;
    }
  return false;
}

level current_level() noexcept {
  return current.load(std::memory_order_relaxed);
}

void write(level lvl, std::string_view component, std::string_view message) {
  write(lvl, component, message, {});
}

void write(level lvl, std::string_view component, std::string_view message,
           fields fs) {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  if (current_format.load(std::memory_order_relaxed) == format::json) {
    char time[40];
    std::snprintf(time, sizeof(time), "%s.%03dZ", stamp, static_cast<int>(ms));
    nlohmann::json line;
    line["time"] = time;
    line["level"] = json_level_name(lvl);
    {
      std::lock_guard<std::mutex> guard{mtx};
      line["node"] = node_name;
    }
    line["component"] = std::string{component};
    line["message"] = std::string{message};
    auto& obj = line["fields"] = nlohmann::json::object();
    for (auto& [key, value] : fs)
      obj[std::string{key}] = std::string{value};
    auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::lock_guard<std::mutex> guard{mtx};
    std::fprintf(stderr, "%s\n", text.c_str());
    return;
  }
  std::lock_guard<std::mutex> guard{mtx};
  std::fprintf(stderr, "%s.%03dZ %s %s %.*s: %.*s\n", stamp,
               static_cast<int>(ms), node_name.c_str(), level_name(lvl),
               static_cast<int>(component.size()), component.data(),
               static_cast<int>(message.size()), message.data());
}

} // namespace troupe::log
