// Catch's main, with two checks of our own. A run whose filter matches no
// test fails (--warn NoTests): Catch would pass it. And CTest's
// catch_discover_tests keeps test names in a CMake list, where ';'
// separates items, so a name with a ';' would become two CTest tests that
// run nothing: every run of a binary that has one fails, naming it.

#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstring>
#include <iostream>
#include <vector>

int main(int argc, char* argv[]) {
  bool listing = false;
  for (int i = 1; i < argc; ++i)
    listing = listing || std::strncmp(argv[i], "--list", 6) == 0;
  if (!listing) {
    bool bad = false;
    for (auto& test : Catch::getRegistryHub().getTestCaseRegistry().getAllTests())
      if (test.name.find(';') != std::string::npos) {
        std::cerr << "error: the test name \"" << test.name
                  << "\" has a ';': CTest splits it into two tests that run "
                     "nothing; use a comma\n";
        bad = true;
      }
    if (bad)
      return 3;
  }
  std::vector<char*> args{argv, argv + argc};
  static char warn[] = "--warn";
  static char no_tests[] = "NoTests";
  if (!listing) {
    args.push_back(warn);
    args.push_back(no_tests);
  }
  return Catch::Session().run(static_cast<int>(args.size()), args.data());
}
