// JSON log lines with structured fields (issue 16, item 6): the API in
// troupe/log.hpp, and a real call site (the transport refusing a peer that
// sends no valid handshake). stderr is redirected to a file for each case.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "temp_dir.hpp"
#include "test_support.hpp"
#include "troupe/log.hpp"
#include "troupe/node.hpp"

using namespace std::chrono_literals;
using nlohmann::json;

namespace {

/// Sends stderr to `path` while it lives, in the JSON format, at level
/// info (test_config makes nodes quiet).
class json_stderr {
public:
  explicit json_stderr(const std::string& path) {
    std::fflush(stderr);
    saved_ = dup(2);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    dup2(fd, 2);
    close(fd);
    troupe::log::set_format(troupe::log::format::json);
    saved_level_ = troupe::log::current_level();
    troupe::log::set_level(troupe::log::level::info);
  }
  ~json_stderr() {
    troupe::log::set_level(saved_level_);
    troupe::log::set_format(troupe::log::format::text);
    std::fflush(stderr);
    dup2(saved_, 2);
    close(saved_);
  }

private:
  int saved_ = -1;
  troupe::log::level saved_level_ = troupe::log::level::info;
};

/// The lines of `path` parsed as JSON (a line that is not JSON fails the
/// test: every line must be one object).
std::vector<json> json_lines(const std::string& path) {
  std::fflush(stderr);
  std::ifstream in{path};
  std::vector<json> out;
  for (std::string line; std::getline(in, line);) {
    auto doc = json::parse(line, nullptr, false);
    INFO(line);
    REQUIRE_FALSE(doc.is_discarded());
    out.push_back(std::move(doc));
  }
  return out;
}

} // namespace

TEST_CASE("a JSON log line carries its structured values in \"fields\", "
          "and an empty object when it has none") {
  troupe::test::temp_dir dir;
  auto path = dir.file("log");
  {
    json_stderr redirect{path};
    std::string reason = "it went \"silent\"";
    troupe::log::write(troupe::log::level::warning, "membership",
                       "member n2 is down",
                       {{"member", "n2"},
                        {"address", "127.0.0.1:" + std::to_string(4000)},
                        {"reason", reason}});
    troupe::log::write(troupe::log::level::info, "node", "no fields here");
  }
  auto lines = json_lines(path);
  REQUIRE(lines.size() == 2);
  auto& first = lines[0];
  for (auto* key : {"time", "level", "node", "component", "message", "fields"})
    CHECK(first.contains(key));
  CHECK(first.at("level") == "warning");
  CHECK(first.at("component") == "membership");
  CHECK(first.at("message") == "member n2 is down");
  auto& fields = first.at("fields");
  REQUIRE(fields.is_object());
  CHECK(fields.size() == 3);
  CHECK(fields.at("member") == "n2");
  CHECK(fields.at("address") == "127.0.0.1:4000");
  CHECK(fields.at("reason") == "it went \"silent\"");
  CHECK(lines[1].at("fields") == json::object());
}

TEST_CASE("the transport's refusal of a peer that sends no valid handshake "
          "is a JSON line naming the peer's address and the reason") {
  troupe::test::temp_dir dir;
  auto path = dir.file("log");
  troupe::test::test_config cfg;
  cfg.set("troupe.node-name", "obs-log-1");
  cfg.set("troupe.listen", "127.0.0.1:0");
  auto nd = troupe::node::start(cfg);
  REQUIRE(nd);
  json refusal;
  {
    json_stderr redirect{path};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((*nd)->port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    sockaddr_in mine{};
    socklen_t len = sizeof(mine);
    getsockname(fd, reinterpret_cast<sockaddr*>(&mine), &len);
    auto my_address = "127.0.0.1:" + std::to_string(ntohs(mine.sin_port));
    // A frame header announcing a frame far over the handshake's size.
    std::string junk(16, '\xff');
    REQUIRE(send(fd, junk.data(), junk.size(), MSG_NOSIGNAL)
            == static_cast<ssize_t>(junk.size()));
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (refusal.is_null() && std::chrono::steady_clock::now() < deadline) {
      for (auto& line : json_lines(path))
        if (line.value("component", "") == "transport"
            && line.contains("fields")
            && line["fields"].value("peer_address", "") == my_address)
          refusal = line;
      if (refusal.is_null())
        std::this_thread::sleep_for(20ms); // re-read interval
    }
    close(fd);
  }
  INFO(refusal.dump());
  REQUIRE_FALSE(refusal.is_null());
  CHECK(refusal.at("level") == "warning");
  CHECK(refusal.at("node") == "obs-log-1");
  CHECK(refusal["fields"].at("phase") == "handshake");
  CHECK_FALSE(refusal["fields"].at("reason").get<std::string>().empty());
}
