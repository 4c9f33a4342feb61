# Local (single-process) benchmarks: the same workloads against troupe and
# against raw CAF. Built with the project, never run by the tests.
foreach(peer troupe caf)
  add_executable(bench_local_${peer} ${CMAKE_CURRENT_LIST_DIR}/local/main.cpp)
  target_include_directories(bench_local_${peer} PRIVATE ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(bench_local_${peer} PRIVATE troupe_process troupe_warnings)
  set_target_properties(bench_local_${peer} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
endforeach()
target_compile_definitions(bench_local_troupe PRIVATE BENCH_TROUPE)
target_link_libraries(bench_local_troupe PRIVATE troupe::troupe troupe::allocator)
# The raw-CAF peer must not link troupe: CAF alone, with CAF's defaults
# (and glibc's malloc: troupe::allocator is troupe's choice, not CAF's).
target_link_libraries(bench_local_caf PRIVATE CAF::core CAF::io)
target_compile_features(bench_local_caf PRIVATE cxx_std_20)
