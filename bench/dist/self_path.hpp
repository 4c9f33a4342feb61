#pragma once
// The path of this program, to start it again as a server or node process.

#include <unistd.h>

#include <stdexcept>
#include <string>

namespace bench::dist {

inline std::string self_path() {
  char buf[4096];
  auto n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0)
    throw std::runtime_error("cannot read /proc/self/exe");
  buf[n] = '\0';
  return buf;
}

} // namespace bench::dist
