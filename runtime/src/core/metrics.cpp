#include "troupe/metrics.hpp"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>

#include "troupe/log.hpp"

namespace troupe::metrics {

namespace {

enum class kind { counter, gauge, histogram };

const char* type_name(kind k) {
  switch (k) {
    case kind::counter:
      return "counter";
    case kind::gauge:
      return "gauge";
    default:
      return "histogram";
  }
}

struct series {
  labels ls;
  std::unique_ptr<counter> c;
  std::unique_ptr<gauge> g;
  std::unique_ptr<histogram> h;
};

struct family {
  std::string help;
  kind k;
  std::map<labels, series> members;
};

struct registry {
  std::mutex mtx;
  std::map<std::string, family, std::less<>> families;
  size_t count = 0;
  std::map<uint64_t, collector> collectors;
  uint64_t next_id = 1;
  bool warned = false;
  // Where metrics beyond max_series or of a clashing type count.
  counter counter_sink;
  gauge gauge_sink;
  histogram histogram_sink;
};

registry& reg() {
  // Never destroyed: metrics are updated until the last thread ends.
  static auto* r = new registry;
  return *r;
}

series* find_or_add(registry& r, std::string_view name, std::string_view help,
                    const labels& ls, kind k) {
  auto i = r.families.find(name);
  if (i == r.families.end()) {
    if (r.count >= max_series)
      return nullptr;
    i = r.families.emplace(std::string{name}, family{std::string{help}, k, {}})
            .first;
  }
  if (i->second.k != k)
    return nullptr;
  auto j = i->second.members.find(ls);
  if (j != i->second.members.end())
    return &j->second;
  if (r.count >= max_series)
    return nullptr;
  ++r.count;
  auto& s = i->second.members[ls];
  s.ls = ls;
  return &s;
}

void warn_once(registry& r, std::string_view name) {
  if (r.warned)
    return;
  r.warned = true;
  log::warning("metrics",
               "metric " + std::string{name}
                   + " is not exported: the registry holds "
                   + std::to_string(max_series)
                   + " series already, or the name has another type");
}

std::string escape(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void put_labels(std::string& out, const labels& ls,
                const char* extra_key = nullptr,
                const char* extra_val = nullptr) {
  if (ls.empty() && !extra_key)
    return;
  out += '{';
  bool first = true;
  for (auto& [k, v] : ls) {
    if (!first)
      out += ',';
    first = false;
    out += k;
    out += "=\"";
    out += escape(v);
    out += '"';
  }
  if (extra_key) {
    if (!first)
      out += ',';
    out += extra_key;
    out += "=\"";
    out += extra_val;
    out += '"';
  }
  out += '}';
}

// The shortest of %.15g..%.17g that reads back as `x`.
void put_number(std::string& out, double x) {
  char buf[64];
  for (int prec = 15; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof(buf), "%.*g", prec, x);
    if (std::strtod(buf, nullptr) == x)
      break;
  }
  out += buf;
}

// Collector samples by family name, then labels (added up).
using collected
    = std::map<std::string, std::pair<sample, std::map<labels, double>>>;

collected collect(registry& r) {
  std::vector<sample> xs;
  for (auto& [id, fn] : r.collectors)
    fn(xs);
  collected result;
  for (auto& x : xs) {
    auto& entry = result[x.name];
    if (entry.second.empty())
      entry.first = x;
    entry.second[x.ls] += x.value;
  }
  return result;
}

} // namespace

counter& get_counter(std::string_view name, std::string_view help,
                     const labels& ls) {
  auto& r = reg();
  std::lock_guard<std::mutex> guard{r.mtx};
  auto* s = find_or_add(r, name, help, ls, kind::counter);
  if (!s) {
    warn_once(r, name);
    return r.counter_sink;
  }
  if (!s->c)
    s->c = std::make_unique<counter>();
  return *s->c;
}

gauge& get_gauge(std::string_view name, std::string_view help,
                 const labels& ls) {
  auto& r = reg();
  std::lock_guard<std::mutex> guard{r.mtx};
  auto* s = find_or_add(r, name, help, ls, kind::gauge);
  if (!s) {
    warn_once(r, name);
    return r.gauge_sink;
  }
  if (!s->g)
    s->g = std::make_unique<gauge>();
  return *s->g;
}

histogram& get_histogram(std::string_view name, std::string_view help,
                         const labels& ls) {
  auto& r = reg();
  std::lock_guard<std::mutex> guard{r.mtx};
  auto* s = find_or_add(r, name, help, ls, kind::histogram);
  if (!s) {
    warn_once(r, name);
    return r.histogram_sink;
  }
  if (!s->h)
    s->h = std::make_unique<histogram>();
  return *s->h;
}

uint64_t add_collector(collector fn) {
  auto& r = reg();
  std::lock_guard<std::mutex> guard{r.mtx};
  auto id = r.next_id++;
  r.collectors.emplace(id, std::move(fn));
  return id;
}

void remove_collector(uint64_t id) {
  auto& r = reg();
  // Collectors run under this lock: once it is ours, none runs.
  std::lock_guard<std::mutex> guard{r.mtx};
  r.collectors.erase(id);
}

std::string render_prometheus() {
  auto& r = reg();
  std::string out;
  std::lock_guard<std::mutex> guard{r.mtx};
  auto extra = collect(r);
  auto header = [&](const std::string& name, const std::string& help,
                    const char* type) {
    out += "# HELP " + name + ' ' + help + '\n';
    out += "# TYPE " + name + ' ' + type + '\n';
  };
  for (auto& [name, fam] : r.families) {
    header(name, fam.help, type_name(fam.k));
    for (auto& [ls, s] : fam.members) {
      if (fam.k == kind::histogram) {
        uint64_t cumulative = 0;
        for (size_t i = 0; i <= histogram::bounds_ns.size(); ++i) {
          cumulative += s.h->bucket(i);
          char le[32];
          if (i < histogram::bounds_ns.size())
            std::snprintf(le, sizeof(le), "%g",
                          static_cast<double>(histogram::bounds_ns[i]) / 1e9);
          else
            std::snprintf(le, sizeof(le), "+Inf");
          out += name + "_bucket";
          put_labels(out, ls, "le", le);
          out += ' ' + std::to_string(cumulative) + '\n';
        }
        out += name + "_sum";
        put_labels(out, ls);
        out += ' ';
        put_number(out, static_cast<double>(s.h->sum_ns()) / 1e9);
        out += '\n' + name + "_count";
        put_labels(out, ls);
        out += ' ' + std::to_string(cumulative) + '\n';
        continue;
      }
      out += name;
      put_labels(out, ls);
      out += ' ';
      out += fam.k == kind::counter ? std::to_string(s.c->value())
                                    : std::to_string(s.g->value());
      out += '\n';
    }
  }
  for (auto& [name, entry] : extra) {
    if (r.families.count(name))
      continue; // a clash with a registered family: the registry's wins
    header(name, entry.first.help,
           entry.first.is_counter ? "counter" : "gauge");
    for (auto& [ls, value] : entry.second) {
      out += name;
      put_labels(out, ls);
      out += ' ';
      put_number(out, value);
      out += '\n';
    }
  }
  return out;
}

std::vector<sample> snapshot() {
  auto& r = reg();
  std::vector<sample> out;
  std::lock_guard<std::mutex> guard{r.mtx};
  for (auto& [name, fam] : r.families) {
    if (fam.k == kind::histogram)
      continue;
    for (auto& [ls, s] : fam.members)
      out.push_back(sample{name, fam.help, fam.k == kind::counter, ls,
                           fam.k == kind::counter
                               ? static_cast<double>(s.c->value())
                               : static_cast<double>(s.g->value())});
  }
  for (auto& [name, entry] : collect(r))
    for (auto& [ls, value] : entry.second)
      out.push_back(
          sample{name, entry.first.help, entry.first.is_counter, ls, value});
  return out;
}

} // namespace troupe::metrics
