# cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... [-DCXX=...]
#       [-DLAUNCHER=ccache] -P standalone_example.cmake
# Installs BUILD_DIR into WORK_DIR/prefix, configures and builds the
# standalone example SOURCE_DIR against it with -DCMAKE_PREFIX_PATH, as the
# README says, and runs it. Fails with the step that went wrong.

function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(step_out "${out}" PARENT_SCOPE)
  set(step_err "${err}" PARENT_SCOPE)
endfunction()

function(expect text part what)
  string(FIND "${text}" "${part}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${what}: \"${part}\" not in:\n${text}")
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
step("cmake --install" ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
foreach(f lib/cmake/troupe/troupeConfig.cmake include/troupe/troupe.hpp
          include/troupe/actors/work_queue/work_queue.hpp
          include/troupe/actors/pubsub/broker.hpp include/troupe/actors/kv/kv_coordinator.hpp
          bin/troupe)
  if(NOT EXISTS "${prefix}/${f}")
    message(FATAL_ERROR "the install has no ${f}")
  endif()
endforeach()
step("the installed troupe tool" "${prefix}/bin/troupe" help)

set(args -S "${SOURCE_DIR}" -B "${WORK_DIR}/build" -DCMAKE_BUILD_TYPE=Release
         "-DCMAKE_PREFIX_PATH=${prefix}")
if(CXX)
  list(APPEND args "-DCMAKE_CXX_COMPILER=${CXX}")
endif()
if(LAUNCHER)
  list(APPEND args "-DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER}")
endif()
string(TIMESTAMP t0 "%s")
step("configuring examples/standalone" ${CMAKE_COMMAND} ${args})
step("building examples/standalone" ${CMAKE_COMMAND} --build "${WORK_DIR}/build")
string(TIMESTAMP t1 "%s")
math(EXPR secs "${t1} - ${t0}")
message(STATUS "examples/standalone configured and built in ${secs} s")

set(bank "${WORK_DIR}/build/bank")
step("running examples/standalone" "${bank}" --troupe.log-level=warning --app.deposits 3)
expect("${step_out}" "b deposited 3 times on a: balance 60" "the cross-node call")
expect("${step_out}" "broadcast from b reached 2 members" "the group")
expect("${step_out}" "OK" "the example")
message(STATUS "${step_out}")

# Its command line is troupe::config's: the help lists the application's
# option with its default, a typo is named.
step("bank --help" "${bank}" --help)
expect("${step_out}" "--app.deposits=INT" "bank --help")
expect("${step_out}" "(default: 3)" "bank --help")
expect("${step_out}" "--troupe.listen=TEXT" "bank --help")
execute_process(COMMAND "${bank}" --app.deposit=2 RESULT_VARIABLE rc
                ERROR_VARIABLE err OUTPUT_QUIET)
if(NOT rc EQUAL 2)
  message(FATAL_ERROR "bank --app.deposit=2 exited with ${rc}, not 2")
endif()
expect("${err}" "unknown option --app.deposit; did you mean --app.deposits?" "a typo")
