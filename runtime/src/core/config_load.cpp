// troupe::config::load: the command line and the config file, in front of
// CAF 0.17's own parser (which would print `parser_error(not_an_option,
// ...)`, refuse `--flag value`, accept any text for an enumeration and leave
// variables bound with opt_group at their defaults when a file sets them).

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include <caf/actor_system_config.hpp>
#include <caf/config_value.hpp>
#include <caf/pec.hpp>
#include <caf/settings.hpp>

#include "core/option_text.hpp"
#include "troupe/config.hpp"
#include "troupe/errc.hpp"

namespace troupe {

namespace {

using choice_map = std::map<std::string, std::vector<std::string>, std::less<>>;

constexpr std::string_view cafs_categories[]
    = {"stream",    "scheduler", "work-stealing", "logger",
       "middleman", "openssl",   "opencl"};

bool is_cafs(caf::string_view category) {
  for (auto c : cafs_categories)
    if (category.compare(caf::string_view{c.data(), c.size()}) == 0)
      return true;
  return false;
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (auto& w : words)
    out += (out.empty() ? "" : ", ") + w;
  return out;
}

std::string as_text(const caf::config_value& x) {
  if (auto s = caf::get_if<std::string>(&x))
    return *s;
  if (auto a = caf::get_if<caf::atom_value>(&x))
    return caf::to_string(*a);
  return caf::to_string(x);
}

/// Empty if `value` is one of the choices of option `name` (or it has none).
std::string check_choice(const choice_map& choices, const std::string& name,
                         const std::string& value) {
  auto i = choices.find(name);
  if (i == choices.end())
    return {};
  for (auto& allowed : i->second)
    if (allowed == value)
      return {};
  auto text = "must be " + core::either(i->second) + ", got \"" + value + "\"";
  if (auto near = core::closest(value, i->second); !near.empty())
    text += " (did you mean " + near + "?)";
  return text;
}

/// The first line of `path` that assigns `key`'s last part ("listen =").
size_t line_of(const std::string& path, const std::string& key) {
  auto leaf = key.substr(key.rfind('.') + 1);
  std::ifstream in{path};
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    auto at = line.find(leaf);
    while (at != std::string::npos) {
      auto rest = line.find_first_not_of(" \t", at + leaf.size());
      bool starts = at == 0 || line[at - 1] == ' ' || line[at - 1] == '\t'
                    || line[at - 1] == '{' || line[at - 1] == '.';
      if (starts && rest != std::string::npos && line[rest] == '=')
        return n;
      at = line.find(leaf, at + 1);
    }
  }
  return 0;
}

template <class F>
void for_each_leaf(const caf::settings& xs, const std::string& prefix, F& f) {
  for (auto& [key, value] : xs) {
    auto name = prefix.empty() ? key : prefix + "." + key;
    if (auto sub = caf::get_if<caf::settings>(&value))
      for_each_leaf(*sub, name, f);
    else
      f(name, value);
  }
}

std::string content_key(const caf::config_option& opt) {
  return core::cli_name(opt); // "help" stays flat, as CAF keeps it
}

/// Reads `path` into `content` and the bound variables; an error sentence
/// starting with "FILE:LINE:" otherwise.
std::string apply_file(caf::config_option_set& opts, caf::settings& content,
                       const choice_map& choices, const std::string& path) {
  if (!std::ifstream{path})
    return "cannot read the config file " + path
           + " (no such file, or no "
             "permission)";
  auto parsed = caf::actor_system_config::parse_config_file(path.c_str());
  if (!parsed) {
    auto& e = parsed.error();
    std::ostringstream out;
    out << path;
    bool newline
        = e.category() == caf::atom("parser")
          && static_cast<caf::pec>(e.code()) == caf::pec::unexpected_newline;
    if (e.context().match_elements<caf::settings>()) {
      auto& where = e.context().get_as<caf::settings>(0);
      auto line = caf::get_or(where, "line", size_t{0});
      auto column = caf::get_or(where, "column", size_t{0});
      // CAF counts the newline it did not expect as the next line's start.
      if (newline && line > 1 && column <= 1)
        out << ':' << line - 1;
      else
        out << ':' << line << ':' << column;
    }
    auto what = e.category() == caf::atom("parser")
                    ? caf::to_string(static_cast<caf::pec>(e.code()))
                    : caf::to_string(e);
    for (auto& c : what)
      if (c == '_')
        c = ' ';
    out << ": syntax error (" << what
        << (newline ? ": the line ends inside a value, an unclosed quote?" : "")
        << ") in this config file";
    return out.str();
  }
  std::string failure;
  auto names = core::cli_names(opts);
  auto apply = [&](const std::string& key, const caf::config_value& value) {
    if (!failure.empty())
      return;
    auto where = path + ":" + std::to_string(line_of(path, key)) + ": ";
    auto dot = key.rfind('.');
    auto opt = dot == std::string::npos
                   ? opts.qualified_name_lookup("global", key)
                   : opts.qualified_name_lookup(key);
    if (opt == nullptr) {
      failure = where + "unknown option " + key;
      if (auto near = core::closest(key, names); !near.empty())
        failure += " (did you mean " + near + "?)";
      return;
    }
    auto v = value;
    if (opt->check(v)) {
      auto reparsed
          = caf::get_if<std::string>(&v) != nullptr
                ? opt->parse(*caf::get_if<std::string>(&v))
                : caf::expected<caf::config_value>{caf::sec::invalid_argument};
      if (!reparsed) {
        failure = where + key + " " + core::value_hint(*opt) + ", got "
                  + caf::to_string(value);
        return;
      }
      v = std::move(*reparsed);
    }
    if (auto bad = check_choice(choices, key, as_text(v)); !bad.empty()) {
      failure = where + key + " " + bad;
      return;
    }
    opt->store(v);
    caf::put(content, content_key(*opt), std::move(v));
  };
  for_each_leaf(*parsed, std::string{}, apply);
  return failure;
}

struct cli_scan {
  bool help = false;
  bool long_help = false;
  std::string config_file;
};

/// The arguments that decide what else happens: help and the config file.
cli_scan scan(const std::vector<std::string>& args) {
  cli_scan out;
  for (size_t i = 0; i < args.size(); ++i) {
    auto& a = args[i];
    if (a == "--")
      break;
    if (a == "-h" || a == "-?" || a == "--help")
      out.help = true;
    else if (a == "--long-help")
      out.help = out.long_help = true;
    else if (a.rfind("--config-file=", 0) == 0)
      out.config_file = a.substr(14);
    else if (a == "--config-file" && i + 1 < args.size())
      out.config_file = args[++i];
  }
  return out;
}

/// Applies the command line to `content` and the bound variables; an error
/// sentence otherwise. Positional arguments go to `rest`.
std::string apply_args(caf::config_option_set& opts, caf::settings& content,
                       const choice_map& choices,
                       const std::vector<std::string>& args,
                       std::vector<std::string>& rest) {
  auto names = core::cli_names(opts);
  for (size_t i = 0; i < args.size(); ++i) {
    auto& a = args[i];
    if (a == "--") {
      rest.insert(rest.end(), args.begin() + static_cast<long>(i) + 1,
                  args.end());
      return {};
    }
    if (a.size() < 2 || a[0] != '-') {
      rest.insert(rest.end(), args.begin() + static_cast<long>(i), args.end());
      return {};
    }
    if (a == "-h" || a == "-?")
      continue;
    if (a[1] != '-')
      return "unknown option " + a
             + " (options are written --NAME=VALUE or "
               "--NAME VALUE)";
    auto body = a.substr(2);
    auto eq = body.find('=');
    auto name = body.substr(0, eq);
    auto opt = opts.cli_long_name_lookup(name);
    if (opt == nullptr) {
      auto text = "unknown option --" + name;
      if (auto near = core::closest(name, names); !near.empty())
        text += "; did you mean --" + near + "?";
      return text;
    }
    std::string value;
    if (eq != std::string::npos) {
      value = body.substr(eq + 1);
    } else if (opt->is_flag()) {
      value = "true";
    } else if (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) {
      value = args[++i];
    } else {
      auto hint = core::value_hint(*opt);
      return "--" + name + " needs a value: --" + name + "=VALUE or --" + name
             + " VALUE" + (hint == "needs a text" ? "" : " (it " + hint + ")");
    }
    if (name == "config-file" || name == "help" || name == "long-help")
      continue; // read before (scan)
    caf::config_value v;
    if (opt->is_flag()) {
      if (value != "true" && value != "false")
        return "--" + name + " is a flag: write --" + name + " or --" + name
               + "=false, not \"" + value + "\"";
      v = caf::config_value{value == "true"};
      opt->store(v);
    } else {
      auto parsed = opt->parse(value);
      if (!parsed)
        return "--" + name + " " + core::value_hint(*opt) + "; got \"" + value
               + "\"";
      v = std::move(*parsed);
    }
    if (auto bad = check_choice(choices, core::cli_name(*opt), value);
        !bad.empty())
      return "--" + name + " " + bad;
    caf::put(content, content_key(*opt), std::move(v));
  }
  return {};
}

} // namespace

