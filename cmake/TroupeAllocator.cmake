# The memory allocator of troupe's programs.
#
#   -DTROUPE_ALLOCATOR=jemalloc   (default) Debian's libjemalloc-dev
#   -DTROUPE_ALLOCATOR=mimalloc   Debian's libmimalloc-dev
#   -DTROUPE_ALLOCATOR=system     glibc's malloc
#
# The chosen allocator replaces malloc/free (and so operator new/delete) in
# the whole process when an executable links the INTERFACE target
# troupe::allocator: the `troupe` tool, `troupe-demos` and troupe's
# benchmarks do. The library troupe itself does not: which allocator a
# program uses is the program's choice. A program of your own gets the same
# allocator with
#
#   target_link_libraries(app PRIVATE troupe::troupe troupe::allocator)
#
# (after find_package(troupe), or in this build tree), or any other way it
# likes (LD_PRELOAD=libjemalloc.so.2 works too). Why jemalloc by default:
# bench/RESULTS.md, "Allocator".
#
# Sanitizer builds always use the system allocator: ASan and TSan replace
# malloc themselves.

set(TROUPE_ALLOCATOR "jemalloc" CACHE STRING
    "Allocator linked into troupe's programs: jemalloc, mimalloc or system")
set_property(CACHE TROUPE_ALLOCATOR PROPERTY STRINGS jemalloc mimalloc system)

set(troupe_allocator_choice "${TROUPE_ALLOCATOR}")
if(TROUPE_SANITIZE AND NOT troupe_allocator_choice STREQUAL "system")
  message(STATUS "troupe: TROUPE_SANITIZE is set, using the system allocator "
                 "instead of ${troupe_allocator_choice}")
  set(troupe_allocator_choice "system")
endif()

# The allocator's shared library, by absolute path: the exported target then
# needs no find module of its own in a user's project.
if(troupe_allocator_choice STREQUAL "jemalloc")
  find_library(TROUPE_JEMALLOC_LIBRARY NAMES jemalloc)
  if(NOT TROUPE_JEMALLOC_LIBRARY)
    message(FATAL_ERROR "TROUPE_ALLOCATOR=jemalloc but libjemalloc was not "
                        "found. On Debian: apt-get install libjemalloc-dev (or "
                        "./troupe.sh setup); or configure with "
                        "-DTROUPE_ALLOCATOR=system")
  endif()
  set(troupe_allocator_library "${TROUPE_JEMALLOC_LIBRARY}")
elseif(troupe_allocator_choice STREQUAL "mimalloc")
  find_library(TROUPE_MIMALLOC_LIBRARY NAMES mimalloc)
  if(NOT TROUPE_MIMALLOC_LIBRARY)
    message(FATAL_ERROR "TROUPE_ALLOCATOR=mimalloc but libmimalloc was not "
                        "found. On Debian: apt-get install libmimalloc-dev; or "
                        "configure with -DTROUPE_ALLOCATOR=jemalloc or system")
  endif()
  set(troupe_allocator_library "${TROUPE_MIMALLOC_LIBRARY}")
elseif(troupe_allocator_choice STREQUAL "system")
  set(troupe_allocator_library "")
else()
  message(FATAL_ERROR "TROUPE_ALLOCATOR is '${TROUPE_ALLOCATOR}'; use jemalloc, "
                      "mimalloc or system")
endif()
message(STATUS "troupe: allocator of troupe's programs: ${troupe_allocator_choice}")

add_library(troupe_allocator INTERFACE)
add_library(troupe::allocator ALIAS troupe_allocator)
if(troupe_allocator_library)
  # --no-as-needed: the program calls nothing of the allocator by name, so a
  # linker that drops unreferenced libraries (--as-needed, the default on
  # some distributions) would otherwise drop it and keep glibc's malloc.
  target_link_libraries(troupe_allocator INTERFACE
    "-Wl,--push-state,--no-as-needed" "${troupe_allocator_library}"
    "-Wl,--pop-state")
endif()
# Installed as troupe::allocator, next to troupe::troupe.
set_target_properties(troupe_allocator PROPERTIES EXPORT_NAME allocator)
install(TARGETS troupe_allocator EXPORT troupeTargets)
