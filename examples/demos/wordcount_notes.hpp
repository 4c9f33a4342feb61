#pragma once
// What the reducer's supervisor reports in `troupe demo wordcount`, kept for
// the main thread to print.

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>

#include <troupe/errc.hpp>

namespace troupe::demos::wordcount {

/// The text of an exit reason made from an exception (see the reducer's
/// exception handler), or the rendered error.
inline std::string reason_text(const caf::error& reason) {
  auto& ctx = reason.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return troupe::render(reason);
}

/// Lines the supervisor's event hook wants printed. The hook runs in the
/// supervisor's thread; the main thread prints them between progress
/// updates so that they never tear the live line.
struct notes {
  std::mutex mtx;
  std::vector<std::string> lines;

  void add(std::string line) {
    std::lock_guard<std::mutex> guard{mtx};
    lines.push_back(std::move(line));
  }

  std::vector<std::string> take() {
    std::lock_guard<std::mutex> guard{mtx};
    return std::exchange(lines, {});
  }
};

} // namespace troupe::demos::wordcount
