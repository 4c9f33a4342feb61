// Specification of what a work queue does with a damaged log at start
// (job_log.hpp does the reading): a torn tail is cut, damage in the middle
// loses only the damaged records and is reported to the queue's owner.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <tuple>

#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include <work_queue/job_log.hpp>
#include <work_queue/work_queue.hpp>

#include "test_support.hpp"
#include "work_queue_fixture.hpp"

using namespace troupe;
using namespace troupe::test;
using namespace troupe::wq;
namespace fs = std::filesystem;

namespace {

/// What the queue answers to log_damage_atom.
std::tuple<uint64_t, uint64_t, std::string>
log_damage(caf::actor_system& sys, const caf::actor& q) {
  caf::scoped_actor self{sys};
  std::tuple<uint64_t, uint64_t, std::string> result{};
  self->request(q, bound, log_damage_atom::value)
    .receive([&](uint64_t bytes, uint64_t ranges,
                 std::string& aside) { result = {bytes, ranges, aside}; },
             [&](caf::error&) { FAIL("log_damage failed"); });
  return result;
}

} // namespace

TEST_CASE("work queue: a truncated or corrupt log tail is dropped, earlier records survive") {
  temp_dir dir;
  auto path = dir.file("q.log");
  {
    test_config cfg;
    troupe::system sys{cfg};
    auto q = spawn_queue(sys.actors(), {.log_path = path});
    queue_guard guard{sys.actors(), q};
    for (uint64_t id = 1; id <= 3; ++id)
      REQUIRE(enqueue(sys.actors(), q, id, std::string(100, 'a')));
    stop(sys.actors(), q);
  }
  // A crash in the middle of writing record 3: cut its last 10 bytes.
  fs::resize_file(path, fs::file_size(path) - 10);
  {
    test_config cfg;
    troupe::system sys{cfg};
    auto q = spawn_queue(sys.actors(), {.log_path = path});
    queue_guard guard{sys.actors(), q};
    CHECK(std::get<0>(stats(sys.actors(), q)) == 2u);
    REQUIRE(enqueue(sys.actors(), q, 4, "after")); // appends on a clean boundary
    stop(sys.actors(), q);
  }
  // Garbage after valid records, shaped like a record: a plausible length,
  // kind and id (an enqueue of job 9), so only its checksum can reject it.
  // (write(), not <<, which stops at the first NUL.)
  {
    std::string junk("\x0e\x00\x00\x00", 4);  // length 14: kind, id, 5 bytes
    junk += "\xde\xad\xbe\xef";               // not the body's crc32
    junk += std::string("\x01\x09\x00\x00\x00\x00\x00\x00\x00", 9);
    junk += "junk!";
    std::ofstream out{path, std::ios::binary | std::ios::app};
    out.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  test_config cfg;
  troupe::system sys{cfg};
  auto q = spawn_queue(sys.actors(), {.log_path = path});
  queue_guard guard{sys.actors(), q};
  CHECK(stats(sys.actors(), q) == std::tuple<size_t, size_t, size_t, size_t>{3, 0, 0, 3});
  caf::scoped_actor self{sys.actors()};
  CHECK(pull_id(self, q) == 1u);
  CHECK(pull_id(self, q) == 2u);
  CHECK(pull(self, q) == pulled{4, "after", 0});
  stop(sys.actors(), q);
}

TEST_CASE("work queue: damage in the middle of the log loses only the "
          "damaged job, and the queue reports it") {
  temp_dir dir;
  auto path = dir.file("q.log");
  {
    test_config cfg;
    troupe::system sys{cfg};
    auto q = spawn_queue(sys.actors(), {.log_path = path});
    queue_guard guard{sys.actors(), q};
    for (uint64_t id = 1; id <= 5; ++id)
      REQUIRE(enqueue(sys.actors(), q, id, std::string(100, char('a' + id))));
    CHECK(log_damage(sys.actors(), q) == std::tuple<uint64_t, uint64_t, std::string>{0, 0, ""});
    stop(sys.actors(), q);
  }
  // Records are 8 + 1 + 8 + 100 bytes: overwrite 4 bytes inside job 3's
  // payload (a bad sector, a stray write).
  std::string bytes;
  {
    std::ifstream in{path, std::ios::binary};
    bytes.assign(std::istreambuf_iterator<char>{in}, {});
  }
  REQUIRE(bytes.size() == 5 * 117u);
  {
    std::fstream out{path, std::ios::binary | std::ios::in | std::ios::out};
    out.seekp(2 * 117 + 60);
    out.write("\xff\x00\xff\x00", 4);
  }
  test_config cfg;
  troupe::system sys{cfg};
  auto q = spawn_queue(sys.actors(), {.log_path = path});
  queue_guard guard{sys.actors(), q};
  CHECK(std::get<0>(stats(sys.actors(), q)) == 4u);
  auto [damaged, ranges, aside] = log_damage(sys.actors(), q);
  CHECK(damaged == 117u);
  CHECK(ranges == 1u);
  CHECK(aside.rfind(path + ".damaged-", 0) == 0);
  CHECK(fs::file_size(aside) == bytes.size());
  caf::scoped_actor self{sys.actors()};
  for (uint64_t id : {1, 2, 4, 5})
    CHECK(pull_id(self, q) == id);
  stop(sys.actors(), q);
}
