#include "troupe/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>

namespace troupe::log {

namespace {

std::atomic<level> current{level::info};
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

} // namespace

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
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
  std::lock_guard<std::mutex> guard{mtx};
  std::fprintf(stderr, "%s.%03dZ %s %s %.*s: %.*s\n", stamp,
               static_cast<int>(ms), node_name.c_str(), level_name(lvl),
               static_cast<int>(component.size()), component.data(),
               static_cast<int>(message.size()), message.data());
}

} // namespace troupe::log
