# Publish/subscribe across nodes: several nodes in one test process, each its
# own actor system on a loopback port.
troupe_unit_test(test_pubsub_cluster unit/pubsub_cluster_test.cpp)
if(TARGET troupe_actors)
  target_link_libraries(test_pubsub_cluster PRIVATE troupe_actors)
endif()
