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

  # Where the workers run, as the demo reads it from the cluster registry:
  # without chaos, round-robin puts the 12 workers 4 on each of the 3 nodes,
  # both after deploying and in the summary. PASS_REGULAR_EXPRESSION makes
  # CTest ignore the exit code: the shell prints it, and the expression
  # requires 0 (every job completed exactly once).
  set(name "demo: jobs reports its 12 workers placed 4 per node on 3 nodes")
  add_test(NAME "${name}"
           COMMAND sh -c "\"$0\" jobs --jobs 2000 --chaos-ms 0 --timeout 60; echo \"exit code $?\""
                   $<TARGET_FILE:troupe_demos>)
  set_tests_properties("${name}" PROPERTIES
    TIMEOUT 90 RUN_SERIAL TRUE
    PASS_REGULAR_EXPRESSION "workers per node: n1=4 n2=4 n3=4\n.*summary: [^\n]*; workers per node: n1=4 n2=4 n3=4; [^\n]*OK, no job lost\n.*exit code 0\n")

  # --queue-log: a run SIGKILLed mid-way leaves its log; the next run on it
  # resumes the jobs left and completes each exactly once.
  set(name "demo: jobs resumes the queue log a killed run left")
  add_test(NAME "${name}"
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/scripts/demo_jobs_resume.sh
                   $<TARGET_FILE:troupe_demos>)
  set_tests_properties("${name}" PROPERTIES TIMEOUT 240 RUN_SERIAL TRUE)
endif()
