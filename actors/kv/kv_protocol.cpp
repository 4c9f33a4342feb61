#include "kv/kv_protocol.hpp"

#include <caf/message.hpp>

#include <troupe/config.hpp>
#include <troupe/errc.hpp>

#include "kv/kv_coordinator.hpp"

namespace troupe::kv {

namespace {

const char* name_of(errc code) {
  switch (code) {
    case errc::none:
      return "none";
    case errc::no_quorum:
      return "no_quorum";
    case errc::invalid_key:
      return "invalid_key";
  }
  return "unknown";
}

const char* advice_of(errc code) {
  switch (code) {
    case errc::no_quorum:
      return "too many replicas of this key are down; retry once a node is "
             "back (the store tolerates one lost replica per key)";
    case errc::invalid_key:
      return "use a non-empty key";
    default:
      return "";
  }
}

} // namespace

caf::error make_error(errc code, std::string context) {
  return {static_cast<uint8_t>(code), errc_category,
          caf::make_message(std::move(context))};
}

std::string error_kind(const caf::error& err) {
  if (!err)
    return "none";
  if (err.category() == errc_category)
    return name_of(static_cast<errc>(err.code()));
  if (err.category() == troupe::errc_category)
    return troupe::to_string(static_cast<troupe::errc>(err.code()));
  return "other";
}

std::string render(const caf::error& err) {
  if (err.category() != errc_category)
    return troupe::render(err);
  auto code = static_cast<errc>(err.code());
  std::string result = "kv: ";
  result += name_of(code);
  auto& ctx = err.context();
  if (ctx.match_elements<std::string>()) {
    result += ": ";
    result += ctx.get_as<std::string>(0);
  }
  if (auto tip = advice_of(code); *tip) {
    result += ". ";
    result += tip;
  }
  return result;
}

void add_types(troupe::config& cfg) {
  cfg.add_message_type<entry>("troupe.kv.entry");
  cfg.add_message_type<std::vector<entry>>("std::vector<troupe.kv.entry>");
  cfg.add_message_type<coordinator_status>("troupe.kv.coordinator_status");
  cfg.add_error_category(errc_category,
                         [](uint8_t code, caf::atom_value,
                            const caf::message& ctx) -> std::string {
                           return render(caf::error{code, errc_category, ctx});
                         });
}

} // namespace troupe::kv
