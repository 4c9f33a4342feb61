#include "demos/wordcount_actors.hpp"

#include <chrono>
#include <stdexcept>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <troupe/troupe.hpp>

#include "demos/wordcount_corpus.hpp"
#include "demos/demo_registry.hpp"

namespace troupe::demos::wordcount {
namespace {

/// A mapper's bound on one answer from the reducer. A restarting reducer
/// answers within milliseconds (its stable name buffers meanwhile), so this
/// only fires when something is stuck; the job then tries again.
constexpr auto reduce_timeout = std::chrono::seconds(30);

struct mapper_state {
  // Not an aggregate: CAF 0.17 constructs a state from the actor's own
  // pointer when it can, and C++20 lets an aggregate take that pointer as its
  // first member (here a caf::actor that would start as the actor itself).
  mapper_state() = default;
  caf::actor reducer;
  /// The map outputs, kept until the mapper stops: a reducer that lost its
  /// state gets them again without counting the text again.
  std::unordered_map<uint32_t, partial> outputs;
  uint64_t chunks = 0;
  uint64_t words = 0;
};

partial map_chunk(uint32_t chunk, const std::string& text, uint64_t& words) {
  word_counts counts;
  count_words(text, counts);
  partial p;
  p.chunk = chunk;
  p.words.reserve(counts.size());
  p.counts.reserve(counts.size());
  for (auto& [word, n] : counts) {
    p.words.push_back(word);
    p.counts.push_back(n);
    words += n;
  }
  return p;
}

caf::result<uint64_t> send_to_reducer(caf::stateful_actor<mapper_state>* self,
                                      const partial& p) {
  auto rp = self->make_response_promise<uint64_t>();
  self->request(self->state.reducer, reduce_timeout, reduce_atom::value, p)
    .then([rp](uint64_t incarnation) mutable { rp.deliver(incarnation); },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

caf::behavior mapper(caf::stateful_actor<mapper_state>* self,
                     caf::actor reducer) {
  self->state.reducer = std::move(reducer);
  return {
    [self](map_atom, uint32_t chunk,
           const std::string& text) -> caf::result<uint64_t> {
      auto& st = self->state;
      uint64_t words = 0;
      auto& out = st.outputs[chunk] = map_chunk(chunk, text, words);
      ++st.chunks;
      st.words += words;
      return send_to_reducer(self, out);
    },
    [self](resend_atom, uint32_t chunk) -> caf::result<uint64_t> {
      auto i = self->state.outputs.find(chunk);
      if (i == self->state.outputs.end())
        return make_error(errc::bad_arguments,
                          "this mapper holds no output of chunk "
                            + std::to_string(chunk) + "; map it again");
      return send_to_reducer(self, i->second);
    },
    [self](stats_atom) {
      return std::make_tuple(self->state.chunks, self->state.words);
    },
    [self](stop_atom) { self->quit(); },
  };
}

struct reducer_state {
  uint64_t incarnation = 0;
  std::unordered_map<std::string, uint64_t> counts;
  std::unordered_set<uint32_t> applied;
  uint64_t duplicates = 0;
};

caf::behavior reducer(caf::stateful_actor<reducer_state>* self,
                      uint64_t incarnation) {
  self->state.incarnation = incarnation;
  // Report the injected crash as an exit reason (the supervisor logs it)
  // instead of CAF's default dump to stderr.
  self->set_exception_handler([](std::exception_ptr& eptr) -> caf::error {
    try {
      std::rethrow_exception(eptr);
    } catch (std::exception& e) {
      return caf::make_error(caf::sec::runtime_error, e.what());
    }
  });
  return {
    [self](reduce_atom, const partial& p) {
      auto& st = self->state;
      // At most once per chunk: after a restart the job may re-send a
      // partial that was already on its way here.
      if (!st.applied.insert(p.chunk).second) {
        ++st.duplicates;
        return st.incarnation;
      }
      auto n = std::min(p.words.size(), p.counts.size());
      for (size_t i = 0; i < n; ++i)
        st.counts[p.words[i]] += p.counts[i];
      return st.incarnation;
    },
    [self](table_atom) {
      auto& st = self->state;
      table t;
      t.incarnation = st.incarnation;
      t.chunks = static_cast<uint32_t>(st.applied.size());
      t.duplicates = st.duplicates;
      t.words.reserve(st.counts.size());
      t.counts.reserve(st.counts.size());
      for (auto& [word, n] : st.counts) {
        t.words.push_back(word);
        t.counts.push_back(n);
      }
      return t;
    },
    [self](crash_atom) {
      throw std::runtime_error("reducer incarnation "
                               + std::to_string(self->state.incarnation)
                               + " crashed (fault injection)");
    },
  };
}

void setup(troupe::config& cfg) {
  cfg.add_message_type<partial>("demo.wc.partial");
  cfg.add_message_type<table>("demo.wc.table");
  cfg.export_type("wc-mapper", mapper);
}

troupe::demo::register_node_setup reg{setup};

} // namespace

troupe::child_spec reducer_child(std::string id, incarnation_counter counter) {
  return troupe::child(std::move(id),
                       [counter](caf::stateful_actor<reducer_state>* self) {
                         return reducer(self, ++*counter);
                       });
}

} // namespace troupe::demos::wordcount
