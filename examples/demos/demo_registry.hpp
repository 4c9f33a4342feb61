#pragma once
// The demos of `troupe-demos` and the types their nodes register. Each demo
// file registers itself here (`register_demo`, `register_node_setup`), so
// adding a demo never changes main.cpp.
//
// Static self-registration works only for objects linked into the
// executable itself: the registries are defined in main.cpp, and every
// file that registers must be a source of the troupe-demos executable,
// never of a static library (the linker drops a library's objects that
// nothing references, and their registrations with them, without an
// error).

#include <string>
#include <vector>

#include <troupe/config.hpp>

namespace troupe::demo {

/// A demo gets the arguments after its name (argv[0] is its full command,
/// e.g. "troupe demo jobs").
using demo_fn = int (*)(int argc, char** argv);

struct demo_entry {
  std::string name;
  std::string summary;
  demo_fn run;
};

std::vector<demo_entry>& demos();

struct register_demo {
  register_demo(std::string name, std::string summary, demo_fn run) {
    demos().push_back({std::move(name), std::move(summary), run});
  }
};

/// Registers a demo's message types and exported actor types on every
/// process of a demo cluster: `troupe-demos node` and each demo's client
/// node, so that all of them share one type set and every node can host
/// every demo's actors. Called with the loaded config, before the node
/// starts.
using node_setup_fn = void (*)(troupe::config& cfg);

std::vector<node_setup_fn>& node_setups();

struct register_node_setup {
  explicit register_node_setup(node_setup_fn fn) {
    node_setups().push_back(fn);
  }
};

/// Applies every registered setup to `cfg`.
void apply_node_setups(troupe::config& cfg);

/// A file or folder the running demo wrote (its embedded cluster's logs,
/// say): removed with everything in it when the demo exits 0, kept and
/// named on stderr when it fails, for a look at what went wrong.
void remove_after_success(std::string path);

} // namespace troupe::demo
