#include "kv/quorum_op.hpp"

#include <algorithm>

#include <caf/message.hpp>

#include <troupe/errc.hpp>

#include "kv/kv_protocol.hpp"

namespace troupe::kv {

void quorum_op::expect(const std::string& node, bool counted) {
  outstanding_.push_back(pending{node, counted});
  if (counted)
    ++counted_;
}

bool quorum_op::waits_for(const std::string& node) const {
  return std::any_of(outstanding_.begin(), outstanding_.end(),
                     [&](auto& p) { return p.node == node; });
}

std::optional<bool> quorum_op::settle(const std::string& node) {
  auto i = std::find_if(outstanding_.begin(), outstanding_.end(),
                        [&](auto& p) { return p.node == node; });
  if (i == outstanding_.end())
    return std::nullopt;
  bool counted = i->counted;
  outstanding_.erase(i);
  return counted;
}

quorum_op::decision quorum_op::decide() {
  if (state_ != decision::pending)
    return decision::pending; // decided earlier: nothing new
  if (oks_ >= needed_)
    state_ = decision::reached;
  else if (counted_ - fails_ < needed_)
    state_ = decision::failed;
  return state_;
}

std::optional<quorum_op::decision>
quorum_op::succeeded(const std::string& node) {
  auto counted = settle(node);
  if (!counted)
    return std::nullopt;
  if (!*counted)
    return decision::pending;
  ++oks_;
  return decide();
}

std::optional<quorum_op::decision>
quorum_op::failed(const std::string& node, const caf::error& err) {
  auto counted = settle(node);
  if (!counted)
    return std::nullopt;
  if (!*counted)
    return decision::pending;
  ++fails_;
  if (!first_error_)
    first_error_ = err;
  if (!failures_.empty())
    failures_ += ", ";
  failures_ += node + ": " + error_kind(err);
  return decide();
}

caf::error quorum_op::error() const {
  auto context = "quorum not reached (" + std::to_string(oks_) + " of "
                 + std::to_string(needed_) + " replicas answered; "
                 + failures_ + ")";
  // Keep the kind of the first failure (timeout, node_down...) so callers
  // can count errors by cause; the context tells the whole story.
  if (first_error_.category() == troupe::errc_category)
    return troupe::make_error(static_cast<troupe::errc>(first_error_.code()),
                              std::move(context));
  if (first_error_)
    return first_error_;
  return make_error(errc::no_quorum, std::move(context));
}

} // namespace troupe::kv
