# The observe layer (issue 16): the metrics registry and JSON logs, a
# node's HTTP endpoint in this process, and a real Prometheus scraping a
# 3-node cluster of `troupe node` processes.
find_package(nlohmann_json 3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)

troupe_unit_test(test_observe
  unit/observe_metrics_test.cpp
  unit/observe_http_test.cpp)
target_link_libraries(test_observe PRIVATE nlohmann_json::nlohmann_json
                                           PkgConfig::HTTPLIB)
