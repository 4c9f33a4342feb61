# The jobs demo in a short configuration: nodes are SIGKILLed and restarted
# while workers process the queue; the demo fails unless every job
# completed exactly once in the sink. The run must last several chaos
# intervals whatever the machine's speed: at 14k jobs/s (release, idle
# 2-core machine) 20000 jobs were done after one kill and the
# --require-kills check failed, so 80000 (about 6 s there, 8 kills).
if(TARGET troupe_demos)
  add_test(NAME "demo: jobs loses no job while worker nodes are killed"
           COMMAND troupe_demos jobs --jobs 80000 --workers 6 --chaos-ms 700
                   --down-ms 400 --timeout 90 --require-kills 2)
  set_tests_properties("demo: jobs loses no job while worker nodes are killed"
                       PROPERTIES TIMEOUT 150 RUN_SERIAL TRUE)
endif()
