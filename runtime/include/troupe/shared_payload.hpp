#pragma once
// Zero-copy sharing of large immutable values between actors of one node.
//
// troupe::shared<T> is a reference-counted handle to an immutable T. Putting
// it in a message, forwarding it and re-sending it from actor to actor copies
// only the handle (one atomic increment), never the T: every actor on the node
// reads the same bytes. This is safe because nobody can mutate the value.
// Sent to another node, the value is serialized and the receiver gets its own
// (again shared) copy. Register it with
// `cfg.add_message_type<troupe::shared_bytes>("troupe.shared_bytes")` when it
// must cross nodes.

#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>

namespace troupe {

template <class T>
class shared {
public:
  shared() = default;

  explicit shared(T value)
    : ptr_(std::make_shared<const T>(std::move(value))) {
  }

  /// The shared value; valid while any handle lives.
  const T& get() const noexcept {
    return *ptr_;
  }
  const T* operator->() const noexcept {
    return ptr_.get();
  }
  const T& operator*() const noexcept {
    return *ptr_;
  }
  explicit operator bool() const noexcept {
    return static_cast<bool>(ptr_);
  }
  /// Number of handles sharing the value (for tests and diagnostics).
  long use_count() const noexcept {
    return ptr_.use_count();
  }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, shared& x) {
    if constexpr (Inspector::reads_state) {
      // Serializing (remote send, to_string) reads the value in place.
      T& ref = const_cast<T&>(x.ptr_ ? *x.ptr_ : empty_value());
      return f(caf::meta::type_name("troupe.shared"), ref);
    } else {
      auto tmp = std::make_shared<T>();
      auto done = caf::meta::load_callback([&]() -> caf::error {
        x.ptr_ = std::move(tmp);
        return caf::none;
      });
      return f(caf::meta::type_name("troupe.shared"), *tmp, done);
    }
  }

private:
  static const T& empty_value() {
    static const T instance{};
    return instance;
  }

  std::shared_ptr<const T> ptr_;
};

/// Builds a shared<T> in place.
template <class T, class... Ts>
shared<T> make_shared_value(Ts&&... xs) {
  return shared<T>{T(std::forward<Ts>(xs)...)};
}

/// A shared immutable byte buffer, the common case for large payloads
/// (char, not std::byte: CAF 0.17 serializes vector<char> as one block).
using shared_bytes = shared<std::vector<char>>;

} // namespace troupe
