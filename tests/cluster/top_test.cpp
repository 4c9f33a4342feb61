// `troupe top --once` (issue 16, item 5, plain mode) against a 3-node
// cluster of `troupe node` processes: through one node's HTTP endpoint
// (--http), every member with its state and its own endpoint; through the
// cluster's own protocol (--seed, no HTTP endpoint anywhere), every member
// with its state, address and message rates. A node that is killed goes
// down in the table.

#include <signal.h>

#include <sstream>

#include "cluster_fixture.hpp"
#include "tools/child_process.hpp"

namespace troupe::test {

namespace {

/// The output of `troupe top --http ADDR --once` (empty if it failed or
/// did not end within 20 s).
std::string top_once(const std::string& http_url) {
  auto addr = http_url.substr(7, http_url.size() - 8); // http://A:P/ -> A:P
  tools::child_process top{
      {.binary = TROUPE_BINARY,
       .args = {"top", "--http", addr, "--once", "--interval", "0.2"},
       .stderr_path = {}}};
  if (top.start())
    return {};
  std::string out;
  auto status = top.read_until(
      out, [](const std::string&) { return false; }, 20s);
  top.stop(SIGKILL, 1s);
  return status == tools::child_process::read_status::closed ? out : "";
}

/// The output of `troupe top --seed ADDR --once ARGS...` (empty if it
/// failed or did not end within 20 s).
std::string top_seed_once(const std::string& seed,
                          const std::vector<std::string>& more) {
  std::vector<std::string> args{"top",        "--seed", seed,        "--once",
                                "--interval", "0.3",    "--timeout", "3"};
  args.insert(args.end(), more.begin(), more.end());
  tools::child_process top{
      {.binary = TROUPE_BINARY, .args = args, .stderr_path = {}}};
  if (top.start())
    return {};
  std::string out;
  auto status = top.read_until(
      out, [](const std::string&) { return false; }, 20s);
  top.stop(SIGKILL, 1s);
  return status == tools::child_process::read_status::closed ? out : "";
}

/// The row of `name` in top's table, split into words.
std::vector<std::string> row_of(const std::string& table,
                                const std::string& name) {
  std::istringstream in{table};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words{line};
    std::vector<std::string> xs;
    for (std::string w; words >> w;)
      xs.push_back(w);
    if (!xs.empty() && xs[0] == name)
      return xs;
  }
  return {};
}

} // namespace

TEST_CASE_METHOD(fixture, "troupe top --once lists every member with its state "
                          "and HTTP endpoint, and shows a killed node down") {
  cluster.set_common_args({"--troupe.http=127.0.0.1:0"});
  REQUIRE_FALSE(cluster.start(3));
  REQUIRE(all_up(0, 3));
  auto& nodes = cluster.nodes();
  // Each row: NAME STATE ROLE ACTORS BACKLOG MSG_IN/s MSG_OUT/s RESTARTS HTTP.
  auto complete = [&](const std::string& table) {
    for (auto& n : nodes) {
      auto row = row_of(table, n.name);
      if (row.size() != 9 || row[1] != "up" || row[8] != n.http)
        return false;
    }
    return true;
  };
  std::string table;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  // The endpoints are learned by gossip-like rounds: ask again until then.
  while (std::chrono::steady_clock::now() < deadline && !complete(table))
    table = top_once(nodes[0].http);
  INFO(table);
  REQUIRE(complete(table));
  // Rates are numbers once both samples arrived.
  auto row = row_of(table, "n2");
  CHECK(row[5] != "-");
  CHECK(row[6] != "-");

  cluster.signal(2, SIGKILL);
  auto down = [&](const std::string& t) {
    auto r = row_of(t, "n3");
    return r.size() >= 2 && (r[1] == "down" || r[1] == "suspect");
  };
  deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && !down(table))
    table = top_once(nodes[0].http);
  INFO(table);
  CHECK(down(table));
}

} // namespace troupe::test

namespace troupe::test {

TEST_CASE_METHOD(fixture, "troupe top --seed --once lists every member with "
                          "its state, address and message rates through one "
                          "node, and shows a killed node down") {
  REQUIRE_FALSE(cluster.start(3));
  REQUIRE(all_up(0, 3));
  auto& nodes = cluster.nodes();
  std::vector<std::string> secret{"--cookie-file", cluster.cookie_file()};
  // Each row: NAME STATE ROLE ACTORS BACKLOG MSG_IN/s MSG_OUT/s RESTARTS
  // ADDRESS; rates are numbers once a member answered both samples
  // (heartbeats keep them above zero).
  auto complete = [&](const std::string& table) {
    for (auto& n : nodes) {
      auto row = row_of(table, n.name);
      if (row.size() != 9 || row[1] != "up" || row[8] != n.address()
          || row[5] == "-" || row[6] == "-" || row[7] == "-")
        return false;
    }
    return true;
  };
  std::string table;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && !complete(table))
    table = top_seed_once(nodes[0].address(), secret);
  INFO(table);
  REQUIRE(complete(table));
  CHECK(std::stod(row_of(table, "n2")[5]) > 0);
  CHECK(table.find("ADDRESS") != std::string::npos);

  // Without the cluster's secret the seed refuses it, and top says so.
  CHECK(top_seed_once(nodes[0].address(), {}).find("NAME")
        == std::string::npos);

  cluster.signal(2, SIGKILL);
  auto down = [&](const std::string& t) {
    auto r = row_of(t, "n3");
    return r.size() == 9 && (r[1] == "down" || r[1] == "suspect")
           && r[5] == "-";
  };
  deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline && !down(table))
    table = top_seed_once(nodes[0].address(), secret);
  INFO(table);
  CHECK(down(table));
}

} // namespace troupe::test
