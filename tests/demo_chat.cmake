# The `chat` demo in a short configuration: 3 worker node processes, 6 users
# in 3 rooms, a late user joining while messages flow. The demo exits
# non-zero when a user missed a message of its rooms, got one twice or out
# of its sender's order.
if(TARGET troupe_demos)
  set(name "demo: chat delivers every room message once and in each sender's order across nodes")
  add_test(NAME "${name}"
           COMMAND troupe_demos chat --users 6 --messages 200 --rate 400
                   --timeout 40)
  # Serial: four processes on a shared 2-core machine, like the other
  # cluster demos.
  set_tests_properties("${name}" PROPERTIES TIMEOUT 90 RUN_SERIAL TRUE)

  # A worker node leaves (SIGTERM) while the second half flows: its users
  # end with it, the driver stops waiting for them, the others still get
  # every message of the users that stay, and the lost users' messages
  # reach them as gap-free prefixes. The expression requires exit 0.
  set(name "demo: chat goes on when a node leaves, every user that stays gets every message of the others that stay")
  add_test(NAME "${name}"
           COMMAND sh -c "\"$0\" chat --users 6 --messages 400 --rate 400 --leave-node 2 --timeout 60; echo \"exit code $?\""
                   $<TARGET_FILE:troupe_demos>)
  set_tests_properties("${name}" PROPERTIES TIMEOUT 120 RUN_SERIAL TRUE
    PASS_REGULAR_EXPRESSION "summary: [^\n]*node n2 left during the run with [1-9][0-9]* users[^\n]*: OK, every user that stayed got every message[^\n]*\n.*exit code 0\n")

  # PASS_REGULAR_EXPRESSION makes CTest ignore the exit code: the shell
  # prints it, and the expression requires 2 (a bad command line).
  set(name "demo: chat refuses more rooms per user than rooms with a clear error")
  add_test(NAME "${name}"
           COMMAND sh -c "\"$0\" chat --rooms 2 --rooms-per-user 3; echo \"exit code $?\""
                   $<TARGET_FILE:troupe_demos>)
  set_tests_properties("${name}" PROPERTIES TIMEOUT 30
                       PASS_REGULAR_EXPRESSION "error: --rooms-per-user cannot exceed --rooms.*exit code 2\n")
endif()