bool config::load(int argc, char** argv, std::ostream& err) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i)
    args.emplace_back(argv[i]);
  std::string program = argc > 0 ? argv[0] : "program";
  if (auto slash = program.rfind('/'); slash != std::string::npos)
    program = program.substr(slash + 1);
  return load(program, std::move(args), err);
}

bool config::load(std::string_view program, std::vector<std::string> args,
                  std::ostream& err) {
  auto fail = [&](const std::string& what) {
    err << "error: " << what << "\nrun `" << program
        << " --help` to list every option\n";
    exit_code_ = 2;
    return false;
  };
  auto what = scan(args);
  if (what.help) {
    std::cout << "Usage: " << program << " [--NAME=VALUE | --NAME VALUE]...\n\n"
              << help_text(program, what.long_help) << std::flush;
    cli_helptext_printed = true;
    exit_code_ = 0;
    return false;
  }
  // Values of a config file, then the command line's over them (CAF's order).
  auto file = what.config_file;
  if (file.empty() && std::ifstream{config_file_path})
    file = config_file_path; // CAF's default, caf-application.ini, if present
  if (!file.empty()) {
    config_file_path = file;
    if (auto e = apply_file(custom_options_, content, choices_, file);
        !e.empty())
      return fail(e);
  }
  std::vector<std::string> rest;
  if (auto e = apply_args(custom_options_, content, choices_, args, rest);
      !e.empty())
    return fail(e);
  // CAF's own last steps (--dump-config, its adjustments of `content`):
  // nothing left for its parser to read.
  std::istringstream none;
  none.setstate(std::ios::failbit);
  if (auto e = caf::actor_system_config::parse(string_list{}, none))
    return fail(render(e));
  remainder.insert(remainder.end(), rest.begin(), rest.end());
  if (cli_helptext_printed) { // --dump-config
    exit_code_ = 0;
    return false;
  }
  return true;
}

