#pragma once
// Mutual TLS under the transport's frames (issue 12): TLS 1.3 only, both
// sides present a certificate signed by the cluster's CA, and the peer's
// certificate names its member (its common name). OpenSSL runs on memory
// BIOs: the I/O thread feeds it what the socket read, senders encrypt their
// frames into the connection's out buffer, and the socket code stays the
// same for TLS and plaintext. The hello and proof of handshake.hpp run
// inside TLS, so a cluster secret can be used in addition to certificates.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <caf/expected.hpp>

using SSL_CTX = struct ssl_ctx_st;
using SSL = struct ssl_st;

namespace troupe::detail {

/// The files of a node's TLS identity (--troupe.tls-cert, -key, -ca).
struct tls_files {
  std::string cert, key, ca;
  /// Whether any of the three is given (then all three must be).
  bool any() const {
    return !cert.empty() || !key.empty() || !ca.empty();
  }
};

/// One node's TLS configuration: its certificate and key and the CA its
/// peers' certificates must be signed by. Shared by every connection.
class tls_context {
public:
  /// Loads and checks the files: the key matches the certificate, the
  /// certificate is signed by the CA and names a member. An error says
  /// which file is wrong and why.
  static caf::expected<std::shared_ptr<tls_context>> load(const tls_files& f);

  ~tls_context();
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  SSL_CTX* native() const {
    return ctx_;
  }
  /// The member name this node's own certificate proves.
  const std::string& own_name() const {
    return own_name_;
  }

private:
  tls_context() = default;
  SSL_CTX* ctx_ = nullptr;
  std::string own_name_;
};

/// The TLS state of one connection. Not thread-safe: the connection calls
/// it with its output lock held.
class tls_session {
public:
  tls_session(const tls_context& ctx, bool dialer);
  ~tls_session();
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;

  enum class status { ok, handshaking, failed };

  /// Runs the handshake as far as the bytes fed so far allow; `ok` once it
  /// is complete and the peer's certificate is verified.
  status handshake();

  bool established() const {
    return established_;
  }

  /// Ciphertext read from the socket.
  bool feed(const char* data, size_t size);

  /// Decrypted bytes, at most `capacity`: a count (0: none ready yet), or
  /// -1 if the stream is broken or closed by the peer.
  long read(char* dst, size_t capacity);

  /// Encrypts `size` bytes of frames; the ciphertext is taken by drain().
  bool write(const char* data, size_t size);

  /// Moves what OpenSSL wants to send (handshake records, ciphertext) to
  /// the end of `out`.
  void drain(std::vector<char>& out);

  /// The peer's member name (its certificate's common name), once
  /// established.
  const std::string& peer_name() const {
    return peer_name_;
  }

  /// Why the session failed, in words (OpenSSL's error queue, verify
  /// result).
  const std::string& error() const {
    return error_;
  }

private:
  void fail(const char* what);
  SSL* ssl_ = nullptr;
  bool established_ = false;
  std::string peer_name_;
  std::string error_;
};

/// The common name of `cert_file`'s certificate, or an error naming the file.
caf::expected<std::string> certificate_name(const std::string& cert_file);

} // namespace troupe::detail
