# `troupe demo wordcount` in a short configuration: 1 MB of text in 64
# chunks over two worker nodes, the reducer crashed twice. The demo exits
# non-zero unless the cluster's count equals a single-process count.
if(TARGET troupe_demos)
  set(_name "demo: wordcount equals a single-process count although the reducer crashes twice")
  add_test(NAME "${_name}"
           COMMAND troupe_demos wordcount --nodes 2 --size-mb 1
                   --chunk-kb 16 --crashes 2)
  set_tests_properties("${_name}" PROPERTIES
    TIMEOUT 60
    FAIL_REGULAR_EXPRESSION "MISMATCH;FAILED")

  # The check is not vacuous: without re-sending, what the crashed reducer
  # had taken is lost, and the summary must say MISMATCH with exit code 1.
  set(_name "demo: wordcount without re-sending loses a crashed reducer's counts and says MISMATCH")
  add_test(NAME "${_name}"
           COMMAND sh -c "\"$0\" wordcount --nodes 2 --size-mb 0.5 --chunk-kb 16 --crashes 1 --no-resend; echo \"exit code $?\""
                   $<TARGET_FILE:troupe_demos>)
  set_tests_properties("${_name}" PROPERTIES
    TIMEOUT 60
    PASS_REGULAR_EXPRESSION "summary: [^\n]*MISMATCH.*\nexit code 1\n")
endif()
