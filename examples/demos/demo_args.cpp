#include "demos/demo_args.hpp"

#include <cstdlib>
#include <iostream>
#include <sstream>

namespace troupe::demo {

const char* cluster_flags_help =
  "  --nodes N          worker node processes of the embedded local cluster\n"
  "                     (default 3)\n"
  "  --seed HOST:PORT   run against a running cluster instead (started with\n"
  "                     `troupe cluster up` or `troupe node`)\n"
  "  --listen HOST:PORT this process's address when it joins (default\n"
  "                     127.0.0.1:0; use a reachable host with --seed on\n"
  "                     other machines)\n"
  "  --log-level LEVEL  this process's log level: debug, info, warning,\n"
  "                     error (default) or quiet\n";

namespace {

template <class T>
std::string out_of_range(const char* kind, T lo, T hi, const char* text) {
  std::ostringstream out;
  out << "needs " << kind << " between " << lo << " and " << hi << ", got \""
      << text << "\"";
  return out.str();
}

} // namespace

demo_args& demo_args::cluster(demo_cluster_options& opt) {
  return integer("--nodes", opt.nodes, 1, 64)
    .text("--seed", opt.seed)
    .text("--listen", opt.listen)
    .text("--log-level", opt.log_level);
}

demo_args& demo_args::add(std::string flag, bool takes_value,
                          std::function<std::string(const char*)> store) {
  flags_.push_back({std::move(flag), takes_value, std::move(store)});
  return *this;
}

demo_args& demo_args::add_integer(std::string flag, uint64_t lo, uint64_t hi,
                                  std::function<void(uint64_t)> store) {
  return add(std::move(flag), true, [=](const char* text) -> std::string {
    char* end = nullptr;
    auto x = std::strtoull(text, &end, 10);
    if (end == text || *end != '\0' || *text == '-' || x < lo || x > hi)
      return out_of_range("an integer", lo, hi, text);
    store(x);
    return {};
  });
}

demo_args& demo_args::decimal(std::string flag, double& out, double lo,
                              double hi) {
  return add(std::move(flag), true, [&out, lo, hi](const char* text) {
    char* end = nullptr;
    auto x = std::strtod(text, &end);
    if (end == text || *end != '\0' || !(x >= lo && x <= hi))
      return out_of_range("a number", lo, hi, text);
    out = x;
    return std::string{};
  });
}

demo_args& demo_args::text(std::string flag, std::string& out) {
  return add(std::move(flag), true, [&out](const char* text) {
    out = text;
    return std::string{};
  });
}

demo_args& demo_args::sets(std::string flag, bool& out, bool value) {
  return add(std::move(flag), false, [&out, value](const char*) {
    out = value;
    return std::string{};
  });
}

const demo_args::flag* demo_args::find(const std::string& name) const {
  for (auto& f : flags_)
    if (f.name == name)
      return &f;
  return nullptr;
}

std::optional<int> demo_args::parse(int argc, char** argv) const {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << usage_;
      return 0;
    }
    auto f = find(arg);
    std::optional<std::string> value;
    if (auto eq = arg.find('='); !f && eq != std::string::npos) {
      f = find(arg.substr(0, eq));
      if (f && f->takes_value) {
        value = arg.substr(eq + 1);
        arg.resize(eq);
      } else {
        f = nullptr;
      }
    }
    if (!f)
      return fail("unknown option " + arg);
    if (f->takes_value && !value) {
      if (i + 1 >= argc)
        return fail(arg + " needs a value");
      value = argv[++i];
    }
    if (auto err = f->store(value ? value->c_str() : nullptr); !err.empty())
      return fail(arg + " " + err);
  }
  return std::nullopt;
}

int demo_args::fail(const std::string& what) const {
  std::cerr << "error: " << what << "\n" << usage_;
  return 2;
}

} // namespace troupe::demo
