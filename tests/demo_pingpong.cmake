# `troupe demo pingpong` in a short configuration: two worker nodes, a few
# hundred timed round trips per pair. The demo exits non-zero unless every
# ping got its pong, in order (its summary says which).
if(TARGET troupe_demos)
  set(_name "demo: pingpong times round trips in a node and across nodes, every pong in order")
  add_test(NAME "${_name}"
           COMMAND troupe_demos pingpong --nodes 2 --rounds 500
                   --throughput-rounds 2000 --warmup 50)
  set_tests_properties("${_name}" PROPERTIES
    TIMEOUT 60
    FAIL_REGULAR_EXPRESSION "MISMATCH;FAILED")
endif()
