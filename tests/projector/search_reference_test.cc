// The search read model against a brute-force reference: a generated corpus
// (accounts, renames, follows and unfollows, posts with accented and mixed-
// case captions and tags, edits, deletes) is applied through the real
// SearchProjection into a real RocksDB store, and every kind of lookup the
// query API makes is compared with the answer computed directly from the
// corpus. A second build of the same events, in other batches and another
// interleaving of partitions, must give a byte-identical store.
#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "base/big_endian.h"
#include "base/search_text.h"
#include "events/account_events.h"
#include "events/social_events.h"
#include "gtest/gtest.h"
#include "projections/search_projection.h"
#include "projector/apply_context.h"
#include "readmodels/search_model.h"
#include "store/posting_block.h"
#include "store/store.h"
#include "store/store_slot.h"
#include "tests/support/temp_dir.h"

namespace lens::testing {
namespace {

constexpr int64_t kStartMs = 1'790'000'000'000;  // events one minute apart from here

const std::vector<std::string> kWords = {
    "sunset", "Sunset", "SUNSET", "beach", "café",  "cafe",  "Café",   "coffee", "zoë",
    "Zoe",    "naïve",  "city",   "night", "trail", "hike",  "friends", "dog",   "cat",
    "straße", "garden", "snow",   "rain",  "über",  "blue",  "red",     "green", "the",
    "a",      "of",     "with",   "at",    "东京",  "夜景",  "ramen",   "tokyo", "lake"};
const std::vector<std::string> kTags = {"travel", "Travel", "travelgram", "trip", "food",
                                        "foodie", "café",   "cafe",       "dogs", "cats",
                                        "sun",    "sunset", "nature",     "art",  "photo"};
const std::vector<std::string> kFirst = {"Zoë", "Zoe", "Ana", "Anna", "José", "Björn", "Li", "Kim"};
const std::vector<std::string> kLast = {"Smith", "Smyth", "Ångström", "Lee", "Garcia", "Müller"};

// The corpus as the reference knows it.
struct RefPost {
  uint64_t author = 0;
  std::string caption;
  std::vector<std::string> tags;
  int64_t created_ms = 0;
};
struct RefAccount {
  std::string username, display_name;
};

struct Corpus {
  std::vector<Event> events;
  std::map<uint64_t, RefAccount> accounts;
  std::map<uint64_t, int64_t> followers;
  std::map<uint64_t, RefPost> posts;  // live posts
  std::map<uint64_t, uint32_t> partition_of_event;  // event index -> partition
};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  Corpus Make() {
    Corpus c;
    std::vector<uint64_t> users;
    for (int i = 0; i < 300; ++i) {
      uint64_t id = 1000 + i;
      users.push_back(id);
      AccountRegistered d;
      d.user_id = UserId(id);
      d.username = "u" + std::to_string(i) + (i % 7 == 0 ? "_zoe" : "");
      d.email = d.username + "@example.com";
      d.display_name = Pick(kFirst) + " " + Pick(kLast);
      c.accounts[id] = {d.username, d.display_name};
      Add(c, kAccountRegistered, "user:" + std::to_string(id), d.ToJson());
    }
    std::set<std::pair<uint64_t, uint64_t>> edges;
    // Post ids as the id generator makes them (ms << 22 | sequence), a
    // few seconds apart with some long gaps: a posting block (65.5 s of
    // ids) holds many posts of a common word, and rare words skip blocks.
    int64_t post_ms = kStartMs - 1'577'836'800'000;
    uint64_t post_seq = 0;
    std::vector<uint64_t> live;
    for (int step = 0; step < 6000; ++step) {
      int what = static_cast<int>(rng_() % 100);
      if (what < 30) {  // a follow, or an unfollow of an existing edge
        // Skewed towards low ids: some accounts get many followers.
        uint64_t followee = users[std::min<size_t>(users.size() - 1, Skewed(users.size()))];
        uint64_t follower = users[rng_() % users.size()];
        if (follower == followee) continue;
        bool exists = edges.count({follower, followee}) > 0;
        FollowEdge d{UserId(follower), UserId(followee)};
        if (exists && rng_() % 4 == 0) {
          edges.erase({follower, followee});
          --c.followers[followee];
          Add(c, kUserUnfollowed, "user:" + std::to_string(follower), d.ToJson());
        } else if (!exists) {
          edges.insert({follower, followee});
          ++c.followers[followee];
          Add(c, rng_() % 5 == 0 ? kFollowRequestApproved : kUserFollowed,
              "user:" + std::to_string(follower), d.ToJson());
        }
      } else if (what < 75 || live.empty()) {  // a post
        post_ms += rng_() % 10 == 0 ? 600'000 : 3'000;
        uint64_t id = static_cast<uint64_t>(post_ms) << 22 | (post_seq++ % 4096);
        RefPost p;
        p.author = users[rng_() % users.size()];
        p.caption = Caption();
        p.tags = Tags();
        p.created_ms = Now();
        c.posts[id] = p;
        live.push_back(id);
        Add(c, kPostCreated, "post:" + std::to_string(id), Content(id, p));
      } else if (what < 87) {  // an edit
        uint64_t id = live[rng_() % live.size()];
        RefPost& p = c.posts[id];
        p.caption = Caption();
        p.tags = Tags();
        Add(c, kPostEdited, "post:" + std::to_string(id), Content(id, p));
      } else if (what < 95) {  // a delete
        size_t at = rng_() % live.size();
        uint64_t id = live[at];
        live.erase(live.begin() + static_cast<long>(at));
        PostRef d{PostId(id), UserId(c.posts[id].author)};
        c.posts.erase(id);
        Add(c, kPostDeleted, "post:" + std::to_string(id), d.ToJson());
      } else {  // a new display name
        uint64_t id = users[rng_() % users.size()];
        ProfileUpdated d;
        d.user_id = UserId(id);
        d.display_name = Pick(kFirst) + " " + Pick(kLast) + " " + Pick(kWords);
        c.accounts[id].display_name = *d.display_name;
        Add(c, kProfileUpdated, "user:" + std::to_string(id), d.ToJson());
      }
    }
    return c;
  }

