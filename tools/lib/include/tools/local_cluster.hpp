#pragma once
// An embedded local cluster: N node processes on this machine (`BINARY node
// --listen 127.0.0.1:0 --name NAME [--seeds ...]`: `troupe node`, or another
// binary with the same `node` command line), on ephemeral loopback ports,
// each logging to its own file. Used by `troupe cluster up`, the demos, the
// cluster tests and the distributed benchmark; the processes die with their
// parent (PR_SET_PDEATHSIG), so nothing is left behind even on a crash.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tools/child_process.hpp"

namespace troupe::tools {

struct local_node {
  std::string name;
  pid_t pid = -1;
  std::string host;
  uint16_t port = 0;
  std::string log_path;
  /// "http://HOST:PORT/" if the node serves its HTTP endpoint (--troupe.http).
  std::string http;
  std::vector<std::string> args; ///< to start it again with the same flags
  /// Resource limits it runs under (child_spec::limits).
  std::vector<std::pair<int, uint64_t>> limits;

  std::string address() const {
    return host + ":" + std::to_string(port);
  }
};

class local_cluster {
public:
  /// `binary` is the node executable, `log_dir` where node logs go.
  local_cluster(std::string binary, std::string log_dir);
  ~local_cluster();

  local_cluster(const local_cluster&) = delete;
  local_cluster& operator=(const local_cluster&) = delete;

  /// Starts one node; the first node started is every later node's seed.
  /// Returns an error text if it did not print its address in `timeout`.
  std::optional<std::string>
  start_node(const std::string& name, std::vector<std::string> extra_args = {},
             std::chrono::milliseconds timeout = std::chrono::seconds(30));

  /// Starts `n` nodes named `prefix`1..n, reporting progress on stderr.
  std::optional<std::string> start(int n, const std::string& prefix = "n",
                                   std::vector<std::string> extra_args = {});

  /// One node of start_together: its name, its listen address (a fixed
  /// port, as DNS records name it) and its own flags.
  struct node_spec {
    std::string name;
    std::string listen = "127.0.0.1:0";
    std::vector<std::string> extra_args;
  };

  /// Starts every node at once without this cluster's seed (they find
  /// each other themselves, e.g. through --troupe.seeds=srv:...), then
  /// waits for each to report its address. The first error text, if any.
  std::optional<std::string>
  start_together(const std::vector<node_spec>& specs,
                 std::chrono::milliseconds timeout = std::chrono::seconds(60));

  /// Sends `sig` to node `i`. A terminating signal (SIGKILL: a crash;
  /// SIGTERM, SIGINT: leave) also reaps it, killing it after 10 s if it
  /// does not exit; SIGSTOP and SIGCONT only pause and resume it (the node
  /// stays in the cluster's list, its pid unchanged).
  void signal(size_t i, int sig);

  /// Starts node `i` again with its original flags (new port).
  std::optional<std::string> restart(size_t i);

  /// SIGTERM to every node, then SIGKILL to whatever is left after `grace`.
  void stop_all(std::chrono::milliseconds grace = std::chrono::seconds(10));

  /// Flags every node started from now on gets (before its own extras).
  void set_common_args(std::vector<std::string> args) {
    common_args_ = std::move(args);
  }

  const std::vector<local_node>& nodes() const {
    return nodes_;
  }
  std::vector<local_node>& nodes() {
    return nodes_;
  }

  /// "127.0.0.1:PORT" of the first live node, the seed for clients.
  std::string seed() const;

  /// The cluster secret every node started here is given
  /// (`--troupe.cookie-file`): a fresh random one in the log directory,
  /// mode 0600, or the one already there (clusters sharing a log directory
  /// share a secret). Processes that join these nodes need it too.
  const std::string& cookie_file() const {
    return cookie_file_;
  }

  /// Starts the nodes from now on without a secret (CAF's BASP transport
  /// has no authentication, so --troupe.transport=basp needs this).
  void without_secret() {
    cookie_file_.clear();
  }

  /// Starts the nodes from now on with mutual TLS as well: a CA and one
  /// certificate per node name in <log_dir>/tls (troupe tls init's files).
  /// An error text if the certificates cannot be made.
  std::optional<std::string> use_tls();

  /// --troupe.tls-cert/-key/-ca for a process named `name` (its certificate
  /// is made on first use), or nothing without use_tls().
  std::vector<std::string> tls_args(const std::string& name) const;

  /// Where the TLS files are (empty without use_tls()).
  const std::string& tls_dir() const {
    return tls_dir_;
  }

  /// Resource limits for the nodes started from now on (RLIMIT_AS, ...).
  void set_limits(std::vector<std::pair<int, uint64_t>> limits) {
    limits_ = std::move(limits);
  }

private:
  local_node make_node(const std::string& name,
                       std::vector<std::string> extra_args,
                       bool with_seed = true) const;
  std::optional<std::string> launch(local_node& node,
                                    std::chrono::milliseconds timeout);
  /// Forks and execs the node (its stderr to its log).
  std::optional<std::string> spawn_process(local_node& node,
                                           child_process& proc);
  /// Waits for the node's "listening on" line, then drains its output to
  /// its log; kills the node on a timeout or an early exit.
  std::optional<std::string> await_address(local_node& node,
                                           child_process& proc,
                                           std::chrono::milliseconds timeout);

  std::string binary_;
  std::string log_dir_;
  std::vector<local_node> nodes_;
  std::vector<std::string> common_args_;
  std::string cookie_file_;
  std::string tls_dir_;
  std::vector<std::pair<int, uint64_t>> limits_;
  std::vector<std::thread> drainers_;
};

} // namespace troupe::tools
