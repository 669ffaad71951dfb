#include "readmodels/search_model.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <memory>
#include <set>

#include "base/big_endian.h"
#include "base/json.h"
#include "base/search_text.h"
#include "base/status_macros.h"
#include "store/posting_block.h"
#include "store/rocksdb_status.h"

namespace lens {
namespace search_model {

std::vector<std::string> ColumnFamilies() {
  return {kAccounts, kEdges, kNames,      kPostings, kDocs,
          kStats,    kTags,  kTagCounts, kTagNames, kTrending};
}

uint8_t Rank(int64_t count) {
  if (count <= 0) return 255;
  return static_cast<uint8_t>(255 - std::bit_width(static_cast<uint64_t>(count)));
}

std::string PrefixKey(std::string_view prefix, uint8_t rank, std::string_view suffix) {
  std::string k;
  k.reserve(prefix.size() + 2 + suffix.size());
  k.append(prefix);
  k.push_back('\0');
  k.push_back(static_cast<char>(rank));
  k.append(suffix);
  return k;
}

std::string PostingBlockKey(std::string_view term, uint64_t post) {
  std::string k(term);
  k.push_back('\0');
  AppendBigEndian64(&k, ~(post >> kPostingWindowBits));
  return k;
}

uint32_t PostingPayload(int tf, int length) {
  return static_cast<uint32_t>(std::clamp(tf, 1, 255)) << 16 |
         static_cast<uint32_t>(std::clamp(length, 0, 65535));
}

std::string TagPostKey(std::string_view tag, uint64_t post) {
  std::string k(tag);
  k.push_back('\0');
  AppendBigEndian64(&k, ~post);
  return k;
}

std::string TrendingKey(uint32_t hour, std::string_view tag) {
  std::string k;
  AppendBigEndian32(&k, hour);
  k.append(tag);
  return k;
}

std::string HourVersionKey(uint32_t hour) {
  std::string k = "v";
  AppendBigEndian32(&k, hour);
  return k;
}

std::string FollowersKey(uint64_t user) {
  std::string k = "f";
  k.push_back('\0');
  AppendBigEndian64(&k, user);
  return k;
}

std::string DfKey(std::string_view term) {
  std::string k = "df";
  k.push_back('\0');
  k.append(term);
  return k;
}

std::vector<std::string> NameTexts(std::string_view username, std::string_view display_name) {
  std::vector<std::string> texts{FoldForSearch(username)};
  std::string name = FoldForSearch(display_name);
  if (!name.empty()) {
    texts.push_back(name);
    // Each later word of the display name, so "smi" finds "John Smith".
    for (size_t space = name.find(' '); space != std::string::npos; space = name.find(' ', space + 1))
      texts.push_back(name.substr(space + 1));
  }
  std::sort(texts.begin(), texts.end());
  texts.erase(std::unique(texts.begin(), texts.end()), texts.end());
  std::erase(texts, std::string());
  return texts;
}

double Bm25TermWeight(int tf, int doc_length, double average_length) {
  if (average_length <= 0) average_length = 1;
  double norm = kBm25K1 * (1 - kBm25B + kBm25B * doc_length / average_length);
  return tf * (kBm25K1 + 1) / (tf + norm);
}

double Bm25Idf(int64_t docs, int64_t df) {
  return std::log(1.0 + (static_cast<double>(docs - df) + 0.5) / (static_cast<double>(df) + 0.5));
}

}  // namespace search_model

using namespace search_model;

std::string SearchAccount::Encode() const {
  return DumpJson(Json{{"u", username}, {"d", display_name}, {"p", is_private}});
}

std::optional<SearchAccount> SearchAccount::Decode(uint64_t id, std::string_view text) {
  auto j = ParseJsonObject(text);
  if (!j.ok()) return std::nullopt;
  SearchAccount a;
  a.id = id;
  a.username = j->value("u", "");
  a.display_name = j->value("d", "");
  a.is_private = j->value("p", false);
  return a;
}

namespace {

// Keys of `cf` in [prefix, prefix + 0xff...), in order. `fn(key, value)`
// returns false to stop.
template <typename Fn>
absl::Status ScanPrefix(Store* store, const char* cf, const std::string& prefix, Fn fn) {
  std::string upper = prefix;
  // The smallest key greater than every key with the prefix: bump the last
  // byte that is not 0xff (prefixes here always end in '\0').
  while (!upper.empty() && static_cast<unsigned char>(upper.back()) == 0xff) upper.pop_back();
  if (!upper.empty()) upper.back() = static_cast<char>(upper.back() + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  if (!upper.empty()) ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(store->db()->NewIterator(ro, store->cf(cf)));
  for (it->Seek(prefix); it->Valid(); it->Next())
    if (!fn(it->key().ToStringView(), it->value().ToStringView())) break;
  return FromRocks(it->status());
}

absl::StatusOr<int64_t> CounterOf(Store* store, const char* cf, std::string_view key) {
  auto v = store->Get(cf, key);
  if (!v.ok()) return v.status();
  return v->has_value() ? DecodeCounter(**v) : 0;
}

absl::StatusOr<std::optional<SearchAccount>> AccountIn(Store* store, uint64_t id) {
  auto v = store->Get(kAccounts, BigEndian64(id));
  if (!v.ok()) return v.status();
  if (!v->has_value()) return std::optional<SearchAccount>();
  auto a = SearchAccount::Decode(id, **v);
  if (!a) return absl::DataLossError("corrupt search account");
  ASSIGN_OR_RETURN(a->followers, CounterOf(store, kStats, FollowersKey(id)));
  return a;
}

// The prefix to scan for `folded`: at most kMaxPrefixChars code points.
std::string ScanPrefixOf(std::string_view folded, bool* cut) {
  size_t chars = 0, i = 0;
  for (; i < folded.size(); ++i) {
    if ((static_cast<unsigned char>(folded[i]) & 0xc0) != 0x80) {
      if (chars == kMaxPrefixChars) break;
      ++chars;
    }
  }
  *cut = i < folded.size();
  return std::string(folded.substr(0, i));
}

}  // namespace

absl::StatusOr<std::optional<SearchAccount>> SearchReader::GetAccount(uint64_t id) const {
  std::shared_ptr<Store> store = slot_->Get();
  return AccountIn(store.get(), id);
}

absl::StatusOr<std::vector<SearchAccount>> SearchReader::AccountsByPrefix(
    std::string_view folded_prefix, size_t max) const {
  std::shared_ptr<Store> store = slot_->Get();
  std::vector<SearchAccount> out;
  if (folded_prefix.empty() || max == 0) return out;
  bool cut = false;
  std::string scan = ScanPrefixOf(folded_prefix, &cut);
  std::set<uint64_t> seen;
  absl::Status inner;
  absl::Status s = ScanPrefix(
      store.get(), kNames, scan + std::string(1, '\0'), [&](std::string_view k, std::string_view) {
        if (k.size() < 8) return true;
        uint64_t id = ReadBigEndian64(k.substr(k.size() - 8));
        if (!seen.insert(id).second) return true;
        auto a = AccountIn(store.get(), id);
        if (!a.ok()) {
          inner = a.status();
          return false;
        }
        if (!*a) return true;
        if (cut) {
          // The index knows the first kMaxPrefixChars only: check the rest.
          bool match = false;
          for (const std::string& t : NameTexts((*a)->username, (*a)->display_name))
            match = match || t.starts_with(folded_prefix);
          if (!match) return true;
        }
        out.push_back(std::move(**a));
        return out.size() < max;
      });
  if (!inner.ok()) return inner;
  if (!s.ok()) return s;
  return out;
}

namespace {

// Walks one term's postings, newest first, a block at a time.
class PostingCursor {
 public:
  PostingCursor(Store* store, std::string term) : term_(std::move(term)) {
    upper_ = term_;
    upper_.push_back('\1');
    upper_slice_ = rocksdb::Slice(upper_);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice_;
    it_.reset(store->db()->NewIterator(ro, store->cf(kPostings)));
  }

