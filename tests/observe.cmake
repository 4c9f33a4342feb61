# The observe layer (issue 16): the metrics registry and JSON logs, a
# node's HTTP endpoint in this process, and a real Prometheus scraping a
# 3-node cluster of `troupe node` processes.
find_package(nlohmann_json 3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)

troupe_unit_test(test_observe
  unit/observe_metrics_test.cpp
  unit/observe_http_test.cpp
  unit/observe_hooks_test.cpp
  unit/observe_transport_test.cpp
  unit/observe_log_test.cpp)
target_link_libraries(test_observe PRIVATE nlohmann_json::nlohmann_json
                                           PkgConfig::HTTPLIB)

# Against `troupe node` processes: `troupe top --once`, Debian's
# prometheus scraping them and the dashboard in Debian's headless chromium
# (troupe.sh installs both for the tests).
find_program(PROMETHEUS_BINARY prometheus)
if(TARGET troupe_cli AND PROMETHEUS_BINARY)
  add_executable(test_prometheus cluster/prometheus_test.cpp cluster/top_test.cpp
                                 $<TARGET_OBJECTS:troupe_test_main>)
  target_link_libraries(test_prometheus PRIVATE troupe_tooling Catch2::Catch2
                        troupe_warnings nlohmann_json::nlohmann_json
                        PkgConfig::HTTPLIB)
  target_compile_definitions(test_prometheus PRIVATE
    TROUPE_BINARY="$<TARGET_FILE:troupe_cli>"
    PROMETHEUS_BINARY="${PROMETHEUS_BINARY}"
    TROUPE_TEST_LOGS="${CMAKE_CURRENT_BINARY_DIR}/observe-logs")
  add_dependencies(test_prometheus troupe_cli)
  # Debian's chromium, headless, for the dashboard.
  find_program(CHROMIUM_BINARY chromium)
  if(CHROMIUM_BINARY)
    target_sources(test_prometheus PRIVATE cluster/dashboard_test.cpp)
    target_compile_definitions(test_prometheus PRIVATE
      CHROMIUM_BINARY="${CHROMIUM_BINARY}")
  else()
    message(WARNING "chromium not found: the dashboard test is not built "
                    "(apt-get install chromium, or ./troupe.sh setup)")
  endif()
  catch_discover_tests(test_prometheus TEST_PREFIX "observe cluster: "
                       PROPERTIES TIMEOUT 300 RUN_SERIAL TRUE)
elseif(TARGET troupe_cli)
  message(WARNING "prometheus not found: the Prometheus test is not built "
                  "(apt-get install prometheus, or ./troupe.sh setup)")
endif()
if(TARGET troupe_actors)
  target_link_libraries(test_observe PRIVATE troupe_actors)
endif()
