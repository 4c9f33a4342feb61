#pragma once
// Command-line options every benchmark program understands. They are taken
// out of argv before the rest goes to CAF's own parser, so CAF options such
// as --scheduler.max-threads=2 can be tried without a rebuild.
//   --quick          smaller sizes and one run per benchmark (a smoke test)
//   --only=a,b       run only the benchmarks whose id starts with a or b

#include <cstring>
#include <string>
#include <vector>

namespace bench {

struct options {
  bool quick = false;
  std::vector<std::string> only;
  /// argv without our flags, for caf::actor_system_config::parse.
  std::vector<char*> rest;

  options(int argc, char** argv) {
    rest.push_back(argv[0]);
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "--quick")
        quick = true;
      else if (arg.rfind("--only=", 0) == 0)
        split(arg.substr(7));
      else
        rest.push_back(argv[i]);
    }
  }

  bool wants(const std::string& id) const {
    if (only.empty())
      return true;
    for (auto& prefix : only)
      if (id.rfind(prefix, 0) == 0)
        return true;
    return false;
  }

  /// `full` normally, `small` with --quick.
  template <class T>
  T size(T full, T small) const {
    return quick ? small : full;
  }

  int runs() const {
    return quick ? 1 : 3;
  }

  int argc() const {
    return static_cast<int>(rest.size());
  }

  char** argv() {
    return rest.data();
  }

private:
  void split(const std::string& list) {
    size_t pos = 0;
    while (pos <= list.size()) {
      auto comma = list.find(',', pos);
      if (comma == std::string::npos)
        comma = list.size();
      if (comma > pos)
        only.push_back(list.substr(pos, comma - pos));
      pos = comma + 1;
    }
  }
};

} // namespace bench