  bool Valid() const { return at_ < block_.size(); }
  const Posting& posting() const { return block_[at_]; }
  const std::string& term() const { return term_; }
  absl::Status status() const {
    if (corrupt_)
      return absl::DataLossError("corrupt posting block of '" + term_ +
                                 "' (a store from before posting blocks: lensctl rebuild search)");
    return FromRocks(it_->status());
  }

  // To the newest posting at or below `post`.
  void Seek(uint64_t post) {
    it_->Seek(PostingBlockKey(term_, post));
    Load();
    SkipNewerThan(post);
  }

  void Next() {
    if (++at_ == block_.size()) NextBlock();
  }

  // Forward (older) to the newest posting at or below `post`: within the
  // block, a binary search; to a block a little older, Next(); further,
  // a Seek.
  void AdvanceTo(uint64_t post) {
    if (!Valid() || posting().id <= post) return;
    const uint64_t window = post >> kPostingWindowBits;
    for (int step = 0; Valid() && window_ > window; ++step) {
      if (step == 2) return Seek(post);
      NextBlock();
    }
    SkipNewerThan(post);
  }

 private:
  void SkipNewerThan(uint64_t post) {
    if (!Valid()) return;
    auto it = std::lower_bound(block_.begin() + static_cast<long>(at_), block_.end(), post,
                               [](const Posting& p, uint64_t id) { return p.id > id; });
    at_ = static_cast<size_t>(it - block_.begin());
    if (at_ == block_.size()) NextBlock();
  }

