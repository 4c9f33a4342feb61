#pragma once
// The messages of the replicated key-value store (troupe::kv): atoms, the
// versioned entry replicas exchange, the store's own error codes, and the
// registration every process of a cluster needs.
//
// Versions order the writes of a key: a replica keeps the entry that is
// newer by (version, value), so that every replica that saw the same writes
// keeps the same entry whatever order they arrived in. Version 0 means "no
// entry". A coordinator gives its writes increasing versions (see
// kv_coordinator.hpp), so the latest acknowledged write of one coordinator
// is the newest entry.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

namespace troupe {
class config;
} // namespace troupe

namespace troupe::kv {

// -- the coordinator's protocol (clients talk to it) --------------------------
using put_atom = caf::atom_constant<caf::atom("kv_put")>;
using get_atom = caf::atom_constant<caf::atom("kv_get")>;
using join_atom = caf::atom_constant<caf::atom("kv_join")>;
using status_atom = caf::atom_constant<caf::atom("kv_status")>;

// -- the replicas' protocol (the coordinator and other replicas use it) -------
using replica_put_atom = caf::atom_constant<caf::atom("kv_rput")>;
using replica_get_atom = caf::atom_constant<caf::atom("kv_rget")>;
using merge_atom = caf::atom_constant<caf::atom("kv_merge")>;
using dump_atom = caf::atom_constant<caf::atom("kv_dump")>;
using count_atom = caf::atom_constant<caf::atom("kv_count")>;

/// One key's value at one version (what replicas store and exchange).
struct entry {
  std::string key;
  uint64_t version = 0;
  std::string value;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entry& x) {
  return f(caf::meta::type_name("troupe.kv.entry"), x.key, x.version,
           x.value);
}

/// True if (version, value) `a` replaces `b`: a higher version wins, equal
/// versions are ordered by value so that all replicas pick the same one.
inline bool newer(uint64_t a_version, const std::string& a_value,
                  uint64_t b_version, const std::string& b_value) {
  return a_version > b_version
         || (a_version == b_version && a_value > b_value);
}

/// The store's own errors (CAF error category "kv"). Replica failures keep
/// troupe's codes (errc::timeout, errc::node_down, ...).
enum class errc : uint8_t {
  none = 0,
  /// Fewer live replicas of the key than the quorum needs: not attempted.
  no_quorum,
  /// Keys are non-empty strings.
  invalid_key,
};

inline constexpr caf::atom_value errc_category = caf::atom("kv");

caf::error make_error(errc code, std::string context);

/// Short names of error kinds for reports: "timeout", "node_down",
/// "no_quorum", ... ("other" for anything else).
std::string error_kind(const caf::error& err);

/// Renders a kv error as "what happened: context. what to do"; any other
/// error as troupe::render does.
std::string render(const caf::error& err);

/// Registers the store's message types and error category on `cfg`. Every
/// process that talks to the store calls it (the type sets must match).
void add_types(troupe::config& cfg);

} // namespace troupe::kv
