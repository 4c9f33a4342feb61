#include "transport/handshake.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>
#include <vector>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace troupe::detail {

std::array<uint8_t, wire::nonce_size> make_nonce() {
  std::array<uint8_t, wire::nonce_size> nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1)
    throw std::runtime_error("OpenSSL's RAND_bytes failed: no randomness for "
                             "the transport's handshake");
  return nonce;
}

proof_bytes make_proof(const std::string& secret, const wire::hello& mine,
                       const wire::hello& theirs, bool dialer) {
  std::vector<char> text{'t', 'r', 'o', 'u', 'p', 'e', '-', 'p', 'r', 'o',
                         'o', 'f', '-', 'v', '1', dialer ? 'D' : 'L'};
  wire::encode(text, mine);
  wire::encode(text, theirs);
  proof_bytes mac{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(),
       mac.data(), &len);
  return mac;
}

bool check_proof(const std::string& secret, const wire::hello& theirs,
                 const wire::hello& mine, bool peer_dialed,
                 const char* received, size_t size) {
  if (size != wire::mac_size)
    return false;
  auto expected = make_proof(secret, theirs, mine, peer_dialed);
  return CRYPTO_memcmp(expected.data(), received, expected.size()) == 0;
}

bool read_secret_file(const std::string& path, std::string& secret,
                      std::string& error) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) {
    error = "cannot read the cluster secret " + path
            + ": no such file (make one with: head -c 32 /dev/urandom | "
              "base64 > " + path + "; chmod 600 " + path + ")";
    return false;
  }
  if ((st.st_mode & 077) != 0) {
    error = "the cluster secret " + path + " is readable by other users "
            "(mode " + std::to_string(st.st_mode & 0777) + " octal "
            + [&] { std::ostringstream o; o << std::oct << (st.st_mode & 0777);
                    return o.str(); }()
            + "): run chmod 600 " + path;
    return false;
  }
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  secret = text.str();
  while (!secret.empty() && std::isspace(static_cast<unsigned char>(secret.back())))
    secret.pop_back();
  if (secret.size() < 16) {
    error = "the cluster secret in " + path + " has " + std::to_string(secret.size())
            + " characters; use at least 16 (e.g. head -c 32 /dev/urandom | base64)";
    return false;
  }
  return true;
}

} // namespace troupe::detail
