# Inputs the fuzz targets (fuzz/, ./troupe.sh fuzz) found, each fed to the
# code it exercised, as a specification of what that code does with it.
troupe_unit_test(test_fuzz_regressions unit/fuzz_regressions_test.cpp)
# The membership rules are internal (runtime/src/node/membership.hpp).
target_include_directories(test_fuzz_regressions
  PRIVATE ${PROJECT_SOURCE_DIR}/runtime/src)
