# troupe::system::shutdown: no silent hang at exit. Without the fix these
# tests hang in ~actor_system; an in-test watchdog ends them after 20 s and
# CTest's TIMEOUT after 60 s.
add_executable(test_system_stop unit/system_stop_test.cpp $<TARGET_OBJECTS:troupe_test_main>)
target_link_libraries(test_system_stop PRIVATE troupe::troupe Catch2::Catch2 troupe_warnings)
catch_discover_tests(test_system_stop TEST_PREFIX "test_system_stop: " PROPERTIES TIMEOUT 60)
