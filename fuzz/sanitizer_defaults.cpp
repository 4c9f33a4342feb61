// Defaults of the sanitizers for every fuzz binary, so a target run by hand
// behaves as under ./troupe.sh fuzz: a UBSan report stops the run (libFuzzer
// then saves the input as a crash) except the CAF issue cmake/ubsan.supp
// lists. Suppressions need recoverable checks, hence halt_on_error instead
// of -fno-sanitize-recover. UBSAN_OPTIONS in the environment still wins.

extern "C" const char* __ubsan_default_options() {
  return "halt_on_error=1:print_stacktrace=1:"
         "suppressions=" TROUPE_UBSAN_SUPPRESSIONS;
}
