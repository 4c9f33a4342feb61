# The machine's floor: a plain TCP ping-pong between two processes on
# loopback (no actors, no troupe, no CAF). run.sh sets the peers' cross-node
# round trips against it.
add_executable(bench_tcp_floor ${CMAKE_CURRENT_LIST_DIR}/floor/tcp_floor.cpp)
target_include_directories(bench_tcp_floor PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(bench_tcp_floor PRIVATE troupe_process troupe_warnings)
set_target_properties(bench_tcp_floor PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
