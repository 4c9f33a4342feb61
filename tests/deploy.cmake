# deploy/ as far as it can be checked here (no Kubernetes cluster, no
# container engine): tests/scripts/deploy_check.py. The packages themselves
# are installed and run by tests/scripts/deb_install_test.sh in .ci/run (it
# needs root for dpkg -i).
if(TARGET troupe_cli)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  add_test(NAME "deploy: the Kubernetes manifests, the Containerfile and the systemd unit name troupe node's own options and ports"
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/scripts/deploy_check.py
                   $<TARGET_FILE:troupe_cli> ${PROJECT_SOURCE_DIR}/deploy)
  # Several hosts: 3 nodes in 3 network namespaces (skipped, exit 77,
  # where they cannot be made). Its fixed ports (7000 in the namespaces,
  # 5353 for dnsmasq) are on addresses of its own bridge.
  set(name "deploy: 3 nodes in 3 network namespaces form one cluster across them")
  add_test(NAME "${name}"
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/scripts/netns_cluster_test.sh
                   $<TARGET_FILE:troupe_cli>)
  set_tests_properties("${name}" PROPERTIES TIMEOUT 90 SKIP_RETURN_CODE 77)
endif()
