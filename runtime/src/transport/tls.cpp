#include "transport/tls.hpp"

#include <sys/stat.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "troupe/errc.hpp"

namespace troupe::detail {

namespace {

/// OpenSSL's error queue in words (and emptied), or `fallback`.
std::string openssl_error(const std::string& fallback) {
  std::string text;
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    text += (text.empty() ? "" : "; ") + std::string{buf};
  }
  return text.empty() ? fallback : text;
}

caf::error bad_file(const std::string& option, const std::string& path,
                    const std::string& why) {
  return make_error(errc::invalid_config,
                    "--troupe." + option + " " + path + ": " + why);
}

std::string common_name(X509* cert) {
  auto* subject = X509_get_subject_name(cert);
  int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (at < 0)
    return {};
  auto* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
  auto* bytes = ASN1_STRING_get0_data(data);
  return std::string{reinterpret_cast<const char*>(bytes),
                     static_cast<size_t>(ASN1_STRING_length(data))};
}

struct x509_deleter {
  void operator()(X509* x) const {
    X509_free(x);
  }
};
using x509_ptr = std::unique_ptr<X509, x509_deleter>;

x509_ptr read_certificate(const std::string& path) {
  auto* f = std::fopen(path.c_str(), "r");
  if (!f)
    return nullptr;
  x509_ptr cert{PEM_read_X509(f, nullptr, nullptr, nullptr)};
  std::fclose(f);
  return cert;
}

} // namespace

caf::expected<std::string> certificate_name(const std::string& cert_file) {
  auto cert = read_certificate(cert_file);
  if (!cert)
    return bad_file("tls-cert", cert_file,
                    "cannot read a PEM certificate from it");
  auto name = common_name(cert.get());
  if (name.empty())
    return bad_file("tls-cert", cert_file,
                    "the certificate has no common name (CN): it must name "
                    "the node (troupe tls init makes such certificates)");
  return name;
}

caf::expected<std::shared_ptr<tls_context>>
tls_context::load(const tls_files& f) {
  if (f.cert.empty() || f.key.empty() || f.ca.empty()) {
    std::string missing;
    for (auto [given, option] : {std::pair{&f.cert, "--troupe.tls-cert"},
                                 std::pair{&f.key, "--troupe.tls-key"},
                                 std::pair{&f.ca, "--troupe.tls-ca"}})
      if (given->empty())
        missing += (missing.empty() ? "" : " and ") + std::string{option};
    return make_error(errc::invalid_config,
                      "incomplete TLS configuration: " + missing
                        + " missing; mutual TLS needs all three (troupe tls "
                          "init DIR --nodes a,b,c makes them)");
  }
  struct stat key_stat{};
  if (::stat(f.key.c_str(), &key_stat) != 0)
    return bad_file("tls-key", f.key, "no such file");
  if ((key_stat.st_mode & 077) != 0)
    return bad_file("tls-key", f.key,
                    "the private key is readable by other users; chmod 600 it");
  auto name = certificate_name(f.cert);
  if (!name)
    return name.error();
  std::shared_ptr<tls_context> result{new tls_context};
  result->own_name_ = *name;
  ERR_clear_error();
  auto* ctx = SSL_CTX_new(TLS_method());
  if (!ctx)
    return make_error(errc::invalid_config,
                      openssl_error("cannot make a TLS context"));
  result->ctx_ = ctx;
  // TLS 1.3 only: every cipher suite is an AEAD with forward secrecy, and
  // no anonymous or null suite exists to fall back to.
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  // Bounds what an unauthenticated peer's certificate chain may take.
  SSL_CTX_set_max_cert_list(ctx, 64 * 1024);
  if (SSL_CTX_use_certificate_chain_file(ctx, f.cert.c_str()) != 1)
    return bad_file("tls-cert", f.cert, openssl_error("not a PEM certificate"));
  auto* key_file = std::fopen(f.key.c_str(), "r");
  auto* key = key_file ? PEM_read_PrivateKey(key_file, nullptr, nullptr, nullptr)
                       : nullptr;
  if (key_file)
    std::fclose(key_file);
  if (!key)
    return bad_file("tls-key", f.key, openssl_error("not a PEM private key"));
  bool matches = SSL_CTX_use_PrivateKey(ctx, key) == 1
                 && SSL_CTX_check_private_key(ctx) == 1;
  EVP_PKEY_free(key);
  if (!matches) {
    ERR_clear_error();
    return bad_file("tls-key", f.key,
                    "the key does not belong to the certificate " + f.cert);
  }
  if (SSL_CTX_load_verify_locations(ctx, f.ca.c_str(), nullptr) != 1)
    return bad_file("tls-ca", f.ca, openssl_error("not a PEM CA certificate"));
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     nullptr);
  // The node's own certificate must pass the check its peers make.
  auto own = read_certificate(f.cert);
  auto* check = X509_STORE_CTX_new();
  X509_STORE_CTX_init(check, SSL_CTX_get_cert_store(ctx), own.get(), nullptr);
  bool verified = X509_verify_cert(check) == 1;
  auto why = X509_verify_cert_error_string(X509_STORE_CTX_get_error(check));
  X509_STORE_CTX_free(check);
  if (!verified)
    return bad_file("tls-cert", f.cert,
                    std::string{"not accepted with the CA "} + f.ca + ": " + why);
  return result;
}

