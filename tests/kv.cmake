# The replicated key-value store (actors/kv): hash ring and quorum
# bookkeeping, the replica, and the coordinator with local replicas. The
# multi-process run is the `kv` demo's test (demo_kv.cmake).
if(TARGET troupe_actors)
  troupe_unit_test(test_kv
    unit/kv_ring_test.cpp
    unit/kv_shard_test.cpp
    unit/kv_coordinator_test.cpp
  )
  target_link_libraries(test_kv PRIVATE troupe_actors)
endif()