 private:
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[rng_() % v.size()];
  }
  size_t Skewed(size_t n) {
    double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    return static_cast<size_t>(std::pow(u, 3) * static_cast<double>(n));
  }
  int64_t Now() { return kStartMs + static_cast<int64_t>(clock_) * 60'000; }
  std::string Caption() {
    std::string out;
    int n = 1 + static_cast<int>(rng_() % 14);
    for (int i = 0; i < n; ++i) {
      // Zipf-like: early words much more often.
      size_t w = std::min(kWords.size() - 1, Skewed(kWords.size() * 2) % kWords.size());
      out += (i ? (rng_() % 5 == 0 ? ", " : " ") : "") + kWords[w];
    }
    if (rng_() % 10 == 0) out += "!!! (*.*)";
    return out;
  }
  std::vector<std::string> Tags() {
    std::vector<std::string> t;
    int n = static_cast<int>(rng_() % 4);
    for (int i = 0; i < n; ++i) t.push_back(Pick(kTags));
    return t;
  }
  Json Content(uint64_t id, const RefPost& p) {
    PostContent d;
    d.post_id = PostId(id);
    d.author_id = UserId(p.author);
    d.caption = p.caption;
    d.hashtags = p.tags;
    return d.ToJson();
  }
  void Add(Corpus& c, std::string_view type, const std::string& key, Json data) {
    Event e;
    e.id = EventId(++event_id_);
    e.type = std::string(type);
    e.key = key;
    e.ts_ms = Now();
    e.data = std::move(data);
    c.partition_of_event[c.events.size()] =
        static_cast<uint32_t>(std::hash<std::string>{}(key) % 4);
    c.events.push_back(std::move(e));
    ++clock_;
  }

  std::mt19937_64 rng_;
  uint64_t event_id_ = 0;
  uint64_t clock_ = 0;
};

// Builds the search model of `events`, in `order`, committing every
// `batch` events.
std::shared_ptr<Store> Build(const std::string& dir, const std::vector<Event>& events,
                             const std::vector<size_t>& order, size_t batch) {
  SearchProjection projection;
  StoreOptions so;
  so.path = dir;
  so.column_families = projection.column_families();
  so.hot_counter_families = projection.hot_counter_families();
  auto store = Store::Open(so);
  EXPECT_TRUE(store.ok()) << store.status();
  std::shared_ptr<Store> s = std::move(*store);
  for (size_t start = 0; start < order.size(); start += batch) {
    ApplyContext ctx(s.get());
    for (size_t i = start; i < std::min(order.size(), start + batch); ++i) {
      absl::Status st = projection.Apply(events[order[i]], LogPosition{0, order[i]}, ctx);
      EXPECT_TRUE(st.ok()) << st;
    }
    rocksdb::Status w = s->db()->Write(rocksdb::WriteOptions(), ctx.Finish());
    EXPECT_TRUE(w.ok()) << w.ToString();
  }
  return s;
}

// Every key and value of every column family, merged.
std::map<std::string, std::string> Dump(Store* s) {
  std::map<std::string, std::string> out;
  for (const std::string& cf : search_model::ColumnFamilies()) {
    std::unique_ptr<rocksdb::Iterator> it(s->db()->NewIterator(rocksdb::ReadOptions(), s->cf(cf)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      std::string v = it->value().ToString();
      // Counters that went back to zero are equivalent to absent ones.
      if (v.size() == 8 && DecodeCounter(v) == 0 &&
          (cf == search_model::kStats || cf == search_model::kTagCounts ||
           cf == search_model::kTrending))
        continue;
      out[cf + "/" + it->key().ToString()] = v;
    }
  }
  return out;
}

class SearchReferenceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    corpus_ = new Corpus(Generator(20261123).Make());
    dir_ = new TempDir();
    std::vector<size_t> order(corpus_->events.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    slot_ = new StoreSlot(Build(dir_->Sub("a"), corpus_->events, order, 37));
    reader_ = new SearchReader(slot_);
  }
  static void TearDownTestSuite() {
    delete reader_;
    delete slot_;
    delete dir_;
    delete corpus_;
  }

  // Brute-force BM25 of every live post holding all `terms`, newest first.
  static std::vector<std::pair<uint64_t, double>> Reference(const std::vector<std::string>& terms) {
    std::map<uint64_t, std::map<std::string, int>> tf;
    std::map<uint64_t, int> length;
    std::map<std::string, int64_t> df;
    int64_t total = 0;
    for (const auto& [id, p] : corpus_->posts) {
      std::vector<std::string> t = SearchTerms(FoldForSearch(p.caption));
      length[id] = static_cast<int>(t.size());
      total += static_cast<int64_t>(t.size());
      for (const std::string& w : t) ++tf[id][w];
      for (const auto& [w, n] : tf[id]) ++df[w];
    }
    const int64_t docs = static_cast<int64_t>(corpus_->posts.size());
    const double average = static_cast<double>(total) / static_cast<double>(docs);
    std::vector<std::pair<uint64_t, double>> out;
    for (auto it = corpus_->posts.rbegin(); it != corpus_->posts.rend(); ++it) {
      double score = 0;
      bool all = true;
      for (const std::string& t : terms) {
        auto f = tf[it->first].find(t);
        if (f == tf[it->first].end()) {
          all = false;
          break;
        }
        score += search_model::Bm25Idf(docs, df[t]) *
                 search_model::Bm25TermWeight(std::min(f->second, 255), length[it->first], average);
      }
      if (all) out.emplace_back(it->first, score);
    }
    return out;
  }

  static inline Corpus* corpus_ = nullptr;
  static inline TempDir* dir_ = nullptr;
  static inline StoreSlot* slot_ = nullptr;
  static inline SearchReader* reader_ = nullptr;
};

TEST_F(SearchReferenceTest, CaptionMatchesAndScoresEqualBruteForce) {
  ASSERT_GT(corpus_->posts.size(), 1000u);
  std::mt19937 rng(5);
  int non_empty = 0;
  for (int q = 0; q < 150; ++q) {
    std::string text;
    int n = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < n; ++i) text += (i ? " " : "") + kWords[rng() % kWords.size()];
    std::vector<std::string> terms = SearchTerms(FoldForSearch(text));
    std::sort(terms.begin(), terms.end());
    terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
    std::vector<std::pair<uint64_t, double>> got;
    auto scan = reader_->MatchPosts(terms, ~uint64_t{0}, SIZE_MAX, [&](uint64_t post, double score) {
      got.emplace_back(post, score);
      return true;
    });
    ASSERT_TRUE(scan.ok()) << scan.status();
    EXPECT_EQ(scan->cut_at, 0u);
    EXPECT_EQ(scan->matches, got.size());
    std::vector<std::pair<uint64_t, double>> want = Reference(terms);
    ASSERT_EQ(got.size(), want.size()) << "query '" << text << "'";
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].first, want[i].first) << "query '" << text << "' hit " << i;
      ASSERT_NEAR(got[i].second, want[i].second, 1e-9) << "query '" << text << "' hit " << i;
    }
    non_empty += !want.empty();
    // A cursor resumes strictly after a post.
    if (want.size() > 3) {
      std::vector<uint64_t> after;
      ASSERT_TRUE(reader_
                      ->MatchPosts(terms, want[2].first, SIZE_MAX,
                                   [&](uint64_t post, double) {
                                     after.push_back(post);
                                     return true;
                                   })
                      .ok());
      ASSERT_EQ(after.size(), want.size() - 3);
      EXPECT_EQ(after[0], want[3].first);
      // A scan cut after a few postings resumes where it stopped: walked in
      // cuts of 7 postings, the matches are the same, in the same order.
      std::vector<uint64_t> walked;
      uint64_t before = ~uint64_t{0};
      for (int cuts = 0; cuts < 100'000; ++cuts) {
        auto part = reader_->MatchPosts(terms, before, 7, [&](uint64_t post, double) {
          walked.push_back(post);
          return true;
        });
        ASSERT_TRUE(part.ok());
        EXPECT_LE(part->scanned, 7u);
        if (!part->cut_at) break;
        before = part->cut_at;
      }
      ASSERT_EQ(walked.size(), want.size()) << "query '" << text << "'";
      for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(walked[i], want[i].first);
    }
  }
  EXPECT_GT(non_empty, 100) << "the queries must mostly hit something to prove anything";
}

