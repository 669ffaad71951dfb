// Search at scale: builds the accounts, social and search read models of a
// generated corpus (users with real-looking names, posts whose captions
// draw words from a Zipf law over a 20,000-word vocabulary, hashtags, a
// follow graph) with the real projections, then times the query API's
// search handlers in process: the whole handler (token check, index scan,
// visibility filter, hydration), no network. That is the server's share of
// a search's latency.
//
//   build/bench/search_bench [posts=1000000] [users=100000] [queries=2000]
//
// With LENS_SEARCH_BENCH_DIR set, the corpus is built there and kept, and a
// later run with the same directory only queries it (to profile a query).
//
// Prints one JSON line per figure (the shape bench/run collects) and a
// summary on stderr.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "auth/authenticator.h"
#include "auth/token_signer.h"
#include "bench/latency.h"
#include "events/account_events.h"
#include "events/id_generator.h"
#include "events/social_events.h"
#include "http/router.h"
#include "projections/accounts_projection.h"
#include "projections/search_projection.h"
#include "projections/social_projection.h"
#include "projector/apply_context.h"
#include "query-api/query_gate.h"
#include "query-api/search_query_api.h"
#include "readmodels/accounts_model.h"
#include "readmodels/search_model.h"
#include "readmodels/social_model.h"
#include "store/store.h"
#include "store/store_slot.h"

using namespace lens;
using Clock = std::chrono::steady_clock;

namespace {

const char* kFirst[] = {"Maria", "José", "Zoë",   "Liam",  "Noah",   "Emma",  "Olivia", "Ava",
                        "Mia",   "Lucas", "Björn", "Chloé", "Hugo",  "Léa",   "Omar",   "Yuki",
                        "Aiden", "Sofia", "Mateo", "Ines",  "Amélie", "Kenji", "Priya",  "Arjun"};
const char* kLast[] = {"Garcia", "Smith", "Müller", "Rossi", "Dubois", "Tanaka", "Kowalski",
                       "Silva",  "Nguyen", "Kim",   "Ångström", "O'Brien", "Patel", "López",
                       "Novak",  "Jensen", "Costa", "Haddad", "Ivanova", "Sato"};

// Pseudo-words from syllables: deterministic, pronounceable, distinct.
std::vector<std::string> Vocabulary(size_t n) {
  const char* syl[] = {"ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "da",
                       "zu", "fe", "go", "hi", "ja", "bo", "ce", "ly", "wa", "xe"};
  std::vector<std::string> out;
  for (size_t i = 0; out.size() < n; ++i) {
    std::string w;
    size_t x = i;
    do {
      w += syl[x % 20];
      x /= 20;
    } while (x > 0);
    if (w.size() >= 4) out.push_back(w);
  }
  return out;
}

// Samples ranks 0..n-1 with P(k) ∝ 1/(k+1)^s.
class Zipf {
 public:
  Zipf(size_t n, double s) : cdf_(n) {
    double sum = 0;
    for (size_t k = 0; k < n; ++k) cdf_[k] = (sum += 1.0 / std::pow(static_cast<double>(k + 1), s));
    for (double& c : cdf_) c /= sum;
  }
  size_t operator()(std::mt19937_64& rng) const {
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return static_cast<size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin()) %
           cdf_.size();
  }

 private:
  std::vector<double> cdf_;
};

struct Model {
  std::unique_ptr<Projection> projection;
  std::shared_ptr<Store> store;
  StoreSlot slot;
  double apply_seconds = 0;
};

std::unique_ptr<Model> OpenModel(const std::string& dir, std::unique_ptr<Projection> p) {
  auto m = std::make_unique<Model>();
  StoreOptions so;
  so.path = dir;
  so.column_families = p->column_families();
  so.hot_counter_families = p->hot_counter_families();
  so.expiring_families_ms = p->expiring_families_ms();
  auto store = Store::Open(so);
  if (!store.ok()) {
    std::fprintf(stderr, "cannot open %s: %s\n", dir.c_str(), store.status().ToString().c_str());
    std::exit(1);
  }
  m->store = std::move(*store);
  m->slot.Swap(m->store);
  m->projection = std::move(p);
  return m;
}

