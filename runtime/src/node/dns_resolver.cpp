#include "node/dns_resolver.hpp"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <poll.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include <ares.h>

#include "troupe/errc.hpp"

namespace troupe::detail {

namespace {

using clock_type = std::chrono::steady_clock;

/// An address as (family rank, bytes) for ordering; IPv4 first.
std::pair<int, std::string> address_key(const std::string& host) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1)
    return {0, std::string(reinterpret_cast<char*>(buf), 4)};
  if (inet_pton(AF_INET6, host.c_str(), buf) == 1)
    return {1, std::string(reinterpret_cast<char*>(buf), 16)};
  return {2, host};
}

std::string numeric_host(const sockaddr* addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr->sa_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr,
              text, sizeof(text));
  else if (addr->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr,
              text, sizeof(text));
  return text;
}

struct addr_query {
  bool done = false;
  int status = ARES_SUCCESS;
  std::vector<std::string> hosts;
};

void on_addrinfo(void* arg, int status, int, ares_addrinfo* info) {
  auto* q = static_cast<addr_query*>(arg);
  q->done = true;
  q->status = status;
  if (status == ARES_SUCCESS && info) {
    for (auto* n = info->nodes; n; n = n->ai_next) {
      if (q->hosts.size() >= dns_resolver::max_addresses)
        break;
      auto host = numeric_host(n->ai_addr);
      if (!host.empty()
          && std::find(q->hosts.begin(), q->hosts.end(), host)
                 == q->hosts.end())
        q->hosts.push_back(std::move(host));
    }
  }
  if (info)
    ares_freeaddrinfo(info);
}

struct srv_target {
  std::string host;
  uint16_t port;
};

struct srv_query {
  bool done = false;
  int status = ARES_SUCCESS;
  std::vector<srv_target> targets;
};

void on_srv(void* arg, int status, int, unsigned char* abuf, int alen) {
  auto* q = static_cast<srv_query*>(arg);
  q->done = true;
  q->status = status;
  if (status != ARES_SUCCESS)
    return;
  ares_srv_reply* reply = nullptr;
  q->status = ares_parse_srv_reply(abuf, alen, &reply);
  for (auto* r = reply; r; r = r->next) {
    if (q->targets.size() >= dns_resolver::max_addresses)
      break;
    // Port 0 means "no service here" (RFC 2782 uses the root target for
    // that); either way nothing to dial.
    if (r->port == 0 || r->host == nullptr || r->host[0] == '\0')
      continue;
    q->targets.push_back({r->host, r->port});
  }
  if (reply)
    ares_free_data(reply);
}

} // namespace

std::string seed_endpoint::to_string() const {
  return host.find(':') != std::string::npos
             ? "[" + host + "]:" + std::to_string(port)
             : host + ":" + std::to_string(port);
}

bool address_less(const seed_endpoint& x, const seed_endpoint& y) {
  auto kx = address_key(x.host);
  auto ky = address_key(y.host);
  if (kx != ky)
    return kx < ky;
  return x.port < y.port;
}

struct dns_resolver::impl {
  ares_channel channel = nullptr;
  std::chrono::milliseconds timeout;

  ~impl() {
    if (channel)
      ares_destroy(channel);
  }

  /// Runs the channel until `done` or the deadline; cancels on timeout.
  template <class Done>
  void wait(Done done) {
    // c-ares retries and times out by itself (ARES_OPT_TIMEOUTMS/TRIES);
    // this deadline only bounds a server that trickles answers.
    auto deadline = clock_type::now() + timeout * 3;
    while (!done()) {
      ares_socket_t socks[ARES_GETSOCK_MAXNUM];
      int mask = ares_getsock(channel, socks, ARES_GETSOCK_MAXNUM);
      pollfd fds[ARES_GETSOCK_MAXNUM];
      nfds_t n = 0;
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short events = 0;
        if (ARES_GETSOCK_READABLE(mask, i))
          events |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(mask, i))
          events |= POLLOUT;
        if (events)
          fds[n++] = pollfd{socks[i], events, 0};
      }
      auto now = clock_type::now();
      if (now >= deadline) {
        ares_cancel(channel); // calls the callbacks with ARES_ECANCELLED
        if (!done())
          break;
        continue;
      }
      timeval max_tv{0, 100000};
      timeval tv{};
      auto* t = ares_timeout(channel, &max_tv, &tv);
      int ms = static_cast<int>(t->tv_sec * 1000 + t->tv_usec / 1000);
      if (n == 0 && !done()) {
        // Nothing to wait for yet c-ares is not done: let it run its timers.
        ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
        if (!done())
          poll(nullptr, 0, std::max(ms, 1));
        continue;
      }
      poll(fds, n, std::max(ms, 1));
      bool any = false;
      for (nfds_t i = 0; i < n; ++i) {
        auto r = (fds[i].revents & (POLLIN | POLLERR | POLLHUP))
                     ? fds[i].fd
                     : ARES_SOCKET_BAD;
        auto w = (fds[i].revents & POLLOUT) ? fds[i].fd : ARES_SOCKET_BAD;
        if (r != ARES_SOCKET_BAD || w != ARES_SOCKET_BAD) {
          any = true;
          ares_process_fd(channel, r, w);
        }
      }
      if (!any)
        ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD); // timeouts
    }
  }

  addr_query addresses(const std::string& name) {
    addr_query q;
    ares_addrinfo_hints hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    ares_getaddrinfo(channel, name.c_str(), nullptr, &hints, on_addrinfo, &q);
    wait([&] { return q.done; });
    return q;
  }

  srv_query srv(const std::string& name) {
    srv_query q;
    ares_search(channel, name.c_str(), ns_c_in, ns_t_srv, on_srv, &q);
    wait([&] { return q.done; });
    return q;
  }
};

