# deploy/ as far as it can be checked here (no Kubernetes cluster, no
# container engine): tests/scripts/deploy_check.py. The packages themselves
# are installed and run by tests/scripts/deb_install_test.sh in .ci/run (it
# needs root for dpkg -i).
if(TARGET troupe_cli)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  add_test(NAME "deploy: the Kubernetes manifests, the Containerfile and the systemd unit name troupe node's own options and ports"
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/scripts/deploy_check.py
                   $<TARGET_FILE:troupe_cli> ${PROJECT_SOURCE_DIR}/deploy)
endif()