// Applies `events` to every model, in batches like a projector's.
void Apply(std::vector<Model*>& models, const std::vector<Event>& events) {
  for (Model* m : models) {
    auto t0 = Clock::now();
    for (size_t start = 0; start < events.size(); start += 1000) {
      ApplyContext ctx(m->store.get());
      for (size_t i = start; i < std::min(events.size(), start + 1000); ++i) {
        absl::Status s = m->projection->Apply(events[i], LogPosition{0, i}, ctx);
        if (!s.ok()) {
          std::fprintf(stderr, "%s: %s\n", std::string(m->projection->name()).c_str(),
                       s.ToString().c_str());
          std::exit(1);
        }
      }
      rocksdb::WriteOptions wo;
      wo.disableWAL = true;  // a bench build: nothing to recover
      if (!m->store->Write(wo, ctx.Finish()).ok()) std::exit(1);
    }
    m->apply_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
  }
}

void Emit(const char* metric, double value, const char* unit, const std::string& extra = "") {
  std::printf("{\"system\":\"lens-embedded\",\"metric\":\"%s\",\"value\":%.4f,\"unit\":\"%s\"%s}\n",
              metric, value, unit, extra.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const size_t posts = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  const size_t users = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 100'000;
  const size_t queries = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 2000;
  // LENS_SEARCH_BENCH_DIR keeps the built corpus there and, when it holds
  // one already, queries it without building again (for profiling).
  const char* keep = std::getenv("LENS_SEARCH_BENCH_DIR");
  const std::string dir =
      keep ? std::string(keep)
           : std::string(std::filesystem::temp_directory_path() /
                         ("lens-search-bench-" + std::to_string(getpid())));
  const std::string built_marker = dir + "/built";
  const bool reuse = keep && std::filesystem::exists(built_marker);
  std::mt19937_64 rng(42);
  const std::vector<std::string> words = Vocabulary(20'000);
  const Zipf word_law(words.size(), 1.0), tag_law(5000, 1.1), popularity(users, 0.9);

  auto accounts = OpenModel(dir + "/accounts", std::make_unique<AccountsProjection>());
  auto social = OpenModel(dir + "/social", std::make_unique<SocialProjection>(
                                               SocialProjectionOptions{800, 100'000}));
  auto search = OpenModel(dir + "/search", std::make_unique<SearchProjection>());
  std::vector<Model*> all = {accounts.get(), social.get(), search.get()};

  uint64_t next_event = 1;
  int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (reuse) std::ifstream(built_marker) >> now_ms;  // the corpus's clock
  auto make = [&](std::string_view type, Json data, int64_t ts) {
    Event e;
    e.id = EventId(next_event++);
    e.type = std::string(type);
    e.ts_ms = ts;
    e.data = std::move(data);
    return e;
  };
  auto user_id = [](size_t i) { return UserId(1'000'000 + i); };

  if (!reuse) {
    // Accounts, 5% private; about 8 follows each, towards popular accounts.
    std::vector<Event> events;
    for (size_t i = 0; i < users; ++i) {
      AccountRegistered d;
      d.user_id = user_id(i);
      std::string first = kFirst[rng() % std::size(kFirst)], last = kLast[rng() % std::size(kLast)];
      d.username = "u" + std::to_string(i);
      d.display_name = first + " " + last;
      d.email = d.username + "@example.com";
      d.password_hash = "-";
      events.push_back(make(kAccountRegistered, d.ToJson(), now_ms - 86'400'000));
      if (rng() % 20 == 0) {
        ProfileUpdated u;
        u.user_id = d.user_id;
        u.is_private = true;
        events.push_back(make(kProfileUpdated, u.ToJson(), now_ms - 86'400'000));
      }
    }
    for (size_t i = 0; i < users; ++i)
      for (int k = 0; k < 8; ++k) {
        size_t target = popularity(rng);
        if (target == i) continue;
        events.push_back(make(kUserFollowed, FollowEdge{user_id(i), user_id(target)}.ToJson(),
                              now_ms - 86'400'000));
      }
    Apply(all, events);
    const size_t account_events = events.size();
    events.clear();

    // Posts over the last 48 hours, in batches of 100k.
    size_t caption_terms = 0;
    for (size_t p = 0; p < posts;) {
      for (size_t n = 0; n < 100'000 && p < posts; ++n, ++p) {
        PostContent c;
        const int64_t ts =
            now_ms - 48 * 3'600'000LL + static_cast<int64_t>(p * 48 * 3'600'000ULL / posts);
        // Ids as the id generator makes them: creation ms << 22, then a sequence.
        c.post_id = PostId(static_cast<uint64_t>(ts - IdGenerator::kEpochMillis) << 22 | (p & 0xfff));
        c.author_id = user_id(rng() % users);
        int length = 3 + static_cast<int>(rng() % 18);
        for (int w = 0; w < length; ++w) c.caption += (w ? " " : "") + words[word_law(rng)];
        caption_terms += static_cast<size_t>(length);
        int tags = static_cast<int>(rng() % 4);
        for (int t = 0; t < tags; ++t) {
          std::string tag = "t" + words[tag_law(rng)];
          c.caption += " #" + tag;
          c.hashtags.push_back(tag);
        }
        events.push_back(make(kPostCreated, c.ToJson(), ts));
      }
      Apply(all, events);
      events.clear();
      std::fprintf(stderr, "\rposts applied: %zu", p);
    }
    std::fprintf(stderr, "\n");
    const double total_events = static_cast<double>(account_events + posts);
    std::fprintf(stderr,
                 "built: %zu users, %zu posts (%.1f words per caption); apply seconds: accounts "
                 "%.1f, social %.1f, search %.1f (%.0f events/s)\n",
                 users, posts, static_cast<double>(caption_terms) / static_cast<double>(posts),
                 accounts->apply_seconds, social->apply_seconds, search->apply_seconds,
                 total_events / search->apply_seconds);
    Emit("search_apply_events_per_s", total_events / search->apply_seconds, "events/s",
         ",\"posts\":" + std::to_string(posts) + ",\"users\":" + std::to_string(users));
    // Queries meet a compacted store (every family: merge operands folded),
    // unless LENS_SEARCH_BENCH_COMPACT=0 (the store as the build left it).
    const char* compact = std::getenv("LENS_SEARCH_BENCH_COMPACT");
    if (!compact || std::string(compact) != "0")
      for (Model* m : all)
        for (const std::string& cf : m->projection->column_families())
          m->store->db()->CompactRange(rocksdb::CompactRangeOptions(), m->store->cf(cf), nullptr,
                                       nullptr);
    if (keep) std::ofstream(built_marker) << now_ms;
    // Reopened, as a restarted node finds them: what the build left in
    // memory (memtables, the heap) is not what a server meets.
    for (Model* m : all) {
      m->slot.Swap(nullptr);
      m->store.reset();
    }
    accounts = OpenModel(dir + "/accounts", std::move(accounts->projection));
    social = OpenModel(dir + "/social", std::move(social->projection));
    search = OpenModel(dir + "/search", std::move(search->projection));
  }

  // The query side, as the server wires it.
  AccountsReader accounts_reader(&accounts->slot);
  SocialReader social_reader(&social->slot);
  SearchReader search_reader(&search->slot);
  TokenSigner signer(std::string(48, 'k'));
  Authenticator auth(&signer, &accounts_reader);
  QueryGate gate(&auth, [](const ConsistencyToken&, absl::Time) { return true; });
  SearchQueryApi api(&gate, &accounts_reader, &social_reader, &search_reader);
  Router router;
  api.RegisterRoutes(&router);
  std::vector<std::string> tokens;
  std::mt19937_64 token_rng(43);
  for (size_t i = 0; i < 1000; ++i) {
    TokenClaims c;
    c.user_id = user_id(token_rng() % users);
    c.session_id = SessionId(i + 1);
    c.issued_at_ms = now_ms;
    c.expires_at_ms = now_ms + 3'600'000;
    tokens.push_back("Bearer " + signer.Sign(c));
  }

  auto run = [&](const char* metric, auto make_request) {
    bench::Latencies lat;
    size_t hits = 0, errors = 0;
    // A warm-up pass, then the measured one.
    for (int pass = 0; pass < 2; ++pass) {
      std::mt19937_64 qrng(7);
      for (size_t q = 0; q < queries; ++q) {
        HttpRequest req = make_request(qrng);
        req.method = "GET";
        req.headers.push_back({"authorization", tokens[qrng() % tokens.size()]});
        auto t0 = Clock::now();
        HttpResponse res = router.Dispatch(req);
        double ms = bench::MillisSince(t0);
        if (pass == 0) continue;
        lat.Add(ms);
        if (res.status != 200) {
          if (++errors < 3) std::fprintf(stderr, "%s: %d %s\n", metric, res.status, res.body.c_str());
          continue;
        }
        hits += Json::parse(res.body)["items"].size();
      }
    }
    double p50 = lat.Quantile(0.5), p99 = lat.Quantile(0.99);
    std::fprintf(stderr, "%-28s p50 %7.3f ms  p99 %7.3f ms  (%zu queries, %.1f items each, %zu errors)\n",
                 metric, p50, p99, lat.count(), static_cast<double>(hits) / lat.count(), errors);
    Emit(metric, p50, "ms", ",\"p99\":" + std::to_string(p99) + ",\"posts\":" + std::to_string(posts));
    return errors == 0;
  };
  auto get = [](std::string path, std::vector<std::pair<std::string, std::string>> query) {
    HttpRequest req;
    req.path = std::move(path);
    req.query = std::move(query);
    return req;
  };
  bool ok = true;
  ok &= run("search_typeahead", [&](std::mt19937_64& r) {
    std::string name = (r() % 2) ? kFirst[r() % std::size(kFirst)] : kLast[r() % std::size(kLast)];
    // 1 to 4 characters of a name, as typed (ASCII letters; accents folded).
    size_t cut = std::min(name.size(), 1 + r() % 4);
    while (cut < name.size() && (static_cast<unsigned char>(name[cut]) & 0xc0) == 0x80) ++cut;
    std::string prefix = name.substr(0, cut);
    return get("/api/v1/search/accounts", {{"q", prefix}, {"limit", "10"}});
  });
  ok &= run("search_caption_1_word", [&](std::mt19937_64& r) {
    return get("/api/v1/search/posts", {{"q", words[word_law(r)]}});
  });
  ok &= run("search_caption_2_words", [&](std::mt19937_64& r) {
    return get("/api/v1/search/posts", {{"q", words[word_law(r)] + " " + words[word_law(r)]}});
  });
  ok &= run("search_caption_top_word", [&](std::mt19937_64& r) {
    return get("/api/v1/search/posts", {{"q", words[r() % 3]}});  // the three most common
  });
  ok &= run("search_caption_recent", [&](std::mt19937_64& r) {
    return get("/api/v1/search/posts", {{"q", words[word_law(r)]}, {"sort", "recent"}});
  });
  ok &= run("search_hashtag_prefix", [&](std::mt19937_64& r) {
    return get("/api/v1/search/hashtags", {{"q", "t" + words[tag_law(r)].substr(0, 2)}});
  });
  ok &= run("search_hashtag_posts", [&](std::mt19937_64& r) {
    HttpRequest req = get("/api/v1/hashtags/x/posts", {});
    req.path = "/api/v1/hashtags/t" + words[tag_law(r)] + "/posts";
    return req;
  });
  ok &= run("search_trending_24h", [&](std::mt19937_64&) {
    return get("/api/v1/hashtags/trending", {{"hours", "24"}});
  });

  accounts.reset();
  social.reset();
  search.reset();
  if (!keep) std::filesystem::remove_all(dir);
  return ok ? 0 : 2;
}
