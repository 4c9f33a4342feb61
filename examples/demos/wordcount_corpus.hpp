#pragma once
// The text `troupe demo wordcount` counts: generated, not read from disk, so
// that every run on every machine counts the same bytes. A seeded vocabulary
// (common English words first, then pseudo-words) is sampled with a Zipf
// distribution, as in natural language, and laid out as sentences and lines.
// The tokenizer is shared by the mappers and the single-process reference
// count, so both see the same words.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace troupe::demos::wordcount {

struct corpus_spec {
  uint64_t seed = 42;
  size_t bytes = 8 << 20;        ///< total size (approximately: whole lines)
  size_t chunk_bytes = 64 << 10; ///< chunks end at a line break
  size_t vocabulary = 20000;     ///< distinct words to sample from
  double zipf_s = 1.0;           ///< exponent: word k has weight 1/k^s
};

struct corpus {
  std::vector<std::string> chunks;
  uint64_t bytes = 0;
};

/// The same spec gives the same bytes everywhere: the generator and the
/// distributions are implemented here, not taken from <random>, whose
/// distributions differ between standard libraries.
corpus generate_corpus(const corpus_spec& spec);

/// Calls `fn(word)` for every word of `text`: maximal runs of ASCII letters,
/// lowercased ("The" and "the" are one word).
template <class F>
void for_each_word(std::string_view text, F&& fn) {
  std::string word;
  for (char c : text) {
    // ASCII by hand: std::isalpha depends on the locale.
    auto lower = static_cast<char>(c | 0x20);
    if (lower >= 'a' && lower <= 'z') {
      word.push_back(lower);
    } else if (!word.empty()) {
      fn(word);
      word.clear();
    }
  }
  if (!word.empty())
    fn(word);
}

using word_counts = std::unordered_map<std::string, uint64_t>;

/// Adds the words of `text` to `out`.
inline void count_words(std::string_view text, word_counts& out) {
  for_each_word(text, [&](const std::string& w) { ++out[w]; });
}

} // namespace troupe::demos::wordcount
