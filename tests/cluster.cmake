# Multi-process tests: real `troupe node` processes on loopback.
if(TARGET troupe_cli)
  add_executable(test_cluster cluster/cluster_test.cpp
                 ${PROJECT_SOURCE_DIR}/examples/troupe/local_cluster.cpp
                 $<TARGET_OBJECTS:troupe_test_main>)
  target_include_directories(test_cluster PRIVATE ${PROJECT_SOURCE_DIR}/examples)
  target_link_libraries(test_cluster PRIVATE troupe::troupe Catch2::Catch2 troupe_warnings)
  target_compile_definitions(test_cluster PRIVATE
    TROUPE_BINARY="$<TARGET_FILE:troupe_cli>"
    TROUPE_TEST_LOGS="${CMAKE_CURRENT_BINARY_DIR}/cluster-logs")
  add_dependencies(test_cluster troupe_cli)
  # Serial: each test runs several node processes, and timing bounds on a
  # shared 2-core machine are kinder without a second cluster beside them.
  catch_discover_tests(test_cluster TEST_PREFIX "cluster: "
                       PROPERTIES TIMEOUT 240 RUN_SERIAL TRUE)
endif()
