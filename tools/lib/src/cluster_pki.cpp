#include "tools/cluster_pki.hpp"

#include <sys/stat.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace troupe::tools {

namespace {

namespace fs = std::filesystem;

struct key_free {
  void operator()(EVP_PKEY* k) const {
    EVP_PKEY_free(k);
  }
};
struct cert_free {
  void operator()(X509* x) const {
    X509_free(x);
  }
};
using key_ptr = std::unique_ptr<EVP_PKEY, key_free>;
using cert_ptr = std::unique_ptr<X509, cert_free>;

std::string openssl_error() {
  char buf[256] = "unknown OpenSSL error";
  if (auto code = ERR_get_error())
    ERR_error_string_n(code, buf, sizeof(buf));
  ERR_clear_error();
  return buf;
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] == '.')
    return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_'
        && c != '.')
      return false;
  return true;
}

bool add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  auto* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext)
    return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

/// A certificate for `key` named `name`, signed by `issuer_key` (itself if
/// `issuer` is null: the CA).
cert_ptr make_certificate(const std::string& name, EVP_PKEY* key,
                          X509* issuer, EVP_PKEY* issuer_key) {
  cert_ptr cert{X509_new()};
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f; // positive
  auto* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3650L * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  auto* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("troupe"),
                             -1, -1, 0);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer)
                                          : subject);
  X509* signer = issuer ? issuer : cert.get();
  bool ok = true;
  if (!issuer) {
    ok = add_extension(cert.get(), signer, NID_basic_constraints,
                       "critical,CA:TRUE,pathlen:0")
         && add_extension(cert.get(), signer, NID_key_usage,
                          "critical,keyCertSign,cRLSign")
         && add_extension(cert.get(), signer, NID_subject_key_identifier,
                          "hash");
  } else {
    auto san = "DNS:" + name;
    ok = add_extension(cert.get(), signer, NID_basic_constraints,
                       "critical,CA:FALSE")
         && add_extension(cert.get(), signer, NID_key_usage,
                          "critical,digitalSignature")
         && add_extension(cert.get(), signer, NID_ext_key_usage,
                          "serverAuth,clientAuth")
         && add_extension(cert.get(), signer, NID_subject_alt_name,
                          san.c_str())
         && add_extension(cert.get(), signer, NID_authority_key_identifier,
                          "keyid");
  }
  if (!ok || X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0)
    return nullptr;
  return cert;
}

bool write_key(const fs::path& path, EVP_PKEY* key, std::string& error) {
  auto old = ::umask(077); // mode 0600 from the start, never readable by others
  auto* f = std::fopen(path.c_str(), "w");
  ::umask(old);
  if (!f) {
    error = "cannot write " + path.string();
    return false;
  }
  bool ok = PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr)
            == 1;
  std::fclose(f);
  ::chmod(path.c_str(), 0600);
  if (!ok)
    error = "cannot write the key " + path.string() + ": " + openssl_error();
  return ok;
}

bool write_cert(const fs::path& path, X509* cert, std::string& error) {
  auto* f = std::fopen(path.c_str(), "w");
  if (!f) {
    error = "cannot write " + path.string();
    return false;
  }
  bool ok = PEM_write_X509(f, cert) == 1;
  std::fclose(f);
  if (!ok)
    error = "cannot write " + path.string() + ": " + openssl_error();
  return ok;
}

template <class T, class Read>
T read_pem(const fs::path& path, Read read) {
  auto* f = std::fopen(path.c_str(), "r");
  if (!f)
    return T{};
  T result{read(f, nullptr, nullptr, nullptr)};
  std::fclose(f);
  return result;
}

} // namespace

bool make_cluster_pki(const std::string& dir,
                      const std::vector<std::string>& nodes, pki_files& out,
                      std::string& error) {
  for (auto& n : nodes)
    if (!valid_name(n)) {
      error = "\"" + n + "\" is not a node name (letters, digits, '-', '_' "
              "and '.', at most 64)";
      return false;
    }
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    error = "cannot make " + dir + ": " + ec.message();
    return false;
  }
  fs::path base{dir};
  auto ca_key_path = base / "ca.key";
  auto ca_cert_path = base / "ca.pem";
  key_ptr ca_key;
  cert_ptr ca_cert;
  if (fs::exists(ca_key_path)) {
    ca_key = read_pem<key_ptr>(ca_key_path, PEM_read_PrivateKey);
    ca_cert = read_pem<cert_ptr>(ca_cert_path, PEM_read_X509);
    if (!ca_key || !ca_cert) {
      error = dir + " has a ca.key, but it or ca.pem does not read as PEM";
      return false;
    }
  } else {
    ca_key.reset(EVP_EC_gen("P-256"));
    if (ca_key)
      ca_cert = make_certificate("troupe cluster CA", ca_key.get(), nullptr,
                                 ca_key.get());
    if (!ca_cert) {
      error = "cannot make the CA: " + openssl_error();
      return false;
    }
    if (!write_key(ca_key_path, ca_key.get(), error)
        || !write_cert(ca_cert_path, ca_cert.get(), error))
      return false;
  }
  out.ca_cert = ca_cert_path.string();
  for (auto& n : nodes) {
    auto key_path = base / (n + ".key");
    auto cert_path = base / (n + ".pem");
    if (fs::exists(key_path) || fs::exists(cert_path)) {
      out.node_files.push_back(cert_path.string() + " (kept)");
      continue;
    }
    key_ptr key{EVP_EC_gen("P-256")};
    cert_ptr cert;
    if (key)
      cert = make_certificate(n, key.get(), ca_cert.get(), ca_key.get());
    if (!cert) {
      error = "cannot make the certificate of " + n + ": " + openssl_error();
      return false;
    }
    if (!write_key(key_path, key.get(), error)
        || !write_cert(cert_path, cert.get(), error))
      return false;
    out.node_files.push_back(cert_path.string());
  }
  return true;
}

} // namespace troupe::tools