TEST_F(SearchReferenceTest, AccountPrefixesEqualBruteForceMostFollowedFirst) {
  std::vector<std::string> prefixes = {"u1", "u2", "u10", "u7_", "zo", "ZOË", "smi", "sm",
                                       "ang", "ÅNG", "mull", "müller", "bjo", "jose", "li", "a"};
  for (const auto& [id, a] : corpus_->accounts) {
    std::string f = FoldForSearch(a.display_name);
    prefixes.push_back(f.substr(0, std::min<size_t>(f.size(), 3)));
  }
  for (const std::string& raw : prefixes) {
    const std::string prefix = FoldForSearch(raw);
    std::set<uint64_t> want;
    for (const auto& [id, a] : corpus_->accounts)
      for (const std::string& t : search_model::NameTexts(a.username, a.display_name))
        if (t.starts_with(prefix)) want.insert(id);
    auto got = reader_->AccountsByPrefix(prefix, 100'000);
    ASSERT_TRUE(got.ok()) << got.status();
    std::set<uint64_t> got_ids;
    int last_width = 64;
    for (const SearchAccount& a : *got) {
      got_ids.insert(a.id);
      EXPECT_EQ(a.followers, corpus_->followers[a.id]) << a.username;
      EXPECT_EQ(a.display_name, corpus_->accounts[a.id].display_name);
      int width = std::bit_width(static_cast<uint64_t>(std::max<int64_t>(0, a.followers)));
      EXPECT_LE(width, last_width) << "prefix '" << prefix << "': most followed first";
      last_width = width;
    }
    EXPECT_EQ(got->size(), got_ids.size()) << "each account once";
    EXPECT_EQ(got_ids, want) << "prefix '" << prefix << "'";
  }
}

TEST_F(SearchReferenceTest, TagsTheirPostsAndTrendingEqualBruteForce) {
  std::map<std::string, std::vector<uint64_t>> posts_of;  // newest first
  for (auto it = corpus_->posts.rbegin(); it != corpus_->posts.rend(); ++it) {
    std::set<std::string> tags;
    for (const std::string& t : it->second.tags) tags.insert(FoldForSearch(t));
    for (const std::string& t : tags) posts_of[t].push_back(it->first);
  }
  for (const auto& [tag, ids] : posts_of) {
    auto got = reader_->TagPosts(tag, ~uint64_t{0}, 100'000);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, ids) << tag;
    EXPECT_EQ(*reader_->TagPostCount(tag), static_cast<int64_t>(ids.size())) << tag;
  }
  for (const std::string prefix : {"t", "tra", "travelg", "f", "cafe", "s", "x"}) {
    std::vector<TagCount> want;
    for (const auto& [tag, ids] : posts_of)
      if (tag.starts_with(prefix)) want.push_back({tag, static_cast<int64_t>(ids.size())});
    std::sort(want.begin(), want.end(), [](const TagCount& a, const TagCount& b) {
      return a.count != b.count ? a.count > b.count : a.tag < b.tag;
    });
    auto got = reader_->TagsByPrefix(prefix, 100);
    ASSERT_TRUE(got.ok());
    ASSERT_EQ(got->size(), want.size()) << prefix;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ((*got)[i].tag, want[i].tag) << prefix << " " << i;
      EXPECT_EQ((*got)[i].count, want[i].count) << prefix << " " << i;
    }
  }
  // Trending over the last 6 hours of the corpus: uses in live posts
  // created in those hours.
  const int64_t now = corpus_->events.back().ts_ms;
  const int64_t first_hour = now / 3'600'000 - 5;
  std::map<std::string, int64_t> uses;
  for (const auto& [id, p] : corpus_->posts) {
    if (p.created_ms / 3'600'000 < first_hour) continue;
    std::set<std::string> tags;
    for (const std::string& t : p.tags) tags.insert(FoldForSearch(t));
    for (const std::string& t : tags) ++uses[t];
  }
  std::vector<TagCount> want;
  for (const auto& [tag, n] : uses) want.push_back({tag, n});
  std::sort(want.begin(), want.end(), [](const TagCount& a, const TagCount& b) {
    return a.count != b.count ? a.count > b.count : a.tag < b.tag;
  });
  auto got = reader_->Trending(now, 6, 100);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*got)[i].tag, want[i].tag) << i;
    EXPECT_EQ((*got)[i].count, want[i].count) << i;
  }
  ASSERT_FALSE(want.empty());
  EXPECT_LT(want[0].count, static_cast<int64_t>(posts_of[want[0].tag].size()))
      << "older posts fall out of the window";
}