tls_context::~tls_context() {
  SSL_CTX_free(ctx_);
}

tls_session::tls_session(const tls_context& ctx, bool dialer)
  : ssl_(SSL_new(ctx.native())) {
  SSL_set_bio(ssl_, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
  if (dialer)
    SSL_set_connect_state(ssl_);
  else
    SSL_set_accept_state(ssl_);
}

tls_session::~tls_session() {
  SSL_free(ssl_);
}

void tls_session::fail(const char* what) {
  error_ = openssl_error(what);
}

tls_session::status tls_session::handshake() {
  if (established_)
    return status::ok;
  ERR_clear_error();
  int rc = SSL_do_handshake(ssl_);
  if (rc != 1) {
    int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
      return status::handshaking;
    auto verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      ERR_clear_error();
      error_ = std::string{"the peer's certificate is not accepted: "}
               + X509_verify_cert_error_string(verify);
    } else {
      fail("the TLS handshake failed");
    }
    return status::failed;
  }
  x509_ptr cert{SSL_get1_peer_certificate(ssl_)};
  if (!cert || SSL_get_verify_result(ssl_) != X509_V_OK) {
    error_ = "the peer presented no certificate";
    return status::failed;
  }
  peer_name_ = common_name(cert.get());
  if (peer_name_.empty()) {
    error_ = "the peer's certificate has no common name";
    return status::failed;
  }
  established_ = true;
  return status::ok;
}

bool tls_session::feed(const char* data, size_t size) {
  size_t written = 0;
  return BIO_write_ex(SSL_get_rbio(ssl_), data, size, &written) == 1
         && written == size;
}

long tls_session::read(char* dst, size_t capacity) {
  ERR_clear_error();
  size_t n = 0;
  if (SSL_read_ex(ssl_, dst, capacity, &n) == 1)
    return static_cast<long>(n);
  int err = SSL_get_error(ssl_, 0);
  if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
    return 0;
  if (err == SSL_ERROR_ZERO_RETURN)
    error_ = "the peer closed its TLS session";
  else
    fail("a TLS record did not decrypt");
  return -1;
}

bool tls_session::write(const char* data, size_t size) {
  ERR_clear_error();
  size_t n = 0;
  if (SSL_write_ex(ssl_, data, size, &n) == 1 && n == size)
    return true;
  fail("TLS encryption failed");
  return false;
}

void tls_session::drain(std::vector<char>& out) {
  auto* wbio = SSL_get_wbio(ssl_);
  while (auto pending = BIO_ctrl_pending(wbio)) {
    auto at = out.size();
    out.resize(at + pending);
    size_t n = 0;
    if (BIO_read_ex(wbio, out.data() + at, pending, &n) != 1)
      n = 0;
    out.resize(at + n);
    if (n == 0)
      break;
  }
}

} // namespace troupe::detail
