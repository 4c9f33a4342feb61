// The cluster tests' odd node: `troupe node`'s command line, with one
// message type more than every other node (troupe.extra_test_type), so that
// the tests can check that a node with another type set is refused at join.
// A test-only type has no place in the product's node.

#include <troupe/troupe.hpp>

#include "tools/node_command.hpp"

namespace {

struct extra_test_type {
  int32_t value = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, extra_test_type& x) {
  return f(caf::meta::type_name("troupe.extra_test_type"), x.value);
}

} // namespace

int main(int argc, char** argv) {
  using namespace troupe;
  CLI::App app{"a troupe node with one extra message type (cluster tests)",
               "test_cluster_odd_node"};
  std::vector<tools::command> commands{tools::add_node_command(
    app, {.summary = "run one node with one extra message type",
          .footer = {},
          .setup = [](troupe::config& cfg) {
            cfg.add_message_type<extra_test_type>("troupe.extra_test_type");
          }})};
  if (auto code = tools::parse(app, argc, argv))
    return *code;
  return tools::run_parsed(app, commands);
}
