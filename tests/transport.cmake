# troupe's node transport (runtime/src/transport) between two actor systems
# in this process, over real loopback sockets: messages, monitors, links,
# lost connections, the authenticated handshake and the limits a hostile
# peer meets (raw sockets that speak bytes, not troupe).
troupe_unit_test(test_transport
  unit/transport_backpressure_test.cpp
  unit/transport_messaging_test.cpp
  unit/transport_security_test.cpp
  unit/transport_tls_test.cpp
  unit/transport_wire_test.cpp
)
target_include_directories(test_transport PRIVATE ${PROJECT_SOURCE_DIR}/runtime/src)
# transport_tls_test.cpp makes its certificates as `troupe tls init` does.
target_link_libraries(test_transport PRIVATE troupe_tooling OpenSSL::SSL)
