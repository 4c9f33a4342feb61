# Every demo also runs as a test in a short configuration; a demo exits
# non-zero when its own summary check fails.
if(TARGET troupe_cli)
  add_test(NAME "demo: supervision heals and loses no acknowledged deposit"
           COMMAND troupe_cli demo supervision --duration 2 --chaos-ms 50)
  set_tests_properties("demo: supervision heals and loses no acknowledged deposit"
                       PROPERTIES TIMEOUT 120)
endif()
