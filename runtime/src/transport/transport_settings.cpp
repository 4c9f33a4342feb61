#include "transport/transport_settings.hpp"

#include <arpa/inet.h>

#include <caf/settings.hpp>

#include "transport/handshake.hpp"
#include "troupe/errc.hpp"

namespace troupe::detail {

bool is_loopback(const std::string& host) {
  if (host == "localhost" || host == "::1")
    return true;
  in_addr addr{};
  return ::inet_pton(AF_INET, host.c_str(), &addr) == 1
         && (ntohl(addr.s_addr) >> 24) == 127;
}

tls_files read_tls_files(const config& cfg) {
  auto& c = content(cfg);
  return {caf::get_or(c, "troupe.tls-cert", std::string{}),
          caf::get_or(c, "troupe.tls-key", std::string{}),
          caf::get_or(c, "troupe.tls-ca", std::string{})};
}

caf::expected<transport_settings>
read_transport_settings(const config& cfg, const std::string& listen_host) {
  auto& c = content(cfg);
  transport_settings s;
  auto file = caf::get_or(c, "troupe.cookie-file", std::string{});
  auto inline_secret = caf::get_or(c, "troupe.cookie", std::string{});
  if (!file.empty() && !inline_secret.empty())
    return make_error(errc::invalid_config,
                      "both --troupe.cookie and --troupe.cookie-file are set; "
                      "give one");
  if (!file.empty()) {
    std::string why;
    if (!read_secret_file(file, s.secret, why))
      return make_error(errc::invalid_config, why);
  } else if (!inline_secret.empty()) {
    if (inline_secret.size() < 16)
      return make_error(errc::invalid_config,
                        "--troupe.cookie has fewer than 16 characters");
    s.secret = inline_secret;
  }
  auto files = read_tls_files(cfg);
  if (files.any()) {
    auto ctx = tls_context::load(files);
    if (!ctx)
      return ctx.error();
    s.tls = std::move(*ctx);
  }
  if (s.secret.empty() && !s.tls && !listen_host.empty()
      && !is_loopback(listen_host))
    return make_error(errc::invalid_config,
                      "this node would listen on " + listen_host
                        + " without a cluster secret or TLS, so anyone who "
                          "reaches the port could join; give every node "
                          "--troupe.cookie-file FILE (the same secret) or "
                          "--troupe.tls-cert/-key/-ca (troupe tls init), or "
                          "listen on 127.0.0.1");
  auto positive = [&](const char* key, auto fallback, auto& out) -> caf::error {
    auto v = caf::get_or(c, key, static_cast<int64_t>(fallback));
    if (v <= 0)
      return make_error(errc::invalid_config, std::string{"--"} + key
                                                + " must be positive, got "
                                                + std::to_string(v));
    out = static_cast<std::decay_t<decltype(out)>>(v);
    return caf::none;
  };
  if (auto err = positive("troupe.max-frame-size", s.max_frame_size,
                          s.max_frame_size))
    return err;
  if (auto err = positive("troupe.max-pending-bytes", s.max_pending_bytes,
                          s.max_pending_bytes))
    return err;
  if (auto err = positive("troupe.max-inbound-bytes", s.max_inbound_bytes,
                          s.max_inbound_bytes))
    return err;
  if (auto err = positive("troupe.max-connections", s.max_connections,
                          s.max_connections))
    return err;
  if (s.max_frame_size > (1u << 30))
    return make_error(errc::invalid_config,
                      "--troupe.max-frame-size is above 1 GiB");
  s.handshake_timeout = caf::get_or(c, "troupe.handshake-timeout",
                                    s.handshake_timeout);
  s.spin = caf::get_or(c, "troupe.transport-spin", s.spin);
  return s;
}

} // namespace troupe::detail
