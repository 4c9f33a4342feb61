#pragma once
// A cluster's certificates for mutual TLS (`troupe tls init DIR --nodes
// a,b,c`): a CA, and per node a key and a certificate whose common name is
// the node's name, which troupe's transport takes as the member name.

#include <string>
#include <vector>

namespace troupe::tools {

/// What make_cluster_pki wrote, for the caller to print.
struct pki_files {
  std::string ca_cert;                 // DIR/ca.pem (give as --troupe.tls-ca)
  std::vector<std::string> node_files; // DIR/NAME.pem and DIR/NAME.key
};

/// Makes DIR (if needed), a CA in DIR/ca.pem and DIR/ca.key unless DIR
/// already has one (then it signs the new nodes too), and for every name a
/// P-256 key (DIR/NAME.key, mode 0600) and a certificate (DIR/NAME.pem,
/// CN=NAME, valid for ten years, for client and server use). An existing
/// node file is kept, not overwritten. Returns false with `error` saying
/// what failed.
bool make_cluster_pki(const std::string& dir,
                      const std::vector<std::string>& nodes, pki_files& out,
                      std::string& error);

} // namespace troupe::tools
