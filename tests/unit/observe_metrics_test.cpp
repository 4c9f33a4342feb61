// The metrics registry and the JSON log lines (issue 16, items 1 and 6).

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "temp_dir.hpp"
#include "test_support.hpp"
#include "troupe/log.hpp"
#include "troupe/metrics.hpp"
#include "troupe/system.hpp"

using namespace std::chrono_literals;
namespace metrics = troupe::metrics;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in{text};
  std::string x;
  while (std::getline(in, x))
    if (x == line)
      return true;
  return false;
}

} // namespace

TEST_CASE("counters and gauges are rendered in the Prometheus text format "
          "with escaped label values") {
  auto& c = metrics::get_counter("test_obs_events_total", "events seen",
                                 {{"kind", "a\"b\\c\nd"}});
  c.add();
  c.add(2);
  auto& g = metrics::get_gauge("test_obs_depth", "a depth");
  g.set(7);
  g.add(-2);
  g.raise_to(3); // lower: no change
  auto text = metrics::render_prometheus();
  CHECK(has_line(text, "# HELP test_obs_events_total events seen"));
  CHECK(has_line(text, "# TYPE test_obs_events_total counter"));
  CHECK(has_line(text, R"(test_obs_events_total{kind="a\"b\\c\nd"} 3)"));
  CHECK(has_line(text, "# TYPE test_obs_depth gauge"));
  CHECK(has_line(text, "test_obs_depth 5"));
  // The same name and labels are the same series.
  CHECK(&metrics::get_counter("test_obs_events_total", "",
                              {{"kind", "a\"b\\c\nd"}})
        == &c);
}

TEST_CASE("a histogram renders cumulative buckets, its sum and its count") {
  auto& h = metrics::get_histogram("test_obs_took_seconds", "durations");
  h.observe(50us);
  h.observe(800us);
  h.observe(2s);
  auto text = metrics::render_prometheus();
  CHECK(has_line(text, "# TYPE test_obs_took_seconds histogram"));
  CHECK(has_line(text, R"(test_obs_took_seconds_bucket{le="1e-05"} 0)"));
  CHECK(has_line(text, R"(test_obs_took_seconds_bucket{le="0.0001"} 1)"));
  CHECK(has_line(text, R"(test_obs_took_seconds_bucket{le="0.001"} 2)"));
  CHECK(has_line(text, R"(test_obs_took_seconds_bucket{le="1"} 2)"));
  CHECK(has_line(text, R"(test_obs_took_seconds_bucket{le="5"} 3)"));
  CHECK(has_line(text, R"(test_obs_took_seconds_bucket{le="+Inf"} 3)"));
  CHECK(has_line(text, "test_obs_took_seconds_count 3"));
  CHECK(has_line(text, "test_obs_took_seconds_sum 2.00085"));
}

TEST_CASE("samples of collectors add up per series, and a removed collector "
          "is not run again") {
  auto add = [](double v) {
    return metrics::add_collector([v](std::vector<metrics::sample>& out) {
      out.push_back({"test_obs_collected_total",
                     "from collectors",
                     true,
                     {{"peer", "x"}},
                     v});
    });
  };
  auto a = add(2);
  auto b = add(5);
  CHECK(has_line(metrics::render_prometheus(),
                 R"(test_obs_collected_total{peer="x"} 7)"));
  metrics::remove_collector(b);
  CHECK(has_line(metrics::render_prometheus(),
                 R"(test_obs_collected_total{peer="x"} 2)"));
  metrics::remove_collector(a);
  CHECK(metrics::render_prometheus().find("test_obs_collected_total")
        == std::string::npos);
}

TEST_CASE("a name registered as a counter cannot also be a gauge: the gauge "
          "counts into a sink that is not exported") {
  metrics::get_counter("test_obs_clash_total", "a counter").add(4);
  auto& g = metrics::get_gauge("test_obs_clash_total", "a gauge");
  g.set(99);
  auto text = metrics::render_prometheus();
  CHECK(has_line(text, "test_obs_clash_total 4"));
  CHECK(text.find("test_obs_clash_total 99") == std::string::npos);
  // The snapshot for JSON views sees the same values.
  bool found = false;
  for (auto& s : metrics::snapshot())
    if (s.name == "test_obs_clash_total") {
      found = true;
      CHECK(s.value == 4);
      CHECK(s.is_counter);
    }
  CHECK(found);
}

TEST_CASE("with log format json each line is one JSON object with time, "
          "level, node, component and message") {
  troupe::test::temp_dir dir;
  auto path = dir.file("log");
  std::fflush(stderr);
  int saved = dup(2);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  dup2(fd, 2);
  close(fd);
  troupe::log::set_node("n\"1");
  REQUIRE(troupe::log::set_format("json"));
  troupe::log::write(troupe::log::level::warning, "comp",
                     "a \"quoted\" message\nwith a newline and \xff");
  REQUIRE(troupe::log::set_format("text"));
  troupe::log::write(troupe::log::level::info, "comp", "a text line");
  CHECK_FALSE(troupe::log::set_format("yaml"));
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  troupe::log::set_node("-");
  std::ifstream in{path};
  std::string first, second, rest;
  REQUIRE(std::getline(in, first));
  REQUIRE(std::getline(in, second));
  CHECK_FALSE(std::getline(in, rest)); // the newline stayed inside the JSON
  auto doc = nlohmann::json::parse(first);
  CHECK(doc.at("level") == "warning");
  CHECK(doc.at("node") == "n\"1");
  CHECK(doc.at("component") == "comp");
  CHECK(doc.at("message")
        == "a \"quoted\" message\nwith a newline and \xef\xbf\xbd");
  auto time = doc.at("time").get<std::string>();
  CHECK(time.size() == 24);
  CHECK(time.back() == 'Z');
  CHECK(second.find(" WARN ") == std::string::npos);
  CHECK(second.find("INFO comp: a text line") != std::string::npos);
}

TEST_CASE("with troupe.metrics=off every update is a no-op, and a system "
          "started with metrics on counts again") {
  auto& c = metrics::get_counter("obs_switch_total", "the switch test");
  auto& g = metrics::get_gauge("obs_switch_gauge", "the switch test");
  auto& h = metrics::get_histogram("obs_switch_seconds", "the switch test");
  {
    troupe::test::test_config off;
    off.set("troupe.metrics", "off");
    troupe::system sys{off};
    CHECK_FALSE(metrics::enabled());
    c.add(5);
    g.set(7);
    g.raise_to(9);
    h.observe(1ms);
    CHECK(c.value() == 0);
    CHECK(g.value() == 0);
    CHECK(h.bucket(3) == 0);
  }
  troupe::test::test_config on;
  troupe::system sys{on};
  CHECK(metrics::enabled());
  c.add(5);
  g.set(7);
  CHECK(c.value() == 5);
  CHECK(g.value() == 7);
}