  void NextBlock() {
    it_->Next();
    Load();
  }

  // Decodes the block at it_ (skipping empty ones); Valid() false at the end.
  void Load() {
    block_.clear();
    at_ = 0;
    for (; it_->Valid(); it_->Next()) {
      std::string_view key = it_->key().ToStringView();
      if (key.size() != term_.size() + 9) continue;
      window_ = ~ReadBigEndian64(key.substr(term_.size() + 1));
      if (!DecodePostingBlock(it_->value().ToStringView(), &block_)) {
        corrupt_ = true;
        block_.clear();
        return;
      }
      if (!block_.empty()) return;
    }
  }

  std::string term_;
  std::string upper_;
  rocksdb::Slice upper_slice_;
  std::unique_ptr<rocksdb::Iterator> it_;
  std::vector<Posting> block_;
  size_t at_ = 0;
  uint64_t window_ = 0;
  bool corrupt_ = false;
};

}  // namespace

absl::StatusOr<SearchReader::MatchScan> SearchReader::MatchPosts(
    const std::vector<std::string>& terms, uint64_t before, size_t max_scanned,
    const MatchFn& fn) const {
  std::shared_ptr<Store> store = slot_->Get();
  MatchScan scan;
  if (terms.empty() || before == 0) return scan;
  ASSIGN_OR_RETURN(int64_t docs, CounterOf(store.get(), kStats, "docs"));
  ASSIGN_OR_RETURN(int64_t total_length, CounterOf(store.get(), kStats, "len"));
  const double average = docs > 0 ? static_cast<double>(total_length) / docs : 1.0;
  struct Term {
    std::string term;
    int64_t df = 0;
    double idf = 0;
  };
  std::vector<Term> stats(terms.size());
  for (size_t i = 0; i < terms.size(); ++i) {
    ASSIGN_OR_RETURN(stats[i].df, CounterOf(store.get(), kStats, DfKey(terms[i])));
    if (stats[i].df <= 0) return scan;  // a term no caption holds: no match
    stats[i].term = terms[i];
    stats[i].idf = Bm25Idf(docs, stats[i].df);
  }
  // The rarest term drives; the others follow in the same (newest first)
  // order, so each of their cursors only moves forward.
  std::sort(stats.begin(), stats.end(), [](const Term& a, const Term& b) { return a.df < b.df; });
  std::vector<std::unique_ptr<PostingCursor>> cursors;
  for (const Term& t : stats) cursors.push_back(std::make_unique<PostingCursor>(store.get(), t.term));
  auto weight = [&](size_t i, uint32_t payload) {
    return stats[i].idf * Bm25TermWeight(static_cast<int>(payload >> 16),
                                         static_cast<int>(payload & 0xffff), average);
  };
  PostingCursor& driver = *cursors[0];
  driver.Seek(before - 1);
  for (size_t i = 1; i < cursors.size(); ++i) cursors[i]->Seek(before - 1);
  for (; driver.Valid(); driver.Next()) {
    const uint64_t post = driver.posting().id;
    if (scan.scanned == max_scanned) {
      scan.cut_at = post + 1;  // not read: resume at it
      return scan;
    }
    ++scan.scanned;
    double score = weight(0, driver.posting().payload);
    bool all = true;
    for (size_t i = 1; i < cursors.size() && all; ++i) {
      PostingCursor& c = *cursors[i];
      c.AdvanceTo(post);
      if (!c.Valid()) {
        RETURN_IF_ERROR(c.status());
        return scan;  // this term has nothing older: no further match
      }
      if (c.posting().id != post) {
        all = false;
      } else {
        score += weight(i, c.posting().payload);
      }
    }
    if (!all) continue;
    ++scan.matches;
    if (!fn(post, score)) return scan;
  }
  RETURN_IF_ERROR(driver.status());
  return scan;
}

absl::StatusOr<std::vector<uint64_t>> SearchReader::TagPosts(std::string_view tag, uint64_t before,
                                                             size_t max) const {
  std::shared_ptr<Store> store = slot_->Get();
  std::vector<uint64_t> out;
  if (before == 0 || max == 0) return out;
  std::string prefix(tag);
  prefix.push_back('\0');
  std::string start = TagPostKey(tag, before - 1);
  std::string upper = std::string(tag) + '\1';
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(store->db()->NewIterator(ro, store->cf(kTags)));
  for (it->Seek(start); it->Valid() && out.size() < max; it->Next()) {
    std::string_view k = it->key().ToStringView();
    if (k.size() != prefix.size() + 8) continue;
    out.push_back(~ReadBigEndian64(k.substr(prefix.size())));
  }
  RETURN_IF_ERROR(FromRocks(it->status()));
  return out;
}

absl::StatusOr<int64_t> SearchReader::TagPostCount(std::string_view tag) const {
  std::shared_ptr<Store> store = slot_->Get();
  return CounterOf(store.get(), kTagCounts, tag);
}

absl::StatusOr<std::vector<TagCount>> SearchReader::TagsByPrefix(std::string_view folded_prefix,
                                                                 size_t max) const {
  std::shared_ptr<Store> store = slot_->Get();
  std::vector<TagCount> out;
  if (folded_prefix.empty() || max == 0) return out;
  bool cut = false;
  std::string scan = ScanPrefixOf(folded_prefix, &cut);
  const size_t header = scan.size() + 2;  // prefix, '\0', rank
  std::set<std::string, std::less<>> seen;
  absl::Status inner;
  // Candidates come most used first (by rank); collect a few more than
  // asked so that the exact order within a rank can be settled.
  const size_t want = max + 32;
  RETURN_IF_ERROR(ScanPrefix(store.get(), kTagNames, scan + std::string(1, '\0'),
                             [&](std::string_view k, std::string_view) {
                               if (k.size() <= header) return true;
                               std::string_view tag = k.substr(header);
                               if (cut && !tag.starts_with(folded_prefix)) return true;
                               if (!seen.emplace(tag).second) return true;
                               auto count = CounterOf(store.get(), kTagCounts, tag);
                               if (!count.ok()) {
                                 inner = count.status();
                                 return false;
                               }
                               if (*count > 0) out.push_back({std::string(tag), *count});
                               return out.size() < want;
                             }));
  RETURN_IF_ERROR(inner);
  std::sort(out.begin(), out.end(), [](const TagCount& a, const TagCount& b) {
    return a.count != b.count ? a.count > b.count : a.tag < b.tag;
  });
  if (out.size() > max) out.resize(max);
  return out;
}

absl::StatusOr<std::vector<TagCount>> SearchReader::Trending(int64_t now_ms, int hours,
                                                             size_t max) const {
  std::shared_ptr<Store> store = slot_->Get();
  const int64_t now_hour = now_ms / 3'600'000;
  const int64_t first = std::max<int64_t>(0, now_hour - hours + 1);
  absl::flat_hash_map<std::string, int64_t> uses;
  absl::MutexLock lock(&hours_mu_);
  if (hours_store_ != store.get()) {
    hours_.clear();
    hours_store_ = store.get();
  }
  for (int64_t h = first; h <= now_hour; ++h) {
    const uint32_t hour = static_cast<uint32_t>(h);
    ASSIGN_OR_RETURN(int64_t version, CounterOf(store.get(), kTrending, HourVersionKey(hour)));
    HourCounts& cached = hours_[hour];
    if (cached.version != version) {
      // Read the hour's counts: keys BE32(hour) tag. ("v" keys sort after
      // every hour below 0x76000000, i.e. for the next 200,000 years.)
      cached.counts.clear();
      std::string start, end;
      AppendBigEndian32(&start, hour);
      AppendBigEndian32(&end, hour + 1);
      rocksdb::Slice end_slice(end);
      rocksdb::ReadOptions ro;
      ro.iterate_upper_bound = &end_slice;
      std::unique_ptr<rocksdb::Iterator> it(store->db()->NewIterator(ro, store->cf(kTrending)));
      for (it->Seek(start); it->Valid(); it->Next()) {
        std::string_view k = it->key().ToStringView();
        int64_t n = DecodeCounter(it->value().ToStringView());
        if (k.size() > 4 && n > 0) cached.counts.push_back({std::string(k.substr(4)), n});
      }
      RETURN_IF_ERROR(FromRocks(it->status()));
      cached.version = version;
    }
    for (const TagCount& t : cached.counts) uses[t.tag] += t.count;
  }
  // Hours that left every window a caller asks for (a week) are dropped.
  for (auto it = hours_.begin(); it != hours_.end();) {
    if (static_cast<int64_t>(it->first) < now_hour - 168) {
      hours_.erase(it++);
    } else {
      ++it;
    }
  }
  std::vector<TagCount> out;
  out.reserve(uses.size());
  for (auto& [tag, n] : uses) out.push_back({tag, n});
  auto better = [](const TagCount& a, const TagCount& b) {
    return a.count != b.count ? a.count > b.count : a.tag < b.tag;
  };
  const size_t keep = std::min(max, out.size());
  std::partial_sort(out.begin(), out.begin() + static_cast<long>(keep), out.end(), better);
  out.resize(keep);
  return out;
}

}  // namespace lens
