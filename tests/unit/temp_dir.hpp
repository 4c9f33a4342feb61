#pragma once
// A fresh temporary directory per test, removed with everything in it when
// the test ends (also when it fails).

#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace troupe::test {

struct temp_dir {
  std::filesystem::path path;

  /// Creates <tmp>/<prefix><random>.
  explicit temp_dir(const std::string& prefix = "troupe-test-") {
    std::random_device rd;
    path = std::filesystem::temp_directory_path()
           / (prefix + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }

  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }

  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  /// The path of `name` inside the directory.
  std::string file(const char* name) const {
    return (path / name).string();
  }
};

} // namespace troupe::test
