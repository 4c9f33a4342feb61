// `troupe status` (issue 15, item 8) against real `troupe node` processes:
// it prints the membership table of a live node, and gives up with a clear
// error and a non-zero exit within its --timeout when the node is paused
// (SIGSTOP: the kernel still accepts the connection, nothing answers).

#include <signal.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "cluster_fixture.hpp"
#include "tools/child_process.hpp"

namespace troupe::test {

namespace {

struct status_run {
  std::string out;   ///< what it printed on stdout
  std::string err;   ///< what it printed on stderr
  std::string exit;  ///< "status 0", "signal 9", or "" if it did not end
  std::chrono::steady_clock::duration took{};
};

/// Runs `troupe status ARGS...` and waits (at most `limit`) for its end.
status_run run_status(const std::vector<std::string>& args,
                      const std::string& err_path,
                      std::chrono::seconds limit) {
  status_run r;
  std::remove(err_path.c_str());
  std::vector<std::string> argv{"status"};
  argv.insert(argv.end(), args.begin(), args.end());
  tools::child_process p{
    {.binary = TROUPE_BINARY, .args = argv, .stderr_path = err_path}};
  auto start = std::chrono::steady_clock::now();
  if (auto err = p.start()) {
    r.err = *err;
    return r;
  }
  auto read = p.read_until(
    r.out, [](const std::string&) { return false; }, limit);
  if (read == tools::child_process::read_status::closed) {
    auto pid = p.detach();
    std::optional<int> status;
    for (auto until = std::chrono::steady_clock::now() + 5s;
         !status && std::chrono::steady_clock::now() < until;
         status = tools::try_reap(pid))
      std::this_thread::sleep_for(5ms); // polling a child's exit
    if (status)
      r.exit = tools::describe_exit(*status);
  }
  r.took = std::chrono::steady_clock::now() - start;
  std::ifstream in{err_path};
  std::stringstream text;
  text << in.rdbuf();
  r.err += text.str();
  return r;
}

} // namespace

TEST_CASE_METHOD(fixture, "troupe status prints the members of a live node and "
                          "gives up within its timeout on a paused one",
                 "[native]") {
  REQUIRE_FALSE(cluster.start(2));
  REQUIRE(all_up(0, 2));
  auto& nodes = cluster.nodes();
  auto err_path = "/tmp/troupe-status-test-" + std::to_string(getpid()) + ".err";
  std::vector<std::string> common{"--cookie-file", cluster.cookie_file(),
                                  "--timeout", "2"};
  auto args_for = [&](size_t i) {
    auto xs = common;
    xs.insert(xs.begin(), {"--seed", nodes[i].address()});
    return xs;
  };

  auto live = run_status(args_for(0), err_path, 30s);
  INFO(live.out << live.err);
  CHECK(live.exit == "status 0");
  CHECK(live.out.find("n1") != std::string::npos);
  CHECK(live.out.find("n2") != std::string::npos);

  // Not cluster.signal: it reaps the process (and kills one that does not
  // exit), which a paused node never does.
  ::kill(nodes[1].pid, SIGSTOP);
  auto paused = run_status(args_for(1), err_path, 30s);
  ::kill(nodes[1].pid, SIGCONT);
  INFO(paused.out << paused.err);
  CHECK(paused.exit == "status 1");
  // Either the transport's own bound ("no handshake with HOST:PORT within
  // the timeout") or the command's watchdog ("no answer from HOST:PORT").
  CHECK(paused.err.find(nodes[1].address()) != std::string::npos);
  CHECK(paused.err.find("error: ") == 0);
  CHECK(paused.err.find("within") != std::string::npos); // not "refused"
  // The 2 s budget (and the half second the watchdog adds), not minutes.
  CHECK(paused.took < 10s);

  auto bad = run_status({"--seed", nodes[0].address(), "--timeout", "0"},
                        err_path, 30s);
  CHECK(bad.exit == "status 2");
  CHECK(bad.err.find("--timeout must be a positive number") != std::string::npos);
  std::remove(err_path.c_str());
}

} // namespace troupe::test
