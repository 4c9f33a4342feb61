#pragma once
// The bookkeeping of one quorum read or write, without actors: which
// replicas were asked, which answered, and when the operation is decided.
// A replica's answer "counts" if the replica is serving; a joining replica
// receives writes but its answers never decide anything.
//
// An operation succeeds when `needed` counted replicas answered, and fails
// as soon as too many counted replicas failed for that to happen. Answers
// after the decision are still recorded (a read repairs late, stale
// replicas); an answer from a replica that was not asked or already
// settled (e.g. failed at once because its node went down, then timed out)
// is ignored.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/error.hpp>

namespace troupe::kv {

class quorum_op {
public:
  enum class decision : uint8_t { pending, reached, failed };

  explicit quorum_op(uint32_t needed) : needed_(needed) {
  }

  /// Registers a request to `node` (before any answer arrives).
  void expect(const std::string& node, bool counted);

  /// Records the answer of `node`; nullopt if it was not outstanding,
  /// otherwise the decision reached by this answer (pending if it decided
  /// nothing new, including every answer after the decision).
  std::optional<decision> succeeded(const std::string& node);

  /// Records the failure of `node` (as with `succeeded`).
  std::optional<decision> failed(const std::string& node,
                                 const caf::error& err);

  decision state() const noexcept {
    return state_;
  }

  /// True while `node` has not answered.
  bool waits_for(const std::string& node) const;

  /// True once every asked replica answered or failed.
  bool settled() const noexcept {
    return outstanding_.empty();
  }

  uint32_t oks() const noexcept {
    return oks_;
  }

  uint32_t needed() const noexcept {
    return needed_;
  }

  /// The error to report after `failed` decided: the kind of the first
  /// counted failure, the context naming every failed replica.
  caf::error error() const;

private:
  struct pending {
    std::string node;
    bool counted;
  };

  std::optional<bool> settle(const std::string& node);
  decision decide();

  uint32_t needed_;
  uint32_t counted_ = 0;
  uint32_t oks_ = 0;
  uint32_t fails_ = 0;
  decision state_ = decision::pending;
  std::vector<pending> outstanding_;
  caf::error first_error_;
  std::string failures_;
};

} // namespace troupe::kv
