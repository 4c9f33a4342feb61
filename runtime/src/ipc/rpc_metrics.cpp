#include "ipc/rpc_metrics.hpp"

#include <array>

#include "troupe/errc.hpp"

namespace troupe::rpc::rpc_metrics {

namespace {

enum outcome : size_t {
  ok,
  timeout,
  node_down,
  receiver_down,
  no_handler,
  other,
  n
};

struct table {
  std::array<metrics::counter*, n> calls;
  metrics::histogram* duration;
  metrics::counter* retries;

  table() {
    static constexpr const char* names[n] = {
        "ok", "timeout", "node_down", "receiver_down", "no_handler", "other"};
    for (size_t i = 0; i < n; ++i)
      calls[i] = &metrics::get_counter("troupe_rpc_calls_total",
                                       "rpc::call calls by outcome",
                                       {{"outcome", names[i]}});
    duration = &metrics::get_histogram(
        "troupe_rpc_call_duration_seconds",
        "rpc::call from its start to its result, retries included");
    retries = &metrics::get_counter("troupe_rpc_retries_total",
                                    "attempts of idempotent calls after the "
                                    "first");
  }
};

table& tab() {
  static table t;
  return t;
}

outcome classify(const caf::error& err) {
  if (!err)
    return ok;
  if (err.category() != errc_category)
    return other;
  switch (static_cast<errc>(err.code())) {
    case errc::timeout:
      return timeout;
    case errc::node_down:
      return node_down;
    case errc::receiver_down:
      return receiver_down;
    case errc::no_handler:
      return no_handler;
    default:
      return other;
  }
}

} // namespace

void record(const caf::error& outcome, std::chrono::nanoseconds took) {
  auto& t = tab();
  t.calls[classify(outcome)]->add();
  t.duration->observe(took);
}

metrics::counter& retries() {
  return *tab().retries;
}

} // namespace troupe::rpc::rpc_metrics
