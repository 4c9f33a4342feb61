# The `kv` demo in a short configuration: 4 worker node processes, one of
# them SIGKILLed and restarted mid-run. The demo exits non-zero when its
# summary check fails (an acknowledged write lost or under-replicated, the
# store not serving while the node was down, a handoff that never ended).
if(TARGET troupe_demos)
  set(name "demo: kv keeps serving through a SIGKILLed node and loses no acknowledged write")
  add_test(NAME "${name}"
           COMMAND troupe_demos kv --duration 4 --keys 300 --clients 16)
  # Serial: five processes on a shared 2-core machine; the cluster tests
  # run serially for the same reason.
  set_tests_properties("${name}" PROPERTIES TIMEOUT 120 RUN_SERIAL TRUE)

  # PASS_REGULAR_EXPRESSION makes CTest ignore the exit code: the shell
  # prints it, and the expression requires 2 (a bad command line).
  set(name "demo: kv refuses a kill after the end of the run with a clear error")
  add_test(NAME "${name}"
           COMMAND sh -c "\"$0\" kv --duration 2 --kill-at 3; echo \"exit code $?\""
                   $<TARGET_FILE:troupe_demos>)
  set_tests_properties("${name}" PROPERTIES TIMEOUT 30
                       PASS_REGULAR_EXPRESSION "error: need --kill-at < --restart-at and --kill-at < --duration.*exit code 2\n")
endif()
