#pragma once
// The check of `troupe demo wordcount`: the cluster's table against a
// single-process count of the same text, word for word.

#include <cstdint>
#include <string>
#include <vector>

#include "demos/wordcount_actors.hpp"
#include "demos/wordcount_corpus.hpp"

namespace troupe::demos::wordcount {

struct comparison {
  uint64_t words = 0;    ///< in the reference count
  uint64_t distinct = 0; ///< same
  uint64_t cluster_words = 0;
  uint64_t cluster_distinct = 0;
  uint64_t differing = 0; ///< words whose counts differ or that one lacks
  std::vector<std::string> examples;

  bool ok() const {
    return differing == 0 && words == cluster_words
           && distinct == cluster_distinct;
  }
};

/// Compares the cluster's table `t` with the `reference` count.
comparison compare(const word_counts& reference, const table& t);

/// "the 120, of 80, ...": the `n` most frequent words of `t`.
std::string top_words(const table& t, size_t n);

} // namespace troupe::demos::wordcount
