#pragma once
// A benchmark cluster: worker nodes of this program (node mode) on
// ephemeral loopback ports, started like `troupe cluster up` starts
// `troupe node`s, and this process joined as a `client` member (it hosts no
// placed actors). Every wait is bounded; failures throw std::runtime_error.
// The destructor leaves and stops every node (local_cluster also ties the
// nodes' lives to this process with PR_SET_PDEATHSIG).

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <troupe/config.hpp>
#include <troupe/node.hpp>

#include "tools/local_cluster.hpp"

namespace bench::dist {

/// Whether the benchmark's CAF options select CAF's BASP transport (which
/// has no cluster secret) instead of troupe's own.
inline bool uses_basp(const std::vector<std::string>& caf_args) {
  for (auto& a : caf_args)
    if (a == "--troupe.transport=basp")
      return true;
  return false;
}

class bench_cluster {
public:
  /// Starts `workers` nodes named w1..wN (logs in `log_dir`) and joins
  /// them; returns once this process sees every worker up. `caf_args`
  /// (CAF or troupe options) go to every node and to this process's node.
  bench_cluster(int workers, const std::string& log_dir,
                const std::vector<std::string>& caf_args);
  ~bench_cluster();

  bench_cluster(const bench_cluster&) = delete;
  bench_cluster& operator=(const bench_cluster&) = delete;

  troupe::node& client() {
    return *client_;
  }

  troupe::tools::local_cluster& nodes() {
    return local_;
  }

  /// Name of worker `i` (0-based).
  const std::string& worker(size_t i) const {
    return local_.nodes().at(i).name;
  }

private:
  troupe::tools::local_cluster local_;
  // The actor system refers to its config: declared before the node so
  // that it is destroyed after it.
  std::unique_ptr<troupe::config> cfg_;
  std::unique_ptr<troupe::node> client_;
};

} // namespace bench::dist
