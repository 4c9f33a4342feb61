// Writes the seed corpora of the fuzz targets: valid inputs, each a real
// value encoded by caf::binary_serializer (or a log written by job_log), so
// the fuzzer starts from what a peer or the queue really writes.
//   build-fuzz/bin/fuzz_seeds fuzz/corpus
// Actor handles are a real actor of this process: another node's actor to
// the fuzzer, as in a peer's message.

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message.hpp>

#include "kv/kv_protocol.hpp"
#include "node/agent_protocol.hpp"
#include "peer_context.hpp"
#include "troupe/cluster_agent.hpp"
#include "troupe/errc.hpp"
#include "troupe/member.hpp"
#include "work_queue/job_log.hpp"

namespace fs = std::filesystem;
using namespace troupe;

namespace {

fs::path out_dir;

void write_file(const std::string& target, const std::string& name,
                const std::vector<char>& bytes) {
  auto dir = out_dir / target;
  fs::create_directories(dir);
  auto* f = std::fopen((dir / name).c_str(), "wb");
  if (!f || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
    std::cerr << "error: cannot write " << (dir / name) << '\n';
    std::exit(1);
  }
  std::fclose(f);
}

template <class... Ts>
void seed(const std::string& target, const std::string& name, Ts... xs) {
  std::tuple<Ts...> values{std::move(xs)...};
  auto bytes = fuzz::encode(values);
  if (bytes.empty()) {
    std::cerr << "error: CAF refused to encode seed " << target << "/" << name
              << '\n';
    std::exit(1);
  }
  write_file(target, name, bytes);
}

member_info member(const std::string& name, uint16_t port, member_state state,
                   const caf::actor& agent) {
  member_info m;
  m.name = name;
  m.host = "127.0.0.1";
  m.port = port;
  m.incarnation = 1764633600000 + port;
  m.state = state;
  m.agent = agent;
  m.actors = 12;
  m.backlog = 3;
  m.uptime_ms = 45000;
  return m;
}

// A peer message as BASP's payload carries it: forwarding stack, message.
void message_seed(const std::string& name, caf::message msg) {
  seed("node_message", name, std::vector<caf::strong_actor_ptr>{},
       std::move(msg));
}

void peer_seeds(const caf::actor& agent) {
  using namespace troupe::detail;
  auto n1 = member("n1", 4001, member_state::up, agent);
  auto n2 = member("n2", 4002, member_state::suspect, caf::actor{});
  auto n3 = member("n3", 4003, member_state::leaving, agent);
  n3.role = member_role::client;
  std::vector<member_info> view{n1, n2, n3};
  uint64_t type_set = 0x5eed5eed5eedULL;

  seed("member_info", "up-worker", n1);
  seed("member_info", "suspect-no-agent", n2);
  seed("member_info", "leaving-client", n3);
  seed("member_view", "gossip", caf::atom_value{gossip_atom::value}, view);
  // fuzz_gossip_merge's node is n1 (gossip_merge.cpp): the view holds it.
  seed("gossip_merge", "gossip", caf::atom_value{gossip_atom::value}, view);
  seed("gossip_merge", "empty", caf::atom_value{gossip_atom::value},
       std::vector<member_info>{});
  seed("member_view", "empty", caf::atom_value{gossip_atom::value},
       std::vector<member_info>{});
  seed("join_request", "join", caf::atom_value{join_atom::value}, n1, type_set);
  seed("registry_entry", "register", caf::atom_value{registry_atom::value},
       std::string{"n1"}, std::string{"echo"}, agent);
  seed("registry_entry", "withdraw", caf::atom_value{registry_atom::value},
       std::string{"n1"}, std::string{"echo"}, caf::actor{});
  seed("group_entry", "join", caf::atom_value{group_sync_atom::value},
       std::string{"n2"}, std::string{"room"}, agent, true);
  seed("group_entry", "leave", caf::atom_value{group_sync_atom::value},
       std::string{"n2"}, std::string{"room"}, agent, false);
  seed("spawn_request", "no-args", caf::atom_value{spawn_atom::value},
       std::string{"echo"}, caf::message{});
  seed("spawn_request", "args", caf::atom_value{spawn_atom::value},
       std::string{"worker"},
       caf::make_message(std::string{"jobs"}, int32_t{3}, n1));

  message_seed("join", caf::make_message(join_atom::value, n1, type_set));
  message_seed("join-reply", caf::make_message(view));
  message_seed("gossip", caf::make_message(gossip_atom::value, view));
  message_seed("heartbeat", caf::make_message(heartbeat_atom::value, n1));
  message_seed("registry",
               caf::make_message(registry_atom::value, std::string{"n1"},
                                 std::string{"echo"}, agent));
  message_seed("group-sync",
               caf::make_message(group_sync_atom::value, std::string{"n2"},
                                 std::string{"room"}, agent, true));
  message_seed("spawn",
               caf::make_message(spawn_atom::value, std::string{"worker"},
                                 caf::make_message(std::string{"jobs"})));
  message_seed("members", caf::make_message(members_atom::value));
  message_seed("member-event",
               caf::make_message(member_event{member_event::member_down, n2}));
  message_seed("whereis-reply", caf::make_message(agent));
  message_seed("join-refused",
               caf::make_message(
                   make_error(errc::type_set_mismatch, "n9 has other types")));
  message_seed("caf-error",
               caf::make_message(caf::make_error(caf::sec::request_timeout)));
  seed("node_message", "forwarded",
       std::vector<caf::strong_actor_ptr>{
           caf::actor_cast<caf::strong_actor_ptr>(agent)},
       caf::make_message(whereis_atom::value, std::string{"echo"}));
}

// The key-value store's messages (actors/kv/kv_protocol.hpp), for a node
// with its types (fuzz_kv_message; this process registers them in main).
void kv_seeds() {
  auto kv_seed = [](const std::string& name, caf::message msg) {
    seed("kv_message", name, std::vector<caf::strong_actor_ptr>{},
         std::move(msg));
  };
  kv::entry e{"user:42", 7, "alice"};
  kv_seed("replica-put", caf::make_message(kv::replica_put_atom::value, e));
  kv_seed("merge",
          caf::make_message(kv::merge_atom::value,
                            std::vector<kv::entry>{e, {"user:43", 1, "bob"}}));
  kv_seed("get-reply", caf::make_message(e));
  kv_seed("no-quorum",
          caf::make_message(kv::make_error(kv::errc::no_quorum, "user:42")));
  kv_seed("status", caf::make_message(kv::status_atom::value));
}

std::vector<char> read_all(const fs::path& path) {
  std::vector<char> bytes;
  auto* f = std::fopen(path.c_str(), "rb");
  if (!f)
    return bytes;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0)
    bytes.insert(bytes.end(), buf, buf + n);
  std::fclose(f);
  return bytes;
}

