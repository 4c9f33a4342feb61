#pragma once
// One logger for troupe: lines go to stderr as
//   2026-11-25T10:00:00.123Z node-1 INFO supervisor: child "c" restarted
// The node name is set once per process (troupe::system does it).

#include <string>
#include <string_view>

namespace troupe::log {

enum class level : uint8_t { debug, info, warning, error, quiet };

void set_node(std::string name);
void set_level(level lvl);
/// Parses "debug", "info", "warning", "error", "quiet"; false if unknown.
bool set_level(std::string_view name);
level current_level() noexcept;

void write(level lvl, std::string_view component, std::string_view message);

inline void debug(std::string_view component, std::string_view message) {
  if (current_level() <= level::debug)
    write(level::debug, component, message);
}
inline void info(std::string_view component, std::string_view message) {
  if (current_level() <= level::info)
    write(level::info, component, message);
}
inline void warning(std::string_view component, std::string_view message) {
  if (current_level() <= level::warning)
    write(level::warning, component, message);
}
inline void error(std::string_view component, std::string_view message) {
  if (current_level() <= level::error)
    write(level::error, component, message);
}

} // namespace troupe::log
