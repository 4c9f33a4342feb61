// Mutual TLS on troupe's transport (issue 12): nodes with certificates of
// the cluster's CA connect and learn each other's member names; a foreign
// certificate, no certificate and plaintext are refused while the node
// keeps serving; an incomplete or wrong TLS configuration is an error at
// start that names the file or option.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include <caf/exit_reason.hpp>
#include <caf/scoped_actor.hpp>
#include <openssl/ssl.h>

#include "tools/cluster_pki.hpp"
#include "transport/tls.hpp"
#include "temp_dir.hpp"
#include "transport_fixture.hpp"
#include "troupe/errc.hpp"
#include "troupe/node.hpp"

using namespace troupe;
using namespace troupe::test;

namespace {

/// A fresh directory with a cluster CA and certificates for a, b and c,
/// and beside it another CA's certificate for mallory.
struct pki {
  pki() {
    tools::pki_files files;
    std::string error;
    REQUIRE(tools::make_cluster_pki(dir + "/cluster", {"a", "b", "c"}, files,
                                    error));
    REQUIRE(tools::make_cluster_pki(dir + "/foreign", {"mallory"}, files,
                                    error));
  }
  detail::tls_files files(const std::string& name,
                          const std::string& ca = "cluster") const {
    auto where = dir + "/" + (name == "mallory" ? "foreign" : "cluster");
    return {where + "/" + name + ".pem", where + "/" + name + ".key",
            dir + "/" + ca + "/ca.pem"};
  }
  detail::transport_settings settings(const std::string& name) const {
    detail::transport_settings s;
    auto ctx = detail::tls_context::load(files(name));
    REQUIRE(ctx);
    s.tls = *ctx;
    return s;
  }
  temp_dir tmp{"troupe-tls-"};
  std::string dir = tmp.path.string();
};

} // namespace

TEST_CASE("nodes with certificates of the cluster's CA talk over TLS and "
          "know each other's member names") {
  pki keys;
  transport_node a{keys.settings("a")};
  auto w = a.sys.spawn([]() -> caf::behavior {
    return {[](get_atom) { return int64_t{0}; },
            [](const std::string& s) { return s; }};
  });
  auto port = a.link->listen("127.0.0.1", 0, w);
  REQUIRE(port);
  transport_node b{keys.settings("b")};
  REQUIRE(serves(b, *port));
  CHECK(b.link->identities()(a.sys.node()) == "a");
  CHECK(a.link->identities()(b.sys.node()) == "b");
  CHECK(a.link->own_certified_name() == "a");
  // Frames larger than a TLS record (16 KiB) cross whole.
  caf::scoped_actor self{b.sys};
  auto remote = b.link->connect("127.0.0.1", *port, bound);
  REQUIRE(remote);
  std::string big(300 * 1024, 'x');
  std::string echoed;
  self->request(*remote, bound, big)
    .receive([&](const std::string& s) { echoed = s; }, [](caf::error&) {});
  CHECK(echoed.size() == big.size());
  caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
}

TEST_CASE("a TLS node refuses a foreign certificate, plaintext and a TLS "
          "client without a certificate, and keeps serving") {
  pki keys;
  transport_node a{keys.settings("a")};
  auto w = a.sys.spawn(worker);
  auto port = a.link->listen("127.0.0.1", 0, w);
  REQUIRE(port);
  SECTION("a certificate of another CA") {
    // mallory trusts the cluster's CA, so only a's check of mallory fails.
    detail::transport_settings s;
    auto ctx = detail::tls_context::load(keys.files("mallory", "cluster"));
    REQUIRE_FALSE(ctx); // not even mallory's own node starts with it
    auto own = detail::tls_context::load(keys.files("mallory", "foreign"));
    REQUIRE(own);
    s.tls = *own;
    transport_node m{s};
    auto r = m.link->connect("127.0.0.1", *port, bound);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::not_authenticated);
  }
  SECTION("plaintext") {
    transport_node p;
    CHECK_FALSE(p.link->connect("127.0.0.1", *port, bound));
    raw_peer raw{*port};
    REQUIRE(raw.connected());
    std::vector<char> hello;
    detail::wire::encode(hello, detail::wire::hello{});
    raw.send(hello);
    CHECK(raw.closed_by_node());
  }
  SECTION("TLS without a client certificate") {
    raw_peer raw{*port};
    REQUIRE(raw.connected());
    auto* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    auto* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, raw.fd());
    // TLS 1.3: the client finishes first; the server's refusal of the
    // missing certificate arrives as an alert instead of any frame.
    SSL_connect(ssl);
    char buf[256];
    CHECK(SSL_read(ssl, buf, sizeof(buf)) <= 0);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
  CHECK(a.link->stats().connections == 0);
  transport_node good{keys.settings("c")};
  CHECK(serves(good, *port));
  caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
}