dns_resolver::dns_resolver(std::unique_ptr<impl> x) : impl_(std::move(x)) {}

dns_resolver::~dns_resolver() = default;

caf::expected<std::unique_ptr<dns_resolver>>
dns_resolver::make(const std::string& server,
                   std::chrono::milliseconds timeout) {
  static std::once_flag init_once;
  static int init_status = ARES_SUCCESS;
  std::call_once(init_once,
                 [] { init_status = ares_library_init(ARES_LIB_INIT_ALL); });
  if (init_status != ARES_SUCCESS)
    return make_error(errc::invalid_config,
                      std::string{"cannot start the DNS resolver (c-ares): "}
                          + ares_strerror(init_status));
  auto x = std::make_unique<impl>();
  x->timeout = timeout;
  ares_options opts{};
  // Split the timeout over two tries (c-ares doubles it per round).
  opts.timeout = static_cast<int>(std::max<int64_t>(timeout.count() / 3, 50));
  opts.tries = 2;
  int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  if (int rc = ares_init_options(&x->channel, &opts, mask); rc != ARES_SUCCESS)
    return make_error(
        errc::invalid_config,
        std::string{"cannot start the DNS resolver (c-ares): "}
            + ares_strerror(rc)
            + "; check /etc/resolv.conf or give --troupe.dns-server");
  if (!server.empty()) {
    if (int rc = ares_set_servers_ports_csv(x->channel, server.c_str());
        rc != ARES_SUCCESS)
      return make_error(errc::invalid_config,
                        "--troupe.dns-server " + server + ": "
                            + ares_strerror(rc)
                            + "; give a numeric HOST[:PORT]");
  }
  return std::unique_ptr<dns_resolver>{new dns_resolver(std::move(x))};
}

seed_resolution dns_resolver::resolve(const seed_entry& entry) {
  seed_resolution result;
  if (entry.kind == seed_entry::literal) {
    result.endpoints.push_back({entry.host, entry.port});
    return result;
  }
  if (entry.kind == seed_entry::dns) {
    auto q = impl_->addresses(entry.host);
    if (q.status != ARES_SUCCESS) {
      result.cause = ares_strerror(q.status);
      return result;
    }
    for (auto& h : q.hosts)
      result.endpoints.push_back({h, entry.port});
    if (result.endpoints.empty())
      result.cause = "no A or AAAA record";
    return result;
  }
  auto q = impl_->srv(entry.host);
  if (q.status != ARES_SUCCESS) {
    result.cause = ares_strerror(q.status);
    return result;
  }
  std::string causes;
  for (auto& t : q.targets) {
    auto a = impl_->addresses(t.host);
    if (a.status != ARES_SUCCESS) {
      causes += (causes.empty() ? "" : ", ") + t.host + ": "
                + ares_strerror(a.status);
      continue;
    }
    for (auto& h : a.hosts) {
      if (result.endpoints.size() >= max_addresses)
        break;
      seed_endpoint ep{h, t.port};
      if (std::find(result.endpoints.begin(), result.endpoints.end(), ep)
          == result.endpoints.end())
        result.endpoints.push_back(std::move(ep));
    }
  }
  if (result.endpoints.empty())
    result.cause = q.targets.empty()
                       ? "no SRV record with a port"
                       : "no address for the SRV targets (" + causes + ")";
  return result;
}

} // namespace troupe::detail
