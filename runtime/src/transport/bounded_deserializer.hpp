#pragma once
// CAF's binary deserializer with one more check: a sequence may not claim
// more elements than bytes are left. CAF 0.17.6 resizes a container to the
// length a peer announces before it reads a byte of it (a std::vector<char>
// announced at 4 GB: a 4 GB allocation, zero-filled; found by
// fuzz_node_message), so a single message could take a node's memory. Every
// element takes at least one byte, so `size <= remaining` costs a
// legitimate message nothing.

#include <string>

#include <caf/binary_deserializer.hpp>
#include <caf/deserializer.hpp>
#include <caf/sec.hpp>

namespace troupe::detail {

class bounded_deserializer final : public caf::deserializer {
public:
  bounded_deserializer(caf::execution_unit* ctx, const char* data, size_t size)
    : caf::deserializer(ctx), inner_(ctx, data, size) {
  }

  size_t remaining() const noexcept {
    return inner_.remaining();
  }

  caf::error begin_object(uint16_t& nr, std::string& name) override {
    return inner_.begin_object(nr, name);
  }
  caf::error end_object() override {
    return inner_.end_object();
  }
  caf::error begin_sequence(size_t& size) override {
    if (auto err = inner_.begin_sequence(size))
      return err;
    if (size > inner_.remaining())
      return caf::sec::end_of_stream;
    return caf::none;
  }
  caf::error end_sequence() override {
    return inner_.end_sequence();
  }
  caf::error apply_raw(size_t num_bytes, void* data) override {
    return inner_.apply_raw(num_bytes, data);
  }

protected:
  // The inner deserializer reads each builtin value; its length fields go
  // through its own begin_sequence, which checks strings' lengths.
  caf::error apply_impl(int8_t& x) override { return inner_(x); }
  caf::error apply_impl(uint8_t& x) override { return inner_(x); }
  caf::error apply_impl(int16_t& x) override { return inner_(x); }
  caf::error apply_impl(uint16_t& x) override { return inner_(x); }
  caf::error apply_impl(int32_t& x) override { return inner_(x); }
  caf::error apply_impl(uint32_t& x) override { return inner_(x); }
  caf::error apply_impl(int64_t& x) override { return inner_(x); }
  caf::error apply_impl(uint64_t& x) override { return inner_(x); }
  caf::error apply_impl(float& x) override { return inner_(x); }
  caf::error apply_impl(double& x) override { return inner_(x); }
  caf::error apply_impl(long double& x) override { return inner_(x); }
  caf::error apply_impl(std::string& x) override { return inner_(x); }
  caf::error apply_impl(std::u16string& x) override { return inner_(x); }
  caf::error apply_impl(std::u32string& x) override { return inner_(x); }

private:
  caf::binary_deserializer inner_;
};

} // namespace troupe::detail