std::string config::help_text(std::string_view program, bool all) const {
  std::ostringstream out;
  std::vector<std::string> categories;
  for (auto& opt : custom_options_) {
    auto cat = core::str(opt.category());
    if (std::find(categories.begin(), categories.end(), cat)
        == categories.end())
      categories.push_back(cat);
  }
  auto section = [&](const std::string& cat) {
    for (auto& opt : custom_options_)
      if (opt.category() == cat)
        out << core::help_entry(opt);
  };
  out << "Options, written --NAME=VALUE or --NAME VALUE (also in a config "
         "file, --config-file FILE, in CAF's format: troupe { listen = "
         "\"127.0.0.1:4000\" }):\n";
  section("global");
  std::vector<std::string> cafs;
  for (auto& cat : categories) {
    if (cat == "global")
      continue;
    if (is_cafs(cat)) {
      cafs.push_back(cat + ".*");
      if (!all)
        continue;
    }
    out << "\n" << cat << " options:\n";
    section(cat);
  }
  if (!all && !cafs.empty())
    out << "\nCAF's own options (" << join(cafs) << "): `" << program
        << " --long-help` lists them.\n";
  return out.str();
}

config& config::choices(std::string name, std::vector<std::string> allowed) {
  choices_[std::move(name)] = std::move(allowed);
  return *this;
}

} // namespace troupe
