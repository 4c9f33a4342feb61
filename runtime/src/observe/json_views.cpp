#include "observe/json_views.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "troupe/metrics.hpp"

namespace troupe::observe {

namespace {

using nlohmann::json;

std::string dump(const json& doc) {
  // Names come from peers and programs: never fail on bytes that are not
  // UTF-8.
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string label(const metrics::sample& s, const std::string& key) {
  for (auto& [k, v] : s.ls)
    if (k == key)
      return v;
  return {};
}

} // namespace

std::string cluster_json(const node_identity& me, const view_snapshot& view) {
  json doc;
  doc["node"] = me.name;
  if (view.valid)
    doc["view_age_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - view.updated)
                             .count();
  else
    doc["view_age_ms"] = nullptr;
  doc["members"] = json::array();
  for (auto& m : view.members) {
    auto url = view.http.find(m.name);
    doc["members"].push_back(
        {{"name", m.name},
         {"http", url == view.http.end() ? json(nullptr) : json(url->second)},
         {"host", m.host},
         {"port", m.port},
         {"state", to_string(m.state)},
         {"role", to_string(m.role)},
         {"incarnation", m.incarnation},
         {"connected", static_cast<bool>(m.agent)},
         {"actors", m.actors},
         {"backlog", m.backlog},
         {"uptime_ms", m.uptime_ms}});
  }
  return dump(doc);
}

std::string node_json(const node_identity& me, const cluster_watch& watch) {
  json doc;
  doc["name"] = me.name;
  doc["address"] = me.host + ":" + std::to_string(me.port);
  doc["ready"] = watch.ready();
  doc["healthy"] = watch.healthy();
  auto samples = metrics::snapshot();
  json sups = json::object();
  std::vector<std::pair<double, std::string>> named;
  json all = json::array();
  for (auto& s : samples) {
    if (s.name == "troupe_supervisor_restarts_total")
      sups[label(s, "supervisor")]["restarts"] = s.value;
    else if (s.name == "troupe_supervisor_escalations_total")
      sups[label(s, "supervisor")]["escalations"] = s.value;
    else if (s.name == "troupe_named_messages_total")
      named.emplace_back(s.value, label(s, "name"));
    json ls = json::object();
    for (auto& [k, v] : s.ls)
      ls[k] = v;
    all.push_back({{"name", s.name}, {"labels", ls}, {"value", s.value}});
  }
  std::sort(named.begin(), named.end(), std::greater<>{});
  if (named.size() > 20)
    named.resize(20);
  doc["supervisors"] = sups;
  doc["named"] = json::array();
  for (auto& [n, name] : named)
    doc["named"].push_back({{"name", name}, {"messages", n}});
  doc["metrics"] = all;
  return dump(doc);
}

} // namespace troupe::observe
