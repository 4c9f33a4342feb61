#pragma once
// The stable-name table of one actor system: name -> forwarder actor, plus
// which supervisor currently owns the name. Internal to troupe.

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

namespace troupe::detail {

class name_table : public std::enable_shared_from_this<name_table> {
public:
  /// The table of `sys`, created on first use.
  static std::shared_ptr<name_table> of(caf::actor_system& sys);

  /// Drops the table of `sys` and stops its forwarders (system shutdown).
  static void release(caf::actor_system& sys);

  /// Returns the forwarder of `name` for supervisor `owner`, creating it if
  /// needed. A name held by another live supervisor is `errc::name_taken`;
  /// a name whose owner died (a subtree being restarted) is adopted.
  caf::expected<caf::actor> acquire(caf::actor_system& sys,
                                    const std::string& name,
                                    const caf::actor& owner, size_t buffer);

  /// Marks `name` orphaned if `owner` still owns it (its owner terminated).
  void orphan(const std::string& name, const caf::actor_addr& owner);

  /// Marks every name of `owner` orphaned; a terminating supervisor calls it
  /// before it quits, so that its restarted successor can adopt the names
  /// without racing the forwarders' down messages.
  void orphan_all(const caf::actor_addr& owner);

  /// Called by a forwarder that gives up its name.
  void erase(const std::string& name, const caf::actor_addr& forwarder);

  caf::actor find(const std::string& name) const;

  /// The owner recorded for `name`, for the forwarder to check adoption.
  caf::actor_addr owner_of(const std::string& name) const;

private:
  struct entry {
    caf::actor forwarder;
    caf::actor_addr owner;
    bool orphaned = false;
  };

  std::vector<caf::actor> forwarders() const;

  mutable std::mutex mtx_;
  std::unordered_map<std::string, entry> entries_;
};

/// Spawns the forwarder behind a stable name (see name_forwarder.cpp).
caf::actor spawn_name_forwarder(caf::actor_system& sys, std::string name,
                                caf::actor owner, size_t buffer,
                                std::shared_ptr<name_table> table);

} // namespace troupe::detail
