#include "node/hosted_actors.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/uniform_type_info_map.hpp>

#include "troupe/config.hpp"
#include "troupe/errc.hpp"

namespace troupe::detail {

namespace {

/// "(std::string, long)": the C++ types of `args` (CAF's names for its own).
std::string argument_types_of(caf::actor_system& sys, const caf::message& args) {
  std::string result = "(";
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0)
      result += ", ";
    auto rtti = args.type(i);
    if (rtti.second != nullptr) {
      int status = 0;
      char* text = abi::__cxa_demangle(rtti.second->name(), nullptr, nullptr,
                                       &status);
      result += status == 0 && text ? text : rtti.second->name();
      std::free(text);
    } else {
      // CAF's builtin types carry only CAF's name: say it as C++ does.
      static const std::pair<const char*, const char*> builtin[] = {
        {"@str", "std::string"}, {"@i8", "int8_t"},   {"@i16", "int16_t"},
        {"@i32", "int32_t"},     {"@i64", "int64_t"}, {"@u8", "uint8_t"},
        {"@u16", "uint16_t"},    {"@u32", "uint32_t"}, {"@u64", "uint64_t"},
        {"@atom", "caf::atom_value"}, {"@actor", "caf::actor"},
        {"@message", "caf::message"},  {"@timespan", "caf::timespan"}};
      auto& name = sys.types().portable_name(rtti);
      auto known = std::find_if(std::begin(builtin), std::end(builtin),
                                [&](auto& kv) { return name == kv.first; });
      result += known != std::end(builtin) ? known->second : name;
    }
  }
  return result + ")";
}

} // namespace

caf::error hosted_actors::admit(const std::string& type, bool known) const {
  if (std::find(exported_.begin(), exported_.end(), type) != exported_.end())
    return {};
  return make_error(known ? errc::not_allowed : errc::unknown_actor_type,
                    "node " + node_ + " does not export \"" + type + "\"");
}

caf::expected<caf::actor> hosted_actors::spawn(caf::actor_system& sys,
                                               const std::string& type,
                                               caf::message args,
                                               const std::string& owner) {
  if (auto err = admit(type, sys.config().actor_factories.count(type) > 0))
    return err;
  if (per_owner_[owner] >= limits_.max_per_member)
    return make_error(errc::not_allowed,
                      "node " + node_ + " already hosts "
                          + std::to_string(limits_.max_per_member)
                          + " actors for " + owner
                          + " (troupe.max-spawns-per-peer); stop some first");
  auto rate = rates_.try_emplace(owner, limits_.per_second, limits_.per_second);
  if (!rate.first->second.allow())
    return make_error(errc::not_allowed,
                      "node " + node_ + " refuses more than "
                          + std::to_string(limits_.per_second)
                          + " spawns per second from " + owner
                          + " (troupe.spawn-rate-per-peer); try again later");
  auto given = "arguments " + to_string(args) + " of types "
               + argument_types_of(sys, args);
  auto res = sys.spawn<caf::actor>(type, std::move(args));
  if (!res) {
    auto* cfg = dynamic_cast<const config*>(&sys.config());
    auto takes = cfg ? cfg->exported_arguments(type) : std::string{};
    return make_error(errc::bad_arguments,
                      "node " + node_ + " cannot spawn \"" + type + "\" from the "
                        + given
                        + (takes.empty() ? ": " + render(res.error())
                                         : ": it takes " + takes));
  }
  spawned_.push_back({*res, owner});
  ++per_owner_[owner];
  return *res;
}

void hosted_actors::erase(const caf::actor_addr& who) {
  auto i = std::find_if(spawned_.begin(), spawned_.end(),
                        [&](auto& h) { return h.handle.address() == who; });
  if (i == spawned_.end())
    return;
  if (auto n = per_owner_.find(i->owner);
      n != per_owner_.end() && --n->second == 0) {
    per_owner_.erase(n);
    rates_.erase(i->owner);
  }
  spawned_.erase(i);
  if (spawned_.empty()) {
    for (auto& rp : awaiting_stop_)
      rp.deliver(caf::unit);
    awaiting_stop_.clear();
  }
}

std::vector<caf::actor> hosted_actors::actors() const {
  std::vector<caf::actor> result;
  result.reserve(spawned_.size());
  for (auto& h : spawned_)
    result.push_back(h.handle);
  return result;
}

std::vector<caf::actor>
hosted_actors::actors_of(const std::string& owner) const {
  std::vector<caf::actor> result;
  for (auto& h : spawned_)
    if (h.owner == owner)
      result.push_back(h.handle);
  return result;
}

void hosted_actors::when_all_stopped(caf::response_promise rp) {
  if (spawned_.empty())
    rp.deliver(caf::unit);
  else
    awaiting_stop_.push_back(std::move(rp));
}

} // namespace troupe::detail
