#include "troupe/child_spec.hpp"

#include "troupe/errc.hpp"
#include "troupe/supervisor_spec.hpp"

namespace troupe {

std::string to_string(restart x) {
  switch (x) {
    case restart::permanent:
      return "permanent";
    case restart::transient:
      return "transient";
    case restart::temporary:
      return "temporary";
  }
  return "?";
}

std::string to_string(restart_strategy x) {
  switch (x) {
    case restart_strategy::one_for_one:
      return "one_for_one";
    case restart_strategy::one_for_all:
      return "one_for_all";
    case restart_strategy::rest_for_one:
      return "rest_for_one";
    case restart_strategy::simple_one_for_one:
      return "simple_one_for_one";
  }
  return "?";
}

std::string to_string(const supervisor_event& ev) {
  std::string result = "supervisor \"" + ev.supervisor + "\": child \""
                       + ev.child_id + "\" ";
  switch (ev.kind) {
    case supervisor_event::child_started:
      result += "started";
      break;
    case supervisor_event::child_exited:
      result += "exited (" + render(ev.reason) + ")";
      break;
    case supervisor_event::child_stopped:
      result += "stopped";
      break;
    case supervisor_event::start_failed:
      result += "failed to start (" + render(ev.reason) + ")";
      break;
    case supervisor_event::escalating:
      result += "hit the restart intensity; escalating (" + render(ev.reason)
                + ")";
      break;
  }
  return result;
}

child_spec child(std::string id, std::string type_name, caf::message args) {
  child_spec spec;
  spec.id = std::move(id);
  spec.start = registered_type{std::move(type_name)};
  spec.args = std::move(args);
  return spec;
}

child_spec child(std::string id, supervisor_spec spec) {
  child_spec result;
  result.id = std::move(id);
  result.start = std::make_shared<const supervisor_spec>(std::move(spec));
  // OTP gives supervisors `infinity`: they stop their own children in
  // order, each bounded by its own timeout.
  result.shutdown_timeout = caf::timespan::max();
  return result;
}

} // namespace troupe
