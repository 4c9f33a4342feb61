# Compiles SOURCE (-fsyntax-only) with CXX and the include directories
# INCLUDES (a ;-list), and passes when the compile fails with EXPECT in its
# output in at most MAX_ERRORS lines saying "error" (a readable message, not
# pages of template errors).
string(REPLACE "|" ";" include_list "${INCLUDES}")
set(flags -std=c++20 -fsyntax-only)
foreach(dir IN LISTS include_list)
  list(APPEND flags "-I${dir}")
endforeach()
execute_process(COMMAND ${CXX} ${flags} ${SOURCE}
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out
                TIMEOUT 300)
if(status EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must not")
endif()
string(FIND "${out}" "${EXPECT}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "the compiler did not say \"${EXPECT}\":\n${out}")
endif()
string(REGEX MATCHALL "error" errors "${out}")
list(LENGTH errors n)
if(n GREATER MAX_ERRORS)
  message(FATAL_ERROR "${n} lines with \"error\" (at most ${MAX_ERRORS}):\n${out}")
endif()
message(STATUS "refused as expected, with ${n} error lines")
