// troupe::config::load as a user's program meets it: the help, the errors,
// both ways of writing an option, checked values and config files.

#include <chrono>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include <caf/config_option_adder.hpp>

#include "core/option_text.hpp"
#include "temp_dir.hpp"
#include "troupe/config.hpp"

using namespace std::chrono_literals;

namespace {

/// A user's program: its own options bound to variables with opt_group.
struct app_config : troupe::config {
  int64_t nodes = 3;
  std::string mode = "fast";
  caf::timespan pause{250ms};
  bool verbose = false;
  app_config() {
    opt_group{custom_options_, "app"}
        .add(nodes, "nodes", "how many nodes to start")
        .add(mode, "mode", "fast or safe")
        .add(pause, "pause", "pause between rounds")
        .add(verbose, "verbose", "print every round");
    choices("app.mode", {"fast", "safe"});
  }
};

struct outcome {
  bool ok;
  int code;
  std::string err;
};

outcome load(app_config& cfg, std::vector<std::string> args) {
  std::ostringstream err;
  bool ok = cfg.load("app", std::move(args), err);
  return {ok, ok ? -1 : cfg.exit_code(), err.str()};
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string write(const troupe::test::temp_dir& dir, const char* name,
                  const std::string& text) {
  auto path = dir.file(name);
  std::ofstream{path} << text;
  return path;
}

} // namespace

TEST_CASE("the help lists troupe's and the application's options with "
          "their defaults") {
  app_config cfg;
  auto text = cfg.help_text("app");
  CHECK(has(text, "--troupe.listen=TEXT"));
  CHECK(has(text, "--troupe.heartbeat-interval=DURATION"));
  CHECK(has(text, "default 200ms"));
  CHECK(has(text, "--app.nodes=INT"));
  CHECK(has(text, "how many nodes to start (default: 3)"));
  CHECK(has(text, "pause between rounds (default: 250ms)"));
  CHECK(has(text, "--app.verbose "));
  CHECK(has(text, "-h, --help"));
  // CAF's own options only with --long-help, but the short help says so.
  CHECK_FALSE(has(text, "--scheduler.max-threads"));
  CHECK(has(text, "`app --long-help` lists them"));
  CHECK(has(cfg.help_text("app", true), "--scheduler.max-threads=INT"));
  auto r = load(cfg, {"--help"});
  CHECK_FALSE(r.ok);
  CHECK(r.code == 0);
}

TEST_CASE("an unknown option is a sentence naming it, with a did-you-mean") {
  app_config cfg;
  auto r = load(cfg, {"--troupe.lisen=127.0.0.1:0"});
  CHECK_FALSE(r.ok);
  CHECK(r.code == 2);
  CHECK(has(r.err, "error: unknown option --troupe.lisen; did you mean "
                   "--troupe.listen?"));
  CHECK(has(r.err, "run `app --help` to list every option"));
  CHECK_FALSE(has(r.err, "parser_error"));
  app_config cfg2;
  // A troupe option written without its category.
  CHECK(has(load(cfg2, {"--seeds=a:1"}).err, "did you mean --troupe.seeds?"));
}

TEST_CASE("an option is set by --flag value and by --flag=value alike") {
  app_config cfg;
  auto r = load(cfg, {"--troupe.seeds", "127.0.0.1:27031", "--app.nodes", "7",
                      "--troupe.role=client", "--app.verbose"});
  REQUIRE(r.ok);
  CHECK(caf::get_or(cfg.content, "troupe.seeds", std::string{})
        == "127.0.0.1:27031");
  CHECK(cfg.role() == "client");
  CHECK(cfg.nodes == 7);
  CHECK(cfg.verbose);
  app_config cfg2;
  auto missing = load(cfg2, {"--troupe.seeds"});
  CHECK(has(missing.err, "--troupe.seeds needs a value: --troupe.seeds=VALUE "
                         "or --troupe.seeds VALUE"));
}

TEST_CASE("arguments that are not options are left in remainder") {
  app_config cfg;
  REQUIRE(load(cfg, {"--app.nodes=2", "input.txt", "--not-parsed"}).ok);
  CHECK(cfg.remainder == std::vector<std::string>{"input.txt", "--not-parsed"});
}

TEST_CASE("an enumeration refuses a value that is not one of its choices") {
  app_config cfg;
  auto r = load(cfg, {"--troupe.role=wroker"});
  CHECK_FALSE(r.ok);
  CHECK(has(r.err, "--troupe.role must be worker or client, got \"wroker\" "
                   "(did you mean worker?)"));
  app_config cfg2;
  CHECK(has(load(cfg2, {"--troupe.log-level", "verbose"}).err,
            "--troupe.log-level must be debug, info, warning, error or quiet"));
  app_config cfg3;
  CHECK(has(load(cfg3, {"--app.mode=slow"}).err, "must be fast or safe"));
}

TEST_CASE("a duration needs its unit, and the error says so") {
  app_config cfg;
  auto r = load(cfg, {"--troupe.heartbeat-interval=200"});
  CHECK_FALSE(r.ok);
  CHECK(has(r.err, "--troupe.heartbeat-interval needs a duration with a unit "
                   "(ns, us, ms, s, min, h), e.g. 200ms; got \"200\""));
  app_config cfg2;
  REQUIRE(
      load(cfg2, {"--troupe.heartbeat-interval=50ms", "--app.pause=2s"}).ok);
  CHECK(caf::get_or(cfg2.content, "troupe.heartbeat-interval", caf::timespan{})
        == caf::timespan{50ms});
  CHECK(cfg2.pause == caf::timespan{2s});
  app_config cfg3;
  CHECK(has(load(cfg3, {"--app.nodes=many"}).err,
            "--app.nodes needs a whole number; got \"many\""));
}

TEST_CASE("a config file sets options bound with opt_group and the command "
          "line wins over it") {
  troupe::test::temp_dir dir;
  auto path = write(dir, "app.conf",
                    "app {\n  nodes = 9\n  pause = 1s\n  mode = \"safe\"\n}\n"
                    "troupe {\n  role = \"client\"\n}\n");
  app_config cfg;
  REQUIRE(load(cfg, {"--config-file", path, "--app.pause=3s"}).ok);
  CHECK(cfg.nodes == 9);
  CHECK(cfg.mode == "safe");
  CHECK(cfg.pause == caf::timespan{3s});
  CHECK(cfg.role() == "client");
  CHECK(caf::get_or(cfg.content, "app.nodes", int64_t{0}) == 9);
}

TEST_CASE("a config file's error names the file and the line") {
  troupe::test::temp_dir dir;
  SECTION("a syntax error") {
    auto path = write(dir, "bad.conf", "troupe {\n  role = \"client\n}\n");
    app_config cfg;
    auto r = load(cfg, {"--config-file=" + path});
    CHECK_FALSE(r.ok);
    CHECK(has(r.err, "error: " + path + ":2:"));
    CHECK(has(r.err, "syntax error"));
  }
  SECTION("an unknown option") {
    auto path = write(dir, "typo.conf",
                      "troupe {\n  role = \"client\"\n  lisen = \"x:1\"\n}\n");
    app_config cfg;
    CHECK(has(load(cfg, {"--config-file=" + path}).err,
              path
                  + ":3: unknown option troupe.lisen (did you mean "
                    "troupe.listen?)"));
  }
  SECTION("a value that is not one of the choices") {
    auto path = write(dir, "role.conf", "troupe {\n  role = \"wroker\"\n}\n");
    app_config cfg;
    CHECK(has(load(cfg, {"--config-file=" + path}).err,
              path + ":2: troupe.role must be worker or client"));
  }
  SECTION("a duration without its unit") {
    auto path = write(dir, "dur.conf", "app {\n  pause = 5\n}\n");
    app_config cfg;
    CHECK(has(load(cfg, {"--config-file=" + path}).err,
              path + ":2: app.pause needs a duration with a unit"));
  }
  SECTION("a file that does not exist") {
    app_config cfg;
    CHECK(has(load(cfg, {"--config-file", dir.file("none.conf")}).err,
              "cannot read the config file " + dir.file("none.conf")));
  }
}

TEST_CASE("did-you-mean suggests only near names") {
  std::vector<std::string> names{"troupe.listen", "troupe.seeds", "app.nodes"};
  CHECK(troupe::core::closest("troupe.lisen", names) == "troupe.listen");
  CHECK(troupe::core::closest("troupe.sedes", names) == "troupe.seeds");
  CHECK(troupe::core::closest("nodes", names) == "app.nodes");
  CHECK(troupe::core::closest("completely-else", names).empty());
  CHECK(troupe::core::edit_distance("abc", "acb") == 1);
}
