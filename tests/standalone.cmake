# The install path as a user meets it: install this build into a prefix
# under the build tree, build examples/standalone (a project of its own,
# find_package(troupe REQUIRED)) against it and run its two nodes
# (tests/scripts/standalone_example.cmake). Not under sanitizers: the
# installed library would need the sanitizer's runtime in the user's build.
if(NOT TROUPE_SANITIZE AND TROUPE_BUILD_TOOLS)
  add_test(NAME "standalone: examples/standalone builds against the installed prefix and its nodes talk"
           COMMAND ${CMAKE_COMMAND}
                   -DBUILD_DIR=${PROJECT_BINARY_DIR}
                   -DSOURCE_DIR=${PROJECT_SOURCE_DIR}/examples/standalone
                   -DWORK_DIR=${PROJECT_BINARY_DIR}/standalone-test
                   -DCXX=${CMAKE_CXX_COMPILER}
                   -DLAUNCHER=${CCACHE_PROGRAM}
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/scripts/standalone_example.cmake)
  # One compile of CAF's headers (about a minute on 2 cores without ccache).
  set_tests_properties("standalone: examples/standalone builds against the installed prefix and its nodes talk"
                       PROPERTIES TIMEOUT 400 RUN_SERIAL TRUE)
endif()
