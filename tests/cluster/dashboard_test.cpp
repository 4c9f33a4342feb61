// The dashboard (issue 16, item 4) in Debian's headless Chromium against a
// 3-node cluster of `troupe node` processes: it shows the three members
// up, it reads from another member when the one it names first is gone,
// it shows a killed node go down, and a screenshot is saved
// (build/tests/observe-logs/dashboard.png). Chromium runs the page on
// virtual time (--virtual-time-budget), so its one-second polls take
// little real time; every run is bounded.

#include <signal.h>

#include <fstream>

#include "cluster_fixture.hpp"
#include "tools/child_process.hpp"

namespace troupe::test {

namespace {

/// Chromium's DOM of `url` after 8 s of the page's virtual time, or its
/// screenshot into `png` (then the DOM is empty).
std::string chromium(const std::string& url, const std::string& log,
                     const std::string& png = {}) {
  std::vector<std::string> args{"--headless",
                                "--no-sandbox",
                                "--disable-gpu",
                                "--disable-dev-shm-usage",
                                "--virtual-time-budget=8000",
                                "--window-size=1280,1000"};
  if (png.empty())
    args.push_back("--dump-dom");
  else
    args.push_back("--screenshot=" + png);
  args.push_back(url);
  tools::child_process proc{
      {.binary = CHROMIUM_BINARY, .args = std::move(args), .stderr_path = log}};
  if (proc.start())
    return {};
  std::string out;
  auto status = proc.read_until(
      out, [](const std::string&) { return false; }, 60s);
  proc.stop(SIGKILL, 2s);
  return status == tools::child_process::read_status::closed ? out : "";
}

/// The quoted value that follows `prefix` in `text` from `from` on, or ""
/// (a find, not std::regex: GCC 12 warns about std::regex's internals under
/// ASan, and warnings are errors).
std::string value_after(const std::string& text, const std::string& prefix,
                        size_t from = 0) {
  auto at = text.find(prefix, from);
  if (at == std::string::npos)
    return "";
  at += prefix.size();
  auto end = text.find('"', at);
  return end == std::string::npos ? "" : text.substr(at, end - at);
}

std::string attr(const std::string& dom, const std::string& name) {
  auto body = dom.find("<body");
  if (body == std::string::npos)
    return "";
  auto close = dom.find('>', body);
  auto value = value_after(dom, " " + name + "=\"", body);
  auto at = dom.find(" " + name + "=\"", body);
  return at != std::string::npos && at < close ? value : "";
}

std::string state_of(const std::string& dom, const std::string& member) {
  return value_after(dom, "<tr data-member=\"" + member + "\" data-state=\"");
}

} // namespace

TEST_CASE_METHOD(fixture, "the dashboard shows every member up, reads from "
                          "another member when one is gone, and shows a "
                          "killed node down") {
  cluster.set_common_args({"--troupe.http=127.0.0.1:0"});
  REQUIRE_FALSE(cluster.start(3));
  REQUIRE(all_up(0, 3));
  auto& nodes = cluster.nodes();
  auto log = std::string{TROUPE_TEST_LOGS} + "/chromium.log";
  mkdir(TROUPE_TEST_LOGS, 0755);

  std::string dom;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline
         && attr(dom, "data-up") != "3")
    dom = chromium(nodes[0].http, log);
  INFO(dom.substr(0, 2000));
  REQUIRE(attr(dom, "data-up") == "3");
  CHECK(attr(dom, "data-source") == nodes[0].http);
  for (auto& n : nodes)
    CHECK(state_of(dom, n.name) == "up");

  auto png = std::string{TROUPE_TEST_LOGS} + "/dashboard.png";
  std::remove(png.c_str());
  chromium(nodes[0].http, log, png);
  std::ifstream shot{png, std::ios::binary};
  std::string head(8, '\0');
  shot.read(head.data(), 8);
  CHECK(head == "\x89PNG\r\n\x1a\n");

  // n1 dies; a page served by n2 that names n1's endpoint first must fall
  // back to another member and show n1 down.
  auto n1_http = nodes[0].http;
  cluster.signal(0, SIGKILL);
  auto url = nodes[1].http + "?api=" + n1_http;
  auto gone = [&](const std::string& d) {
    auto st = state_of(d, "n1");
    return (st == "down" || st == "suspect")
           && attr(d, "data-source") != n1_http
           && !attr(d, "data-source").empty();
  };
  dom.clear();
  deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline && !gone(dom))
    dom = chromium(url, log);
  INFO(dom.substr(0, 2000));
  CHECK(gone(dom));
  CHECK(state_of(dom, "n2") == "up");
  CHECK(state_of(dom, "n3") == "up");
}

} // namespace troupe::test
