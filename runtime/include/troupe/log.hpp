#pragma once
// One logger for troupe. Each line goes to stderr, whole (one write under a
// lock, so lines of different threads never interleave), as
//   2026-11-25T10:00:00.123Z node-1 INFO supervisor: child "c" restarted
// that is: UTC time with milliseconds, the node name, the level (DEBUG,
// INFO, WARN, ERROR), the component, then the message. The node name is set
// once per process (troupe::system does it, from troupe.node-name or
// host-pid). With --troupe.log-format=json each line is one JSON object
// instead, for tools that read logs:
//   {"time":"2026-11-25T10:00:00.123Z","level":"info","node":"node-1",
//    "component":"supervisor","message":"child \"c\" restarted",
//    "fields":{"child":"c"}}
// (bytes that are not UTF-8 become U+FFFD). `fields` holds the line's
// structured values (which member, which peer address, why), given with
//   log::info("membership", "member n2 is down", {{"member", "n2"},
//                                                 {"reason", "silent"}});
// so that tools need not parse the message; it is {} for a line without
// any. Text lines show the message alone (it names the same values).

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace troupe::log {

/// Severity, lowest first; `quiet` logs nothing.
enum class level : uint8_t { debug, info, warning, error, quiet };

/// How lines are written: text (the default) or one JSON object a line.
enum class format : uint8_t { text, json };

/// Sets the line format for every line written from now on.
void set_format(format f);
/// Parses "text" or "json"; false if unknown (the format is then unchanged).
bool set_format(std::string_view name);

/// Sets the node name printed in every line.
void set_node(std::string name);
/// Drops lines below `lvl` (default: info).
void set_level(level lvl);
/// Parses "debug", "info", "warning", "error", "quiet"; false if unknown
/// (the level is then unchanged).
bool set_level(std::string_view name);
/// The level below which lines are dropped.
level current_level() noexcept;

/// One structured value of a line: {key, value}. Both are copied while the
/// line is written, so temporaries are fine.
using field = std::pair<std::string_view, std::string_view>;
/// A line's structured values, in order (a key given twice: the last wins).
using fields = std::initializer_list<field>;

/// Writes one line at `lvl` (whatever the current level; the helpers below
/// check it first, so build costly messages only after such a check).
void write(level lvl, std::string_view component, std::string_view message);
/// The same, with structured values (JSON: the "fields" object).
void write(level lvl, std::string_view component, std::string_view message,
           fields fs);

/// Writes one line at that level if the current level lets it through.
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

/// The same helpers with structured values.
inline void debug(std::string_view component, std::string_view message,
                  fields fs) {
  if (current_level() <= level::debug)
    write(level::debug, component, message, fs);
}
inline void info(std::string_view component, std::string_view message,
                 fields fs) {
  if (current_level() <= level::info)
    write(level::info, component, message, fs);
}
inline void warning(std::string_view component, std::string_view message,
                    fields fs) {
  if (current_level() <= level::warning)
    write(level::warning, component, message, fs);
}
inline void error(std::string_view component, std::string_view message,
                  fields fs) {
  if (current_level() <= level::error)
    write(level::error, component, message, fs);
}

} // namespace troupe::log
