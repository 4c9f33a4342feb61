# Inputs the fuzz targets (fuzz/, ./troupe.sh fuzz) found, each fed to the
# code it exercised, as a specification of what that code does with it.
troupe_unit_test(test_fuzz_regressions unit/fuzz_regressions_test.cpp)
