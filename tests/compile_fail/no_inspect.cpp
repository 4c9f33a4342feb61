// Must NOT compile: a message type without an inspect function. The test
// "config: a message type without inspect ..." (tests/config.cmake) checks
// that the compiler says so in troupe's one sentence.
#include <string>

#include <troupe/config.hpp>

namespace bank {
struct deposit {
  std::string account;
  long amount = 0;
};
} // namespace bank

int main() {
  troupe::config cfg;
  cfg.add_message_type<bank::deposit>("bank::deposit");
}
