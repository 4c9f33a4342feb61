#pragma once
// troupe's configuration: CAF's options (scheduler.*, middleman.*, openssl.*)
// plus troupe's own under "troupe.*", from the command line or a config file
// in CAF's format (--config-file=FILE).
//
// `load` is troupe's own front end to CAF's parser: `--help` lists troupe's
// and the application's options with their defaults, `--flag value` and
// `--flag=value` both work, errors are sentences that name the option (with
// a did-you-mean), enumerations and durations are checked, and a config
// file's values reach the variables bound with `opt_group` too (CAF 0.17
// only fills `content` from a file).

#include <cxxabi.h>

#include <cstdlib>
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/detail/type_list.hpp>
#include <caf/detail/type_traits.hpp>

namespace troupe {

class config : public caf::actor_system_config {
public:
  config();

  /// Parses the command line (and the config file it names, `--config-file
  /// FILE`; else `caf-application.ini` if it exists). Options are written
  /// `--NAME=VALUE` or `--NAME VALUE`; the first argument that is not an
  /// option and everything after it (or after `--`) is left in `remainder`.
  /// Prints the help text to stdout (`--help`: troupe's and the
  /// application's options; `--long-help`: CAF's too) or one error sentence
  /// to `err` and returns false when the program should exit; `exit_code()`
  /// then tells with which code (0 after the help, 2 after an error).
  bool load(int argc, char** argv, std::ostream& err);

  /// Same as `load(argc, argv, err)` on the arguments after the program name
  /// (`program` names it in the help text).
  bool load(std::string_view program, std::vector<std::string> args,
            std::ostream& err);

  /// The help text `--help` prints: every option of troupe and of the
  /// application with its type and default; with `all`, CAF's own options
  /// (scheduler.*, middleman.*, ...) as well (`--long-help`).
  std::string help_text(std::string_view program, bool all = false) const;

  /// Restricts the option `name` (e.g. "troupe.role" or "app.mode") to
  /// `allowed`: `load` refuses any other value from the command line or the
  /// config file, naming the choices. troupe.role, troupe.log-level,
  /// troupe.transport and scheduler.policy are restricted already.
  config& choices(std::string name, std::vector<std::string> allowed);

  /// The exit code after `load` returned false: 0 after the help text, 2
  /// after a bad command line or config file.
  int exit_code() const noexcept {
    return exit_code_;
  }

  /// Registers a message type under a portable name on this node. Every node
  /// of a cluster must register the same set (checked at join). T must be
  /// default- and copy-constructible and serializable by CAF 0.17: a free
  /// `inspect` in T's namespace,
  ///   template <class Inspector>
  ///   typename Inspector::result_type inspect(Inspector& f, deposit& x) {
  ///     return f(caf::meta::type_name("deposit"), x.account, x.amount);
  ///   }
  /// A type without one fails to compile with one message saying so, not
  /// CAF's pages of template errors.
  template <class T>
  config& add_message_type(std::string name) {
    constexpr bool serializable = caf::detail::is_serializable<T>::value;
    constexpr bool constructible = std::is_default_constructible_v<T>
                                   && std::is_copy_constructible_v<T>;
    static_assert(serializable,
                  "troupe::config::add_message_type<T>: T has no inspect "
                  "function, so CAF cannot serialize it. Define, in T's "
                  "namespace: template <class Inspector> typename "
                  "Inspector::result_type inspect(Inspector& f, T& x) { "
                  "return f(caf::meta::type_name(\"T\"), x.field1, "
                  "x.field2); }");
    static_assert(constructible,
                  "troupe::config::add_message_type<T>: a message type must "
                  "be default-constructible and copy-constructible (CAF "
                  "creates it empty, then deserializes into it)");
    if constexpr (serializable && constructible)
      caf::actor_system_config::add_message_type<T>(std::move(name));
    return *this;
  }

  /// Exports an actor type for remote spawn (`node::spawn_on`). Only
  /// exported names can be spawned by other nodes: this is the allowlist.
  template <class F>
  config& export_type(std::string name, F fun) {
    exported_.push_back(name);
    signatures_.emplace_back(name, arguments_of<F>());
    add_actor_type(std::move(name), std::move(fun));
    return *this;
  }

  /// The arguments that exported type `name` takes after its self pointer,
  /// as C++ writes them ("(long)"; "" for a type not exported here), for
  /// errc::bad_arguments.
  std::string exported_arguments(const std::string& name) const {
    for (auto& [n, args] : signatures_)
      if (n == name)
        return args;
    return {};
  }

  const std::vector<std::string>& exported_types() const noexcept {
    return exported_;
  }

  /// A digest of every registered message type name; nodes with different
  /// digests cannot exchange messages and are refused at join.
  uint64_t type_set_id() const;

  /// The sorted portable names behind `type_set_id()`, for error messages.
  std::vector<std::string> type_names() const;

  // -- troupe.* options, read from the parsed content ------------------------

  /// troupe.node-name, empty if not set.
  std::string node_name() const;
  /// troupe.role as written: "worker" (default) or "client" (member_role;
  /// node::start refuses any other value).
  std::string role() const;
  /// troupe.log-level: debug, info (default), warning, error or quiet.
  std::string log_level() const;

private:
  /// "(T1, T2)": the parameters of F after its first one (the self pointer).
  template <class F>
  static std::string arguments_of() {
    using args = typename caf::detail::get_callable_trait<F>::arg_types;
    return names_of(caf::detail::tl_tail_t<args>{});
  }

  template <class... Ts>
  static std::string names_of(caf::detail::type_list<Ts...>) {
    std::string result = "(";
    ((result += (result.size() > 1 ? ", " : "") + demangle(typeid(Ts).name())),
     ...);
    return result + ")";
  }

  static std::string demangle(const char* mangled) {
    int status = 0;
    char* text = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
    std::string result = status == 0 && text ? text : mangled;
    std::free(text);
    return result;
  }

  int exit_code_ = 0;
  std::vector<std::string> exported_;
  std::map<std::string, std::vector<std::string>, std::less<>> choices_;
  std::vector<std::pair<std::string, std::string>> signatures_;
};

} // namespace troupe