TEST_CASE("a plaintext node refuses a TLS peer") {
  pki keys;
  transport_node a;
  auto w = a.sys.spawn(worker);
  auto port = a.link->listen("127.0.0.1", 0, w);
  REQUIRE(port);
  transport_node b{keys.settings("b")};
  CHECK_FALSE(b.link->connect("127.0.0.1", *port, bound));
  // Whichever side reads the other's first bytes refuses them: a sees a
  // TLS record, b sees a plaintext hello where TLS was expected.
  CHECK(a.link->stats().refused_handshakes + b.link->stats().refused_handshakes
        >= 1);
  CHECK(a.link->stats().connections == 0);
  CHECK(b.link->stats().connections == 0);
  caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
}

TEST_CASE("an incomplete or wrong TLS configuration is an error that names "
          "what is wrong") {
  pki keys;
  auto f = keys.files("a");
  auto error_of = [](const detail::tls_files& files) {
    auto ctx = detail::tls_context::load(files);
    REQUIRE_FALSE(ctx);
    return render(ctx.error());
  };
  CHECK_THAT(error_of({f.cert, "", ""}),
             Catch::Contains("--troupe.tls-key and --troupe.tls-ca missing"));
  CHECK_THAT(error_of({f.cert, keys.files("b").key, f.ca}),
             Catch::Contains("does not belong to the certificate"));
  CHECK_THAT(error_of({f.cert, f.key, keys.dir + "/foreign/ca.pem"}),
             Catch::Contains("not accepted with the CA"));
  CHECK_THAT(error_of({f.ca, f.key, f.ca}), Catch::Contains("--troupe.tls-"));
  ::chmod(f.key.c_str(), 0644);
  CHECK_THAT(error_of(f), Catch::Contains("readable by other users"));
  ::chmod(f.key.c_str(), 0600);
  CHECK(detail::tls_context::load(f));
}

TEST_CASE("a node's certificate names it, and another --troupe.name and an "
          "openssl.* option are errors at start") {
  pki keys;
  auto f = keys.files("a");
  // A node keeps a reference to its config: one per start, kept here.
  std::vector<std::unique_ptr<config>> configs;
  auto start = [&](auto&& tweak) {
    auto& cfg = *configs.emplace_back(std::make_unique<config>());
    cfg.set("troupe.tls-cert", f.cert);
    cfg.set("troupe.tls-key", f.key);
    cfg.set("troupe.tls-ca", f.ca);
    cfg.set("troupe.log-level", "error");
    tweak(cfg);
    return node::start(cfg);
  };
  auto named = start([](config&) {});
  REQUIRE(named);
  CHECK((*named)->name() == "a");
  auto wrong = start([](config& cfg) { cfg.set("troupe.node-name", "b"); });
  REQUIRE_FALSE(wrong);
  CHECK_THAT(render(wrong.error()), Catch::Contains("certificate"));
  auto caf_tls = start([&](config& cfg) { cfg.openssl_certificate = f.cert; });
  REQUIRE_FALSE(caf_tls);
  CHECK_THAT(render(caf_tls.error()), Catch::Contains("--troupe.tls-cert"));
  auto on_basp = start([](config& cfg) { cfg.set("troupe.transport", "basp"); });
  REQUIRE_FALSE(on_basp);
  CHECK_THAT(render(on_basp.error()), Catch::Contains("own transport"));
}
