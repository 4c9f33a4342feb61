# Distributed benchmarks: troupe across node processes, and the same
# workload on raw CAF (client and server processes). Built with the project,
# never run by the tests.
set(TROUPE_BENCH_DIST ${CMAKE_CURRENT_LIST_DIR}/dist)

# troupe: this program is also its own node binary (`bench_dist_troupe node
# ...`) for the figures that need the benchmark's actor types on the nodes;
# the join figures start real `troupe node` processes.
add_executable(bench_dist_troupe
  ${TROUPE_BENCH_DIST}/troupe_main.cpp
  ${TROUPE_BENCH_DIST}/troupe_node.cpp
  ${TROUPE_BENCH_DIST}/troupe_types.cpp
  ${TROUPE_BENCH_DIST}/troupe_cluster.cpp
  ${TROUPE_BENCH_DIST}/troupe_flow.cpp
  ${TROUPE_BENCH_DIST}/troupe_membership.cpp)
target_include_directories(bench_dist_troupe PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(bench_dist_troupe PRIVATE troupe_tooling troupe::allocator
                                                troupe_warnings)
target_compile_definitions(bench_dist_troupe PRIVATE
  BENCH_TROUPE_BINARY="${PROJECT_BINARY_DIR}/bin/troupe")
set_target_properties(bench_dist_troupe PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
if(TARGET troupe_cli)
  add_dependencies(bench_dist_troupe troupe_cli)
endif()

# Raw CAF: must not link troupe (troupe_process, the launcher and the
# command-line conventions, does not).
add_executable(bench_dist_caf ${TROUPE_BENCH_DIST}/caf_main.cpp)
target_include_directories(bench_dist_caf PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(bench_dist_caf PRIVATE CAF::core CAF::io troupe_process
                                             troupe_warnings)
target_compile_features(bench_dist_caf PRIVATE cxx_std_20)
set_target_properties(bench_dist_caf PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