// A log written by job_log itself; the first byte is the harness's flag
// (0: take the checksums as they are).
void job_log_seeds() {
  using wq::record_kind;
  auto path = fs::temp_directory_path()
              / ("troupe-fuzz-seeds-" + std::to_string(getpid()));
  fs::remove(path);
  {
    wq::job_log log;
    std::string err;
    log.open(path, 0, err);
    log.append({record_kind::enqueue, 1, "job one"});
    log.append({record_kind::enqueue, 2, std::string(40, 'x')});
    log.append({record_kind::fail, 1, {}});
    log.append({record_kind::ack, 2, {}});
    log.append({record_kind::dead, 1, {}});
  }
  auto bytes = read_all(path);
  fs::remove(path);
  bytes.insert(bytes.begin(), '\0');
  write_file("job_log", "five-records", bytes);
  bytes.resize(bytes.size() - 5); // torn last record
  write_file("job_log", "torn-tail", bytes);
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_seeds DIR   (writes DIR/<target>/<seed>)\n";
    return 2;
  }
  out_dir = argv[1];
  fuzz::peer_context::add_types(&kv::add_types);
  auto& sys = fuzz::peer_context::get().system();
  auto agent = sys.spawn([]() -> caf::behavior { return {[](int32_t) {}}; });
  peer_seeds(agent);
  kv_seeds();
  job_log_seeds();
  caf::anon_send_exit(agent, caf::exit_reason::kill);
  std::cout << "seeds written to " << out_dir << '\n';
  std::_Exit(0); // the context's actor system is never torn down
}
