#pragma once
// The transport's authentication: both sides send a hello with a fresh
// random nonce, then a proof, HMAC-SHA256 keyed with the cluster secret over
// both hellos and the side's role. The secret never crosses the wire, a
// proof cannot be replayed (the other side's nonce is in it) nor reflected
// (the role is in it), and proofs are compared in constant time. Without a
// secret on both sides the proof is empty; troupe allows that only for
// nodes that listen on loopback (see transport_settings).

#include <array>
#include <string>

#include "transport/wire.hpp"

namespace troupe::detail {

using proof_bytes = std::array<unsigned char, wire::mac_size>;

/// A fresh nonce from OpenSSL's CSPRNG.
std::array<uint8_t, wire::nonce_size> make_nonce();

/// The proof that `mine` (sent by the dialing side if `dialer`) knows
/// `secret`, bound to both hellos.
proof_bytes make_proof(const std::string& secret, const wire::hello& mine,
                       const wire::hello& theirs, bool dialer);

/// Whether `received` is the proof the peer (the dialer if `peer_dialed`)
/// must have sent; constant time in the proof's bytes.
bool check_proof(const std::string& secret, const wire::hello& theirs,
                 const wire::hello& mine, bool peer_dialed,
                 const char* received, size_t size);

/// Reads the cluster secret from `path` (trailing whitespace dropped);
/// an error text names the file and what is wrong with it.
bool read_secret_file(const std::string& path, std::string& secret,
                      std::string& error);

} // namespace troupe::detail
