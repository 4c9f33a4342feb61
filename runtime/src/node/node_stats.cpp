#include "node/node_stats.hpp"

#include <algorithm>
#include <chrono>

#include <nlohmann/json.hpp>

#include "core/blocking_ask.hpp"
#include "node/link_layer.hpp"
#include "troupe/cluster_agent.hpp"
#include "troupe/cluster_probe.hpp"
#include "troupe/config.hpp"
#include "troupe/errc.hpp"
#include "troupe/metrics.hpp"
#include "troupe/node.hpp"

namespace troupe {

namespace detail {

namespace {

// The fields of member_counters and the metric each sums up.
struct field {
  const char* key;
  const char* metric;
  uint64_t member_counters::*slot;
};

constexpr field fields[] = {
    {"messages_in", "troupe_transport_messages_in_total",
     &member_counters::messages_in},
    {"messages_out", "troupe_transport_messages_out_total",
     &member_counters::messages_out},
    {"bytes_in", "troupe_transport_bytes_in_total", &member_counters::bytes_in},
    {"bytes_out", "troupe_transport_bytes_out_total",
     &member_counters::bytes_out},
    {"dropped", "troupe_transport_dropped_messages_total",
     &member_counters::dropped},
    {"restarts", "troupe_supervisor_restarts_total",
     &member_counters::restarts},
};

/// A member's answer, read defensively: a field that is missing, negative
/// or not a number counts as 0.
member_counters parse_counters(const std::string& text) {
  member_counters c;
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (!doc.is_object())
    return c;
  for (auto& f : fields) {
    auto i = doc.find(f.key);
    if (i != doc.end() && i->is_number_unsigned())
      c.*f.slot = i->get<uint64_t>();
  }
  return c;
}

} // namespace

std::string stats_json() {
  member_counters c;
  for (auto& s : metrics::snapshot())
    for (auto& f : fields)
      if (s.name == f.metric && s.value > 0)
        c.*f.slot += static_cast<uint64_t>(s.value);
  nlohmann::json doc = nlohmann::json::object();
  for (auto& f : fields)
    doc[f.key] = c.*f.slot;
  return doc.dump();
}

} // namespace detail

caf::expected<cluster_sample> sample_cluster(caf::actor_system& sys,
                                             const std::string& host,
                                             uint16_t port,
                                             caf::timespan timeout) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + timeout;
  auto left = [&] {
    return std::max<caf::timespan>(
        std::chrono::duration_cast<caf::timespan>(deadline - clock::now()),
        std::chrono::milliseconds(1));
  };
  auto members = query_members(sys, host, port, timeout);
  if (!members)
    return members.error();
  auto* cfg = dynamic_cast<const config*>(&sys.config());
  config defaults;
  auto link = detail::link_layer::make(sys, cfg ? *cfg : defaults, "");
  if (!link)
    return link.error();
  cluster_sample result;
  result.members = std::move(*members);
  for (auto& m : result.members) {
    std::optional<member_counters> counts;
    bool live = m.state == member_state::up || m.state == member_state::joining
                || m.state == member_state::suspect
                || m.state == member_state::leaving;
    if (live && clock::now() < deadline)
      if (auto agent = (*link)->connect(m.host, m.port, left()))
        if (auto text = detail::blocking_ask<std::string>(
                sys, *agent, left(), detail::stats_atom::value))
          counts = detail::parse_counters(*text);
    result.counters.push_back(counts);
  }
  return result;
}

} // namespace troupe
