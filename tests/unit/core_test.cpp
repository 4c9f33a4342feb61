#include <algorithm>
#include <sstream>
#include <thread>

#include <catch2/catch.hpp>

#include "test_support.hpp"

using namespace troupe;

namespace {
struct point {
  int32_t x = 0;
  int32_t y = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, point& p) {
  return f(caf::meta::type_name("point"), p.x, p.y);
}
} // namespace

TEST_CASE("troupe errors render what happened and what to do") {
  auto err = make_error(errc::restart_intensity_exceeded, "child \"db\"");
  auto text = render(err);
  CHECK(text.find("restart_intensity_exceeded") != std::string::npos);
  CHECK(text.find("child \"db\"") != std::string::npos);
  CHECK(text.find("raise the supervisor's intensity") != std::string::npos);
  CHECK(err == errc::restart_intensity_exceeded);
  CHECK(err != errc::timeout);
}

TEST_CASE("troupe errors render through the actor system too") {
  test::test_config cfg;
  troupe::system sys{cfg};
  auto text = sys.actors().render(make_error(errc::name_buffer_full, "x"));
  CHECK(text.find("name_buffer_full") != std::string::npos);
  CHECK(text.find("raise supervisor_spec::name_buffer") != std::string::npos);
}

TEST_CASE("CAF errors get advice when troupe knows what to do") {
  auto text = render(caf::make_error(caf::sec::request_timeout));
  CHECK(text.find("request_timeout") != std::string::npos);
  CHECK(text.find("allow a longer deadline") != std::string::npos);
}

TEST_CASE("the type set id is the same for the same types and differs otherwise") {
  config a;
  config b;
  CHECK(a.type_set_id() == b.type_set_id());
  a.add_message_type<point>("point");
  CHECK(a.type_set_id() != b.type_set_id());
  b.add_message_type<point>("point");
  CHECK(a.type_set_id() == b.type_set_id());
  auto names = a.type_names();
  CHECK(std::find(names.begin(), names.end(), "point") != names.end());
}

TEST_CASE("config reads troupe options from the command line") {
  config cfg;
  std::ostringstream err;
  const char* argv[] = {"prog", "--troupe.node-name=alpha",
                        "--troupe.log-level=warning"};
  REQUIRE(cfg.load(3, const_cast<char**>(argv), err));
  CHECK(cfg.node_name() == "alpha");
  CHECK(cfg.log_level() == "warning");
}

TEST_CASE("config rejects a malformed option with a message naming it") {
  config cfg;
  std::ostringstream err;
  const char* argv[] = {"prog", "--scheduler.max-threads=lots"};
  CHECK_FALSE(cfg.load(2, const_cast<char**>(argv), err));
  CHECK(cfg.exit_code() == 2);
  CHECK(err.str().find("--help") != std::string::npos);
}

TEST_CASE("a system runs one scheduler thread per core unless told otherwise") {
  auto cores = std::max(size_t{2}, size_t{std::thread::hardware_concurrency()});
  SECTION("default") {
    config cfg;
    cfg.set("troupe.log-level", "quiet");
    troupe::system sys{cfg};
    CHECK(sys.actors().scheduler().num_workers() == cores);
  }
  SECTION("the command line wins") {
    config cfg;
    std::ostringstream err;
    const char* argv[] = {"prog", "--scheduler.max-threads=3",
                          "--troupe.log-level=quiet"};
    REQUIRE(cfg.load(3, const_cast<char**>(argv), err));
    troupe::system sys{cfg};
    CHECK(sys.actors().scheduler().num_workers() == 3);
  }
}
