#pragma once
// Resident memory of this process, for the idle-actor benchmark. RSS (not
// malloc statistics) because it is what the Erlang peer can report too and
// what an operator sees.

#include <unistd.h>

#include <cstdio>

namespace bench {

inline long rss_bytes() {
  long pages_total = 0;
  long pages_resident = 0;
  auto f = std::fopen("/proc/self/statm", "r");
  if (!f)
    return 0;
  if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2)
    pages_resident = 0;
  std::fclose(f);
  return pages_resident * sysconf(_SC_PAGESIZE);
}

} // namespace bench
