#include "node/seed_list.hpp"

#include <cstdlib>
#include <sstream>

#include "troupe/errc.hpp"

namespace troupe::detail {

namespace {

caf::error bad_entry(const std::string& text, const std::string& what) {
  return make_error(errc::invalid_config,
                    "--troupe.seeds entry \"" + text + "\": " + what
                        + "; the accepted forms are " + seed_forms);
}

/// A decimal port 1..65535, or 0 if `text` is none.
uint16_t parse_port(const std::string& text) {
  if (text.empty() || text.size() > 5
      || text.find_first_not_of("0123456789") != std::string::npos)
    return 0;
  auto value = std::strtoul(text.c_str(), nullptr, 10);
  return value <= 65535 ? static_cast<uint16_t>(value) : 0;
}

/// A DNS name as RFC 1035 allows it (with '_' for SRV labels): labels of
/// 1..63 letters, digits, '-' or '_', 253 characters at most.
bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 253)
    return false;
  size_t label = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '.') {
      if (label == 0)
        return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63)
      return false;
  }
  return true; // a trailing dot (an absolute name) is fine
}

} // namespace

caf::expected<seed_entry> parse_seed(const std::string& text) {
  seed_entry result;
  result.text = text;
  if (text.rfind("dns:", 0) == 0) {
    result.kind = seed_entry::dns;
    auto rest = text.substr(4);
    auto colon = rest.rfind(':');
    if (colon == std::string::npos)
      return bad_entry(text, "dns: needs a port (dns:NAME:PORT)");
    result.host = rest.substr(0, colon);
    result.port = parse_port(rest.substr(colon + 1));
    if (result.port == 0)
      return bad_entry(text, "the port must be a number from 1 to 65535");
    if (!valid_name(result.host))
      return bad_entry(text, "\"" + result.host + "\" is not a DNS name");
    return result;
  }
  if (text.rfind("srv:", 0) == 0) {
    result.kind = seed_entry::srv;
    result.host = text.substr(4);
    if (result.host.find(':') != std::string::npos)
      return bad_entry(text, "srv: takes no port (the SRV records give it)");
    if (!valid_name(result.host))
      return bad_entry(text, "\"" + result.host + "\" is not a DNS name");
    return result;
  }
  auto colon = text.rfind(':');
  auto first_colon = text.find(':');
  // Any other WORD: before a colon that is not the port's is a prefix this
  // version does not know (dnssrv:, k8s:...); an IPv6 address (fe80::1:4000,
  // [::1]:4000) has only hex digits before its first colon.
  if (first_colon != std::string::npos && first_colon != colon
      && text.front() != '['
      && text.substr(0, first_colon).find_first_not_of("0123456789abcdefABCDEF")
             != std::string::npos)
    return bad_entry(text, "unknown prefix \"" + text.substr(0, first_colon + 1)
                               + "\"");
  if (colon == std::string::npos || colon == 0)
    return bad_entry(text, "no port");
  result.host = text.substr(0, colon);
  if (result.host.size() > 2 && result.host.front() == '['
      && result.host.back() == ']')
    result.host = result.host.substr(1, result.host.size() - 2);
  result.port = parse_port(text.substr(colon + 1));
  if (result.port == 0)
    return bad_entry(text, "the port must be a number from 1 to 65535");
  return result;
}

caf::expected<std::vector<seed_entry>> parse_seeds(const std::string& text) {
  std::vector<seed_entry> result;
  std::stringstream in{text};
  std::string item;
  while (std::getline(in, item, ',')) {
    auto b = item.find_first_not_of(" \t");
    if (b == std::string::npos)
      continue;
    item = item.substr(b, item.find_last_not_of(" \t") - b + 1);
    auto entry = parse_seed(item);
    if (!entry)
      return entry.error();
    result.push_back(std::move(*entry));
  }
  return result;
}

caf::expected<std::string> parse_dns_server(const std::string& text) {
  auto fail = [&] {
    return make_error(errc::invalid_config,
                      "--troupe.dns-server expects HOST[:PORT] with a "
                      "numeric address (e.g. 127.0.0.1:5353 or [::1]:53), "
                      "got \""
                          + text + "\"");
  };
  std::string host = text;
  std::string port = "53";
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos)
      return fail();
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':')
        return fail();
      port = text.substr(close + 2);
    }
  } else if (auto colon = text.rfind(':'); colon != std::string::npos) {
    if (text.find(':') != colon) { // a bare IPv6 address, no port
      host = text;
    } else {
      host = text.substr(0, colon);
      port = text.substr(colon + 1);
    }
  }
  if (host.empty() || parse_port(port) == 0)
    return fail();
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + port;
}

} // namespace troupe::detail
