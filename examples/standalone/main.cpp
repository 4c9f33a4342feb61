// Two nodes of one cluster (in one process here, so that it runs as one
// command; in production each is its own process with the same code), a
// supervised service with a cluster-wide name on node a, a call to it from
// node b, and a process group spanning both nodes.
//
//   build/bank [--app.deposits=N] [--troupe.log-level=warning] [--help]

#include <chrono>
#include <iostream>
#include <thread>

#include <troupe/troupe.hpp>

using namespace std::chrono_literals;

using deposit_atom = caf::atom_constant<caf::atom("deposit")>;
using audit_atom = caf::atom_constant<caf::atom("audit")>;
using seen_atom = caf::atom_constant<caf::atom("seen")>;

struct account {
  int64_t balance = 0;
};
caf::behavior bank(caf::stateful_actor<account>* self) {
  return {[=](deposit_atom, int64_t x) { return self->state.balance += x; }};
}

struct tally {
  int64_t seen = 0;
};
caf::behavior auditor(caf::stateful_actor<tally>* self) {
  return {[=](audit_atom, int64_t) { ++self->state.seen; },
          [=](seen_atom) { return self->state.seen; }};
}

/// The application's options next to troupe's (`--help` lists both).
struct app_config : troupe::config {
  int64_t deposits = 3;
  app_config() {
    opt_group{custom_options_, "app"}.add(deposits, "deposits",
                                          "deposits node b makes");
  }
};

int fail(const std::string& what) {
  std::cerr << "error: " << what << '\n';
  return 1;
}

/// Polls `ready` until it holds or `limit` passes (the cluster's registry
/// and groups reach other nodes by gossip, a few milliseconds later).
template <class F>
bool within(std::chrono::milliseconds limit, F ready) {
  for (auto end = std::chrono::steady_clock::now() + limit; !ready();)
    if (std::chrono::steady_clock::now() > end)
      return false;
    else
      std::this_thread::sleep_for(10ms);
  return true;
}

int main(int argc, char** argv) {
  app_config cfg_a;
  if (!cfg_a.load(argc, argv, std::cerr))
    return cfg_a.exit_code();
  cfg_a.set("troupe.node-name", "a").set("troupe.listen", "127.0.0.1:0");
  auto a = troupe::node::start(cfg_a);
  if (!a)
    return fail(troupe::render(a.error()));

  app_config cfg_b;
  if (!cfg_b.load(argc, argv, std::cerr))
    return cfg_b.exit_code();
  cfg_b.set("troupe.node-name", "b").set("troupe.listen", "127.0.0.1:0");
  cfg_b.set("troupe.seeds", "127.0.0.1:" + std::to_string((*a)->port()));
  auto b = troupe::node::start(cfg_b);
  if (!b)
    return fail(troupe::render(b.error()));

  // A supervised service on a, named in the cluster by its stable name
  // (the forwarder that survives restarts).
  auto sup = (*a)->sys().start(troupe::supervisor_spec{
      .strategy = troupe::one_for_one,
      .intensity = 5,
      .period = 10s,
      .children = {troupe::child("bank", bank).permanent().named("bank")}});
  if (!sup)
    return fail(troupe::render(sup.error()));
  if (auto err = (*a)->register_name("bank", *(*a)->sys().whereis("bank")))
    return fail(troupe::render(err));

  // A cross-node call from b.
  caf::actor remote_bank;
  if (!within(5s, [&] {
        auto hdl = (*b)->lookup("bank");
        return hdl ? (remote_bank = *hdl, true) : false;
      }))
    return fail("node b never saw the name bank");
  int64_t balance = 0;
  for (int64_t i = 1; i <= cfg_b.deposits; ++i) {
    auto r = troupe::rpc::call<int64_t>((*b)->sys(), remote_bank, 2s,
                                        deposit_atom::value, i * 10);
    if (!r)
      return fail(troupe::render(r.error()));
    balance = *r;
  }
  std::cout << "b deposited " << cfg_b.deposits << " times on a: balance "
            << balance << '\n';

  // A group spanning both nodes: one auditor on each, a broadcast from b.
  auto audit_a = (*a)->sys().spawn(auditor);
  auto audit_b = (*b)->sys().spawn(auditor);
  if (auto err = (*a)->join_group("audit", audit_a))
    return fail(troupe::render(err));
  if (auto err = (*b)->join_group("audit", audit_b))
    return fail(troupe::render(err));
  if (!within(5s, [&] {
        auto xs = (*b)->group_members("audit");
        return xs && xs->size() == 2;
      }))
    return fail("node b never saw both auditors");
  auto reached
      = (*b)->broadcast("audit", caf::make_message(audit_atom::value, balance));
  auto seen = [&](troupe::node& n, const caf::actor& who) {
    auto r = troupe::rpc::call<int64_t>(n.sys(), who, 2s, seen_atom::value);
    return r && *r == 1;
  };
  if (!reached || *reached != 2
      || !within(5s, [&] { return seen(**a, audit_a) && seen(**b, audit_b); }))
    return fail("the broadcast did not reach both auditors");
  std::cout << "group audit: broadcast from b reached " << *reached
            << " members on a and b\n";

  (*b)->leave();
  (*a)->leave();
  caf::anon_send_exit(audit_a, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(audit_b, caf::exit_reason::user_shutdown);
  std::cout << "OK\n";
  return 0;
}
