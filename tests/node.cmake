# The node layer's rules in this process, without sockets: membership merge
# and refutation, failure detection, the cluster registry, hosted actors and
# the placement state. They include internal headers of runtime/src/node.
# One exception to "without sockets": the --troupe.seeds entries are
# resolved through a real DNS server (dnsmasq on a loopback UDP port).
troupe_unit_test(test_node
  unit/node_membership_test.cpp
  unit/node_placement_test.cpp
  unit/node_registry_test.cpp
  unit/node_seed_list_test.cpp
)
target_include_directories(test_node PRIVATE ${PROJECT_SOURCE_DIR}/runtime/src)
