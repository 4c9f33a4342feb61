// The I/O thread's reading: bytes from a socket (through TLS or not) to
// frames, the handshake's frames, then dispatch (io_loop.hpp).

#include "transport/io_loop.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "transport/handshake.hpp"
#include "transport/socket_util.hpp"
#include "transport/transport_core.hpp"
#include "troupe/errc.hpp"
#include "troupe/log.hpp"

namespace troupe::detail {

void io_loop::send_hello(connection& c) {
  std::vector<char> buf;
  c.mine.published_actor = 0;
  if (!c.dialer())
    for (auto& [fd, l] : listeners_)
      c.mine.published_actor = l.published;
  wire::encode(buf, c.mine);
  c.write(buf.data(), buf.size(), buf.size() + 1);
  c.st = connection::state::hello_sent;
}

bool io_loop::take_frames(connection& c) {
  // Frames are handled as they complete, so the buffer holds at most one
  // partial frame plus a chunk.
  wire::header hdr;
  const char* payload = nullptr;
  std::string why;
  for (;;) {
    auto r = c.reader().next(hdr, payload, why);
    if (r == wire::frame_reader::result::need_more)
      return true;
    if (r == wire::frame_reader::result::error) {
      bool handshake = c.st != connection::state::ready;
      close(conns_.at(c.fd()), handshake ? "in its handshake, " + why : why,
            handshake);
      return false;
    }
    if (c.st == connection::state::ready) {
      if (!wire::is_data_kind(hdr.kind)) {
        close(conns_.at(c.fd()), "handshake frame after the handshake", false);
        return false;
      }
      peer_traffic::add(c.traffic->frames_in, 1);
      core_.dispatch(c, hdr, payload);
    } else if (!on_handshake_frame(conns_.at(c.fd()), hdr.kind, payload,
                                   hdr.length)) {
      return false;
    }
  }
}

bool io_loop::take_ciphertext(connection& c, const char* data, size_t size) {
  std::string why;
  auto step = c.tls_input(data, size, why);
  if (step == connection::tls_step::failed) {
    bool handshake = c.st != connection::state::ready;
    close(conns_.at(c.fd()),
          handshake ? "TLS handshake failed: " + why
                        + (c.reads == 0 && data[0] != 0x16
                             ? " (the peer does not speak TLS: give every "
                               "node --troupe.tls-cert, -key and -ca)"
                             : "")
                    : "TLS: " + why,
          handshake);
    return false;
  }
  ++c.reads;
  if (step == connection::tls_step::established) {
    c.st = connection::state::hello_sent;
    send_hello(c);
  }
  for (;;) {
    auto* dst = c.reader().reserve(read_chunk);
    auto n = c.tls_read(dst, read_chunk, why);
    if (n < 0) {
      close(conns_.at(c.fd()), "TLS: " + why, c.st != connection::state::ready);
      return false;
    }
    if (n == 0)
      return true;
    c.reader().commit(static_cast<size_t>(n));
    if (!take_frames(c))
      return false;
  }
}

bool io_loop::read_some(connection& c, bool& more) {
  more = false;
  size_t total = 0;
  for (;;) {
    char* dst = c.uses_tls() ? cipher_in_.data() : c.reader().reserve(read_chunk);
    auto n = ::recv(c.fd(), dst, read_chunk, MSG_DONTWAIT);
    if (n > 0) {
      // The peer's own counter once it is routed (one relaxed add), the
      // handshake's bytes in the totals only.
      peer_traffic::add(c.traffic ? c.traffic->bytes_in : core_.bytes_in,
                        static_cast<uint64_t>(n));
      total += static_cast<size_t>(n);
      if (c.uses_tls()) {
        if (!take_ciphertext(c, dst, static_cast<size_t>(n)))
          return false;
      } else {
        if (c.reads == 0 && c.st != connection::state::ready
            && dst[0] == 0x16) {
          // 0x16 opens a TLS record; no troupe frame starts so.
          close(conns_.at(c.fd()),
                "the peer speaks TLS and this node has no TLS configuration "
                "(--troupe.tls-cert, -key and -ca)",
                true);
          return false;
        }
        ++c.reads;
        c.reader().commit(static_cast<size_t>(n));
        if (!take_frames(c))
          return false;
      }
      if (total >= read_budget) {
        more = true; // let the other connections have their turn
        return true;
      }
      continue;
    }
    if (n == 0) {
      close(conns_.at(c.fd()),
            c.st == connection::state::ready
              ? "the peer closed it"
              : "the peer closed it during the handshake (does it expect "
                "TLS or a cluster secret this process lacks?)",
            false);
      return false;
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK)
      return true;
    close(conns_.at(c.fd()), std::strerror(errno), false);
    return false;
  }
}

bool io_loop::on_handshake_frame(const std::shared_ptr<connection>& c,
                                 uint8_t kind, const char* payload,
                                 size_t size) {
  auto& secret = core_.settings().secret;
  if (c->st == connection::state::hello_sent
      && kind == static_cast<uint8_t>(wire::kind::hello)) {
    std::string why;
    auto theirs = wire::decode_hello(payload, size, why);
    if (!theirs) {
      close(c, why, true);
      return false;
    }
    if (theirs->has_secret != !secret.empty()) {
      close(c,
            secret.empty()
              ? "the peer uses a cluster secret and this node has none "
                "(--troupe.cookie-file)"
              : "the peer has no cluster secret (--troupe.cookie-file)",
            true);
      return false;
    }
    c->theirs = *theirs;
    c->peer_node = caf::make_node_id(theirs->process_id, theirs->host_id);
    if (c->peer_node == core_.system().node()) {
      close(c, "a connection to this node itself", true);
      return false;
    }
    std::vector<char> buf;
    auto at = wire::begin_frame(buf, wire::kind::proof);
    if (!secret.empty()) {
      auto mac = make_proof(secret, c->mine, c->theirs, c->dialer());
      buf.insert(buf.end(), mac.begin(), mac.end());
    }
    wire::end_frame(buf, at);
    c->write(buf.data(), buf.size(), buf.size() + 1);
    c->st = connection::state::proof_sent;
    return true;
  }
  if (c->st == connection::state::proof_sent
      && kind == static_cast<uint8_t>(wire::kind::proof)) {
    bool ok = secret.empty()
                ? size == 0
                : check_proof(secret, c->theirs, c->mine, !c->dialer(),
                              payload, size);
    if (!ok) {
      close(c, "wrong proof of the cluster secret", true);
      return false;
    }
    // Before it is routed: other threads (metrics) read it from then on.
    c->inbound
        = std::make_shared<inbound_budget>(core_.settings().max_inbound_bytes);
    if (std::string why; !core_.add_route(c, why)) {
      close(c, why, true);
      return false;
    }
    c->st = connection::state::ready;
    c->authenticated();
    --unauthenticated_;
    auto host = host_of(c->address());
    if (--unauthenticated_by_host_[host] == 0)
      unauthenticated_by_host_.erase(host);
    ++core_.connections_made;
    if (c->on_ready) {
      auto done = std::exchange(c->on_ready, nullptr);
      if (c->theirs.published_actor == 0)
        done(make_error(errc::node_down,
                        c->address() + " publishes no actor"));
      else
        done(core_.proxies().get_or_put(
          c->peer_node, static_cast<caf::actor_id>(c->theirs.published_actor)));
    }
    return true;
  }
  close(c, "unexpected frame (kind " + std::to_string(kind)
             + ") during the handshake",
        true);
  return false;
}


} // namespace troupe::detail
