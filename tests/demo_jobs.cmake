# The jobs demo in a short configuration: nodes are SIGKILLed and restarted
# while workers process the queue; the demo fails unless every job
# completed exactly once in the sink (recounted from the sink's record of
# done ids, so a sink that counted duplicates as completions fails too).
# --require-kills 2 keeps the run going with batches of 20000 jobs more
# until two nodes were killed while jobs flowed, whatever the machine's
# speed (a fixed job count finished after one kill on a fast machine).
if(TARGET troupe_demos)
  add_test(NAME "demo: jobs loses no job while worker nodes are killed"
           COMMAND troupe_demos jobs --jobs 20000 --workers 6 --chaos-ms 700
                   --down-ms 400 --timeout 90 --require-kills 2)
  set_tests_properties("demo: jobs loses no job while worker nodes are killed"
                       PROPERTIES TIMEOUT 150 RUN_SERIAL TRUE)
endif()
