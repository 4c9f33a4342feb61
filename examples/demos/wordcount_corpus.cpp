#include "demos/wordcount_corpus.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <unordered_set>

namespace troupe::demos::wordcount {
namespace {

/// SplitMix64: tiny, fast and specified bit for bit, so the corpus is the
/// same with any compiler and standard library.
class rng {
public:
  explicit rng(uint64_t seed) : state_(seed) {
  }

  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  /// Uniform in [0, 1).
  double unit() {
    return static_cast<double>(next() >> 11) * 0x1.0p-53;
  }

  /// Uniform in [lo, hi] (the modulo bias is irrelevant for a corpus).
  size_t between(size_t lo, size_t hi) {
    return lo + static_cast<size_t>(next() % (hi - lo + 1));
  }

private:
  uint64_t state_;
};

/// The most frequent English words, in frequency order, so that the head of
/// the Zipf distribution (and of the summary's top words) reads naturally.
const char* common_words[] = {
  "the",   "of",    "and",   "to",    "a",      "in",    "is",    "it",
  "you",   "that",  "he",    "was",   "for",    "on",    "are",   "with",
  "as",    "i",     "his",   "they",  "be",     "at",    "one",   "have",
  "this",  "from",  "or",    "had",   "by",     "not",   "word",  "but",
  "what",  "some",  "we",    "can",   "out",    "other", "were",  "all",
  "there", "when",  "up",    "use",   "your",   "how",   "said",  "an",
  "each",  "she",   "which", "do",    "their",  "time",  "if",    "will",
  "way",   "about", "many",  "then",  "them",   "write", "would", "like",
  "so",    "these", "her",   "long",  "make",   "thing", "see",   "him",
  "two",   "has",   "look",  "more",  "day",    "could", "go",    "come",
  "did",   "number", "sound", "no",   "most",   "people", "my",   "over",
  "know",  "water", "than",  "call",  "first",  "who",   "may",   "down",
  "side",  "been",  "now",   "find",  "actor",  "node",  "message", "cluster",
};

/// The rest of the vocabulary: pronounceable pseudo-words of 1 to 4
/// syllables, distinct from each other and from the common words.
std::vector<std::string> make_vocabulary(size_t n, rng& gen) {
  static constexpr const char* onsets[]
    = {"b",  "c",  "d",  "f",  "g",  "h",  "j",  "k",  "l",  "m",  "n",
       "p",  "r",  "s",  "t",  "v",  "w",  "z",  "br", "ch", "cl", "dr",
       "fl", "gr", "pl", "pr", "sh", "st", "th", "tr", "sp", "qu", ""};
  static constexpr const char* nuclei[]
    = {"a", "e", "i", "o", "u", "ai", "ea", "ee", "io", "ou", "oo", "y"};
  static constexpr const char* codas[]
    = {"", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ck", "ng"};
  std::vector<std::string> words;
  std::unordered_set<std::string> seen;
  for (auto w : common_words) {
    if (words.size() == n)
      return words;
    words.emplace_back(w);
    seen.emplace(w);
  }
  while (words.size() < n) {
    std::string w;
    auto syllables = gen.between(1, 4);
    for (size_t i = 0; i < syllables; ++i) {
      w += onsets[gen.between(0, std::size(onsets) - 1)];
      w += nuclei[gen.between(0, std::size(nuclei) - 1)];
      w += codas[gen.between(0, std::size(codas) - 1)];
    }
    if (seen.insert(w).second)
      words.push_back(std::move(w));
  }
  return words;
}

} // namespace

corpus generate_corpus(const corpus_spec& spec) {
  rng gen{spec.seed};
  auto vocab = make_vocabulary(std::max<size_t>(spec.vocabulary, 1), gen);
  // Zipf: word k (1-based) has weight 1/k^s; sample by binary search in the
  // cumulative weights.
  std::vector<double> cdf(vocab.size());
  double total = 0;
  for (size_t k = 0; k < vocab.size(); ++k) {
    total += 1.0 / std::pow(static_cast<double>(k + 1), spec.zipf_s);
    cdf[k] = total;
  }
  auto sample = [&]() -> const std::string& {
    auto i = std::upper_bound(cdf.begin(), cdf.end(), gen.unit() * total)
             - cdf.begin();
    return vocab[std::min<size_t>(static_cast<size_t>(i), vocab.size() - 1)];
  };
  constexpr size_t line_width = 72;
  corpus result;
  std::string chunk;
  std::string line;
  auto end_line = [&] {
    line += '\n';
    chunk += line;
    result.bytes += line.size();
    line.clear();
    if (chunk.size() >= spec.chunk_bytes) {
      result.chunks.push_back(std::move(chunk));
      chunk.clear();
    }
  };
  auto append = [&](const std::string& token) {
    if (!line.empty() && line.size() + 1 + token.size() > line_width)
      end_line();
    if (!line.empty())
      line += ' ';
    line += token;
  };
  while (result.bytes + line.size() < spec.bytes) {
    // One sentence: a capital first letter, a few commas, a full stop.
    auto length = gen.between(4, 16);
    for (size_t i = 0; i < length; ++i) {
      std::string token = sample();
      if (i == 0)
        token[0] = static_cast<char>(token[0] - 'a' + 'A');
      if (i + 1 == length)
        token += '.';
      else if (gen.unit() < 0.08)
        token += ',';
      append(token);
    }
    if (gen.unit() < 0.1) {
      end_line(); // a paragraph ends: a blank line
      end_line();
    }
  }
  if (!line.empty())
    end_line();
  if (!chunk.empty())
    result.chunks.push_back(std::move(chunk));
  return result;
}

} // namespace troupe::demos::wordcount