TEST_F(SearchReferenceTest, PostingBlocksHoldManyPostingsAndCommonWordsSpanManyBlocks) {
  // The matches above walked real blocks: many postings to a block, and
  // the common words' postings in many blocks (so cursors move across
  // blocks, by Next and by Seek).
  std::shared_ptr<Store> store = slot_->Get();
  std::unique_ptr<rocksdb::Iterator> it(
      store->db()->NewIterator(rocksdb::ReadOptions(), store->cf(search_model::kPostings)));
  size_t largest = 0;
  std::map<std::string, size_t> blocks_of;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::vector<Posting> block;
    ASSERT_TRUE(DecodePostingBlock(it->value().ToStringView(), &block));
    std::string key = it->key().ToString();
    largest = std::max(largest, block.size());
    ++blocks_of[key.substr(0, key.find('\0'))];
    for (const Posting& p : block) {
      // Every posting is in its window's block.
      EXPECT_EQ(search_model::PostingBlockKey(key.substr(0, key.find('\0')), p.id), key);
    }
  }
  EXPECT_GE(largest, 10u);
  EXPECT_GE(blocks_of["sunset"], 50u);
}

TEST_F(SearchReferenceTest, ARebuildInOtherBatchesAndPartitionOrderIsIdentical) {
  // Events of each partition in log order, partitions interleaved
  // differently: round-robin, one event at a time, committed every 5.
  std::vector<std::vector<size_t>> by_partition(4);
  for (size_t i = 0; i < corpus_->events.size(); ++i)
    by_partition[corpus_->partition_of_event[i]].push_back(i);
  std::vector<size_t> order;
  for (size_t k = 0; order.size() < corpus_->events.size(); ++k)
    for (auto& p : by_partition)
      if (k < p.size()) order.push_back(p[k]);
  std::shared_ptr<Store> other = Build(dir_->Sub("b"), corpus_->events, order, 5);
  std::map<std::string, std::string> a = Dump(slot_->Get().get()), b = Dump(other.get());
  EXPECT_EQ(a.size(), b.size());
  size_t differences = 0;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end() || it->second != v) ++differences;
  }
  EXPECT_EQ(differences, 0u);
  EXPECT_GT(a.size(), 10'000u);
}

}  // namespace
}  // namespace lens::testing
