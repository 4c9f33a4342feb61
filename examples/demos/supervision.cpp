// `troupe demo supervision`: a bank of accounts behind a supervision tree,
// attacked by a chaos actor that crashes accounts at random. Clients deposit
// through the accounts' stable names; an account records each deposit in the
// ledger before it acknowledges it and restores its balance from the ledger
// when it restarts. The summary checks that every acknowledged deposit is in
// the balances: the tree heals itself and keeps everything it promised.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <troupe/troupe.hpp>

#include "demos/demo_registry.hpp"
#include "demos/demo_cli.hpp"
#include "demos/demo_cluster.hpp"

namespace {

using namespace std::chrono_literals;

using deposit_atom = caf::atom_constant<caf::atom("deposit")>;
using balance_atom = caf::atom_constant<caf::atom("balance")>;
using record_atom = caf::atom_constant<caf::atom("record")>;
using crash_atom = caf::atom_constant<caf::atom("crash")>;
using total_atom = caf::atom_constant<caf::atom("total")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;

constexpr auto call_timeout = std::chrono::seconds(10);

struct ledger_state {
  std::map<std::string, int64_t> balances;
};

/// What accounts restore from. It is a separate actor so that an account
/// can crash without taking the money with it (in production: a disk log or
/// a replicated store; see the work queue and kv demos).
caf::behavior ledger(caf::stateful_actor<ledger_state>* self) {
  return {
    [=](record_atom, const std::string& account, int64_t amount) {
      return self->state.balances[account] += amount;
    },
    [=](balance_atom, const std::string& account) {
      return self->state.balances[account];
    },
    [=](total_atom) {
      int64_t sum = 0;
      for (auto& kvp : self->state.balances)
        sum += kvp.second;
      return sum;
    },
  };
}

struct account_state {
  std::string id;
  caf::actor book;
  int64_t balance = 0;
};

caf::behavior account(caf::stateful_actor<account_state>* self, std::string id) {
  auto& st = self->state;
  st.id = id;
  // Report a crash as an exit reason (the supervisor prints it) instead of
  // CAF's default dump to stderr.
  self->set_exception_handler([](std::exception_ptr& eptr) -> caf::error {
    try {
      std::rethrow_exception(eptr);
    } catch (std::exception& e) {
      return caf::make_error(caf::sec::runtime_error, e.what());
    }
  });
  if (auto book = troupe::whereis(self->system(), "ledger"))
    st.book = *book;
  else
    throw std::runtime_error("account " + id + ": no ledger");
  // `await` holds every other message until the ledger answers: a deposit
  // never overtakes the restore, and a crash never lands mid-deposit.
  self->request(st.book, call_timeout, balance_atom::value, id)
    .await([self](int64_t balance) { self->state.balance = balance; });
  return {
    [self](deposit_atom, int64_t amount) -> caf::result<int64_t> {
      auto rp = self->make_response_promise<int64_t>();
      self->request(self->state.book, call_timeout, record_atom::value,
                    self->state.id, amount)
        .await(
          [self, rp](int64_t balance) mutable {
            self->state.balance = balance;
            rp.deliver(balance);
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self](balance_atom) { return self->state.balance; },
    [self](crash_atom) {
      throw std::runtime_error("account " + self->state.id
                               + " crashed by the chaos monkey");
    },
  };
}

struct stats {
  std::atomic<int64_t> acked{0};
  std::atomic<int64_t> failed{0};
  std::atomic<int64_t> crashes{0};
  std::atomic<int64_t> restarts{0};
  std::atomic<int> accounts_up{0};
  std::atomic<bool> stop{false};
};

struct client_state {
  std::vector<caf::actor> names;
  std::shared_ptr<stats> st;
  size_t next = 0;
  int in_flight = 0;
  caf::response_promise drained;
};

/// Sends the next deposit, or ends the run once told to stop; each answer
/// (or error) fires the next one. A plain function: a lambda that keeps
/// itself alive through a captured shared_ptr would never be freed.
void fire(caf::stateful_actor<client_state>* self) {
  auto& cs = self->state;
  if (cs.st->stop) {
    if (cs.in_flight == 0 && cs.drained.pending())
      cs.drained.deliver(caf::unit);
    return;
  }
  auto& target = cs.names[cs.next++ % cs.names.size()];
  ++cs.in_flight;
  self->request(target, call_timeout, deposit_atom::value, int64_t{1})
    .then(
      [self](int64_t) {
        --self->state.in_flight;
        ++self->state.st->acked;
        fire(self);
      },
      [self](caf::error&) {
        --self->state.in_flight;
        ++self->state.st->failed;
        fire(self);
      });
}

/// Keeps a window of deposits in flight, round-robin over the accounts.
caf::behavior client(caf::stateful_actor<client_state>* self,
                     std::vector<caf::actor> names, std::shared_ptr<stats> st) {
  self->state.names = std::move(names);
  self->state.st = std::move(st);
  for (int i = 0; i < 32; ++i)
    fire(self);
  return {
    [self](drain_atom) -> caf::result<void> {
      auto& cs = self->state;
      if (cs.in_flight == 0)
        return caf::unit;
      cs.drained = self->make_response_promise();
      return cs.drained;
    },
  };
}

caf::behavior chaos(caf::event_based_actor* self, std::vector<caf::actor> names,
                    std::shared_ptr<stats> st, caf::timespan interval) {
  auto rng = std::make_shared<std::mt19937>(std::random_device{}());
  self->delayed_send(self, interval, tick_atom::value);
  return {
    [=](tick_atom) {
      if (st->stop)
        return;
      std::uniform_int_distribution<size_t> pick{0, names.size() - 1};
      self->send(names[pick(*rng)], crash_atom::value);
      ++st->crashes;
      self->delayed_send(self, interval, tick_atom::value);
    },
  };
}

struct options {
  int accounts = 8;
  double duration = 5;
  int chaos_ms = 200;
};

constexpr const char* description =
  "A bank of accounts behind a supervision tree in this process, a chaos "
  "actor crashing accounts at random; the summary checks that every "
  "acknowledged deposit is in the balances after the restarts (exit code "
  "1 if not).";

/// The command line: nothing if the demo may run, else its exit code.
std::optional<int> parse(int argc, char** argv, options& opt) {
  CLI::App args{description, argv[0]};
  troupe::tools::show_defaults(args);
  args.add_option("--accounts", opt.accounts, "accounts under the supervisor")
    ->check(troupe::tools::in_range(1, INT_MAX));
  args.add_option("--duration", opt.duration,
                  "how long clients deposit, in seconds")
    ->check(troupe::tools::in_range(0.001, 86400.0));
  args.add_option("--chaos-ms", opt.chaos_ms,
                  "the chaos actor crashes one account every MS milliseconds")
    ->type_name("MS")
    ->check(troupe::tools::in_range(1, INT_MAX));
  if (auto code = troupe::tools::parse(args, argc, argv))
    return code;
  return std::nullopt;
}

/// Everything a run holds. What the supervisors' event hook touches comes
/// before the system: supervisors report until the system has stopped
/// them.
struct sv_run {
  options opt;
  std::shared_ptr<stats> st = std::make_shared<stats>();
  bool tty = isatty(STDOUT_FILENO);
  const char* clear_line = tty ? "\r\033[K" : "";
  std::mutex print_mtx;
  std::map<std::string, int> incarnations;
  troupe::config cfg;
  std::unique_ptr<troupe::system> sys;
  std::vector<caf::actor> names; ///< the accounts' stable names
  caf::actor client_actor;
  caf::actor chaos_actor;
  bool drained = false;

  ~sv_run() {
    if (chaos_actor)
      caf::anon_send_exit(chaos_actor, caf::exit_reason::user_shutdown);
    if (client_actor)
      caf::anon_send_exit(client_actor, caf::exit_reason::user_shutdown);
  }

  /// The accounts' supervisor's hook: prints every heal.
  void on_event(const troupe::supervisor_event& ev) {
    std::lock_guard<std::mutex> guard{print_mtx};
    if (ev.kind == troupe::supervisor_event::child_started) {
      if (++incarnations[ev.child_id] > 1) {
        ++st->restarts;
        std::printf("%s  healed: %s restarted (incarnation %d)\n", clear_line,
                    ev.child_id.c_str(), incarnations[ev.child_id]);
      }
      ++st->accounts_up;
    } else if (ev.kind == troupe::supervisor_event::child_exited) {
      --st->accounts_up;
    } else if (ev.kind == troupe::supervisor_event::escalating) {
      std::printf("%s  escalating: %s\n", clear_line,
                  troupe::to_string(ev).c_str());
    }
  }
};

/// The ledger and the accounts under a rest_for_one tree; false (the error
/// printed) if it did not start.
bool deploy(sv_run& r) {
  auto& opt = r.opt;
  r.cfg.set("troupe.log-level", "error");
  r.sys = std::make_unique<troupe::system>(r.cfg);
  auto& sys = *r.sys;
  std::vector<troupe::child_spec> accounts;
  for (int i = 0; i < opt.accounts; ++i) {
    auto id = "account-" + std::to_string(i);
    accounts.push_back(troupe::child(id, account, id).named(id));
  }
  std::printf("starting: ledger + %d accounts under a rest_for_one tree "
              "(ledger first; the accounts restart if it does)\n",
              opt.accounts);
  auto root = sys.start(troupe::supervisor_spec{
    .strategy = troupe::rest_for_one,
    .intensity = 1000,
    .period = 1s,
    .children = {
      troupe::child("ledger", ledger).named("ledger"),
      troupe::child("accounts", troupe::supervisor_spec{
                                  .strategy = troupe::one_for_one,
                                  .intensity = 1000,
                                  .period = 1s,
                                  .children = std::move(accounts),
                                  .on_event = [&r](const auto& ev) {
                                    r.on_event(ev);
                                  },
                                }),
    },
  });
  if (!root) {
    std::cerr << "error: the tree did not start: " << troupe::render(root.error())
              << "\n";
    return false;
  }
  for (int i = 0; i < opt.accounts; ++i) {
    auto name = sys.whereis("account-" + std::to_string(i));
    if (!name) {
      std::cerr << "error: " << troupe::render(name.error()) << "\n";
      return false;
    }
    r.names.push_back(*name);
  }
  return true;
}

/// Clients deposit and the chaos actor crashes accounts for --duration,
/// with a progress line; then the clients drain.
void drive(sv_run& r) {
  auto& opt = r.opt;
  auto& st = r.st;
  auto& sys = *r.sys;
  std::printf("running for %.1f s; the chaos actor crashes an account every "
              "%d ms\n",
              opt.duration, opt.chaos_ms);
  r.client_actor = sys.spawn(client, r.names, st);
  r.chaos_actor = sys.spawn(chaos, r.names, st,
                            caf::timespan{std::chrono::milliseconds(opt.chaos_ms)});
  // Progress display (a UI refresh, not synchronisation).
  auto start = std::chrono::steady_clock::now();
  auto end = start + std::chrono::duration<double>(opt.duration);
  int64_t last_acked = 0;
  auto last = start;
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(r.tty ? 250ms : 1000ms);
    auto now = std::chrono::steady_clock::now();
    auto acked = st->acked.load();
    double rate = (acked - last_acked)
                  / std::chrono::duration<double>(now - last).count();
    last_acked = acked;
    last = now;
    std::lock_guard<std::mutex> guard{r.print_mtx};
    std::printf("%s[%5.1fs] deposits acked %lld (%.0f/s), failed %lld | "
                "crashes %lld, restarts %lld | accounts up %d/%d%s",
                r.clear_line,
                std::chrono::duration<double>(now - start).count(),
                static_cast<long long>(acked), rate,
                static_cast<long long>(st->failed.load()),
                static_cast<long long>(st->crashes.load()),
                static_cast<long long>(st->restarts.load()),
                st->accounts_up.load(), opt.accounts, r.tty ? "" : "\n");
    std::fflush(stdout);
  }
  st->stop = true;
  caf::scoped_actor self{sys.actors()};
  self->request(r.client_actor, call_timeout, drain_atom::value)
    .receive([&] { r.drained = true; }, [&](caf::error&) {});
  std::printf("%sstopping clients: %s\n", r.clear_line,
              r.drained ? "all deposits answered"
                        : "some deposits never answered");
}

/// The ledger holds exactly the acknowledged deposits, and every account
/// (restarted or not) agrees with the ledger: the check and the summary.
bool check_and_report(sv_run& r) {
  auto& st = r.st;
  auto& sys = *r.sys;
  caf::scoped_actor self{sys.actors()};
  int64_t ledger_total = -1;
  self->request(*sys.whereis("ledger"), call_timeout, total_atom::value)
    .receive([&](int64_t x) { ledger_total = x; }, [&](caf::error&) {});
  int64_t balances = 0;
  bool all_answered = true;
  for (auto& name : r.names)
    self->request(name, call_timeout, balance_atom::value)
      .receive([&](int64_t x) { balances += x; },
               [&](caf::error&) { all_answered = false; });
  auto acked = st->acked.load();
  bool ok = r.drained && all_answered && ledger_total == acked
            && balances == acked && st->restarts > 0;
  std::printf("summary: %lld deposits acknowledged, %lld failed with an error "
              "(they were in a crashed mailbox, the client was told); "
              "%lld crashes healed by %lld restarts; ledger total %lld, sum of "
              "balances %lld: %s\n",
              static_cast<long long>(acked),
              static_cast<long long>(st->failed.load()),
              static_cast<long long>(st->crashes.load()),
              static_cast<long long>(st->restarts.load()),
              static_cast<long long>(ledger_total),
              static_cast<long long>(balances),
              ok ? "OK, nothing acknowledged was lost"
                 : "MISMATCH (see above)");
  return ok;
}

int run(int argc, char** argv) {
  // Destroyed last: bounds the stop of everything below.
  troupe::demo::stop_watchdog watchdog;
  auto r = std::make_unique<sv_run>();
  if (auto code = parse(argc, argv, r->opt))
    return *code;
  if (!deploy(*r))
    return 1;
  drive(*r);
  auto ok = check_and_report(*r);
  watchdog.arm(std::chrono::seconds(60), "the accounts' supervision tree and the chaos actor to stop");
  return ok ? 0 : 1;
}

troupe::demo::register_demo reg{
  "supervision",
  "accounts behind a supervision tree heal from a chaos actor (local)", run};

} // namespace
