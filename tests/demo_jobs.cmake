# The jobs demo in a short configuration: nodes are SIGKILLed and restarted
# while workers process the queue; the demo fails unless every job
# completed exactly once in the sink.
if(TARGET troupe_cli)
  add_test(NAME "demo: jobs loses no job while worker nodes are killed"
           COMMAND troupe_cli demo jobs --jobs 20000 --workers 6 --chaos-ms 700
                   --down-ms 400 --timeout 90 --require-kills 2)
  set_tests_properties("demo: jobs loses no job while worker nodes are killed"
                       PROPERTIES TIMEOUT 150 RUN_SERIAL TRUE)
endif()
