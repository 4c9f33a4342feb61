# Every demo also runs as a test in a short configuration; a demo exits
# non-zero when its own summary check fails.
if(TARGET troupe_demos)
  add_test(NAME "demo: supervision heals and loses no acknowledged deposit"
           COMMAND troupe_demos supervision --duration 2 --chaos-ms 50)
  set_tests_properties("demo: supervision heals and loses no acknowledged deposit"
                       PROPERTIES TIMEOUT 120)
endif()

# `troupe demo ...` runs the troupe-demos program next to the tool.
if(TARGET troupe_demos AND TARGET troupe_cli)
  # The shell prints the exit code (PASS_REGULAR_EXPRESSION would hide it).
  add_test(NAME "demo: troupe demo --list runs troupe-demos and lists every demo"
           COMMAND sh -c "\"$0\" demo --list; echo \"exit code $?\""
                   $<TARGET_FILE:troupe_cli>)
  set_tests_properties("demo: troupe demo --list runs troupe-demos and lists every demo"
                       PROPERTIES TIMEOUT 30
                       PASS_REGULAR_EXPRESSION "chat.*jobs.*kv.*pingpong.*supervision.*wordcount.*exit code 0\n")
endif()
