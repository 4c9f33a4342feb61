#include "demos/wordcount_check.hpp"

#include <algorithm>

namespace troupe::demos::wordcount {

comparison compare(const word_counts& reference, const table& t) {
  comparison cmp;
  cmp.distinct = reference.size();
  for (auto& kvp : reference)
    cmp.words += kvp.second;
  cmp.cluster_distinct = t.words.size();
  auto note = [&](std::string text) {
    ++cmp.differing;
    if (cmp.examples.size() < 3)
      cmp.examples.push_back(std::move(text));
  };
  size_t found = 0;
  for (size_t i = 0; i < t.words.size() && i < t.counts.size(); ++i) {
    cmp.cluster_words += t.counts[i];
    auto j = reference.find(t.words[i]);
    if (j == reference.end()) {
      note("\"" + t.words[i] + "\" is not in the text");
      continue;
    }
    ++found;
    if (j->second != t.counts[i])
      note("\"" + t.words[i] + "\" " + std::to_string(t.counts[i])
           + " instead of " + std::to_string(j->second));
  }
  if (found < reference.size())
    cmp.differing += reference.size() - found; // words the cluster lacks
  return cmp;
}

std::string top_words(const table& t, size_t n) {
  std::vector<size_t> idx(std::min(t.words.size(), t.counts.size()));
  for (size_t i = 0; i < idx.size(); ++i)
    idx[i] = i;
  n = std::min(n, idx.size());
  std::partial_sort(idx.begin(), idx.begin() + static_cast<ptrdiff_t>(n),
                    idx.end(), [&](size_t a, size_t b) {
                      return t.counts[a] != t.counts[b]
                               ? t.counts[a] > t.counts[b]
                               : t.words[a] < t.words[b];
                    });
  std::string result;
  for (size_t i = 0; i < n; ++i)
    result += (i ? ", " : "") + t.words[idx[i]] + " "
              + std::to_string(t.counts[idx[i]]);
  return result;
}

} // namespace troupe::demos::wordcount
