# troupe::config's command line and config file (unit), and the option
# texts it is explained with (runtime/src/core/option_text, internal).
troupe_unit_test(test_config unit/core_config_test.cpp)
target_include_directories(test_config PRIVATE ${PROJECT_SOURCE_DIR}/runtime/src)

# The same command line through the `troupe node` command (CLI11 in front,
# troupe::config behind it): a typo is named with a did-you-mean and exits
# 2, and `--NAME VALUE` (with a space, as the README writes the tool's
# flags) reaches the node's configuration (--dump-config prints it).
if(TARGET troupe_cli)
  set(name "troupe node: a misspelt option is named with a did-you-mean and exits 2")
  add_test(NAME "${name}"
           COMMAND sh -c "\"$0\" node --troupe.lisen=127.0.0.1:0 2>&1; echo \"exit code $?\""
                   $<TARGET_FILE:troupe_cli>)
  set_tests_properties("${name}" PROPERTIES TIMEOUT 30
    PASS_REGULAR_EXPRESSION "error: unknown option --troupe.lisen; did you mean --troupe.listen\\?\n.*exit code 2\n")
  set(name "troupe node: --troupe.seeds HOST:PORT with a space reaches the configuration")
  add_test(NAME "${name}"
           COMMAND sh -c "\"$0\" node --troupe.seeds 127.0.0.1:27031 --troupe.join-timeout 2s --dump-config; echo \"exit code $?\""
                   $<TARGET_FILE:troupe_cli>)
  set_tests_properties("${name}" PROPERTIES TIMEOUT 30
    PASS_REGULAR_EXPRESSION "join-timeout = 2s\n *seeds = \"127.0.0.1:27031\"\n.*exit code 0\n")
  # A seed entry the node cannot use fails the start at once (no join
  # timeout to wait for) and shows the forms it accepts.
  set(name "troupe node: a dns: seed without a port fails the start and shows the accepted seed forms")
  add_test(NAME "${name}"
           COMMAND sh -c "\"$0\" node --troupe.seeds=127.0.0.1:27031,dns:troupe.test --troupe.join-timeout=60s 2>&1; echo \"exit code $?\""
                   $<TARGET_FILE:troupe_cli>)
  set_tests_properties("${name}" PROPERTIES TIMEOUT 10
    PASS_REGULAR_EXPRESSION "\"dns:troupe.test\": dns: needs a port \\(dns:NAME:PORT\\); the accepted forms are HOST:PORT, dns:NAME:PORT \\(every A/AAAA address of NAME\\) or srv:_troupe._tcp.NAME.*exit code 1\n")
  set(name "troupe node: a seed with an unknown prefix fails the start and shows the accepted seed forms")
  add_test(NAME "${name}"
           COMMAND sh -c "\"$0\" node --troupe.seeds=k8s:troupe:7000 --troupe.join-timeout=60s 2>&1; echo \"exit code $?\""
                   $<TARGET_FILE:troupe_cli>)
  set_tests_properties("${name}" PROPERTIES TIMEOUT 10
    PASS_REGULAR_EXPRESSION "\"k8s:troupe:7000\": unknown prefix \"k8s:\"; the accepted forms are HOST:PORT, dns:NAME:PORT.*exit code 1\n")
endif()

# A message type without inspect: one static_assert sentence from
# troupe::config::add_message_type, not CAF's pages of template errors.
get_target_property(caf_includes CAF::core INTERFACE_INCLUDE_DIRECTORIES)
set(includes "${PROJECT_SOURCE_DIR}/runtime/include")
if(caf_includes)
  list(APPEND includes ${caf_includes})
endif()
string(REPLACE ";" "|" includes "${includes}")
set(name "config: a message type without inspect fails to compile with troupe's one message")
add_test(NAME "${name}"
         COMMAND ${CMAKE_COMMAND} -DCXX=${CMAKE_CXX_COMPILER}
                 -DSOURCE=${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/no_inspect.cpp
                 "-DINCLUDES=${includes}"
                 "-DEXPECT=T has no inspect function, so CAF cannot serialize it"
                 -DMAX_ERRORS=3
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/scripts/compile_fail.cmake)
set_tests_properties("${name}" PROPERTIES TIMEOUT 300)
