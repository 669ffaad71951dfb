// The search read model, written by the "search" projection: account
// typeahead, full-text search over captions, hashtags and trending tags.
// Everything is kept in RocksDB; no external search engine.
//
//   accounts    BE64(user)                   -> {u: username, d: display name, p: private}
//   edges       BE64(follower) BE64(followee) -> ""   (guards the follower counts)
//   names       P \0 R BE64(user)            -> ""   (typeahead prefixes)
//   postings    T \0 BE64(~window)           -> posting block (store/posting_block.h):
//                                                post -> tf << 16 | caption length in terms
//   docs        BE64(post)                   -> {a: author, c: created ms, n: length,
//                                                w: {term: tf}, h: [tag]}
//   stats       "docs" | "len" | "df" \0 T   -> int64 (corpus statistics for BM25)
//               "f" \0 BE64(user)            -> int64 (followers)
//   tags        G \0 BE64(~post)             -> ""   (a tag's posts, newest first)
//   tag_counts  G                            -> int64 (posts holding the tag)
//   tag_names   P \0 R G                     -> ""   (tag prefixes)
//   trending    BE32(hour) G                 -> int64 (uses of the tag in posts
//                                                created in that UTC hour)
//               "v" BE32(hour)               -> int64 (changes to that hour's
//                                                counts: readers cache hours)
//
// A term's postings are grouped by post id window (post >> kPostingWindowBits:
// posts created in the same 65.5 s, as ids are time-ordered), one block per
// window, so a dense term is read a block of postings at a time; writers
// add and remove postings with merge operands, never reading a block.
//
// T is a term and G a tag, both folded (base/search_text.h); P is a prefix
// of a folded name or tag, cut at up to kMaxPrefixChars code points. R is a
// popularity rank byte, 255 - bit_width(count) (followers of an account,
// posts of a tag), so that a prefix scan meets the most popular first; an
// entry is rewritten only when its count crosses a power of two.
#ifndef LENS_READMODELS_SEARCH_MODEL_H_
#define LENS_READMODELS_SEARCH_MODEL_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "store/store_slot.h"

namespace lens {

namespace search_model {
inline constexpr char kAccounts[] = "accounts";
inline constexpr char kEdges[] = "edges";
inline constexpr char kNames[] = "names";
inline constexpr char kPostings[] = "postings";
inline constexpr char kDocs[] = "docs";
inline constexpr char kStats[] = "stats";
inline constexpr char kTags[] = "tags";
inline constexpr char kTagCounts[] = "tag_counts";
inline constexpr char kTagNames[] = "tag_names";
inline constexpr char kTrending[] = "trending";
std::vector<std::string> ColumnFamilies();

// Longest prefix indexed, in code points. Longer queries scan the prefix of
// this length and compare the whole text.
inline constexpr size_t kMaxPrefixChars = 16;
// Posting windows: 2^38 ids, 2^16 ms of creation time (ids hold ms << 22).
inline constexpr int kPostingWindowBits = 38;
// BM25 parameters.
inline constexpr double kBm25K1 = 1.2;
inline constexpr double kBm25B = 0.75;

uint8_t Rank(int64_t count);
std::string PrefixKey(std::string_view prefix, uint8_t rank, std::string_view suffix);
// The key of the posting block holding `post`'s posting of `term`.
std::string PostingBlockKey(std::string_view term, uint64_t post);
// A posting's payload: term frequency and caption length, both capped.
uint32_t PostingPayload(int tf, int length);
std::string TagPostKey(std::string_view tag, uint64_t post);
std::string TrendingKey(uint32_t hour, std::string_view tag);
std::string HourVersionKey(uint32_t hour);
std::string DfKey(std::string_view term);
std::string FollowersKey(uint64_t user);

// The folded texts an account is found by: its username, its display name
// and the display name from each later word on. Distinct, non-empty.
std::vector<std::string> NameTexts(std::string_view username, std::string_view display_name);

// One BM25 term weight, without the idf factor.
double Bm25TermWeight(int tf, int doc_length, double average_length);
double Bm25Idf(int64_t docs, int64_t df);
}  // namespace search_model

struct SearchAccount {
  uint64_t id = 0;
  std::string username, display_name;
  int64_t followers = 0;
  bool is_private = false;
  std::string Encode() const;
  static std::optional<SearchAccount> Decode(uint64_t id, std::string_view text);
};

struct TagCount {
  std::string tag;
  int64_t count = 0;
};

// Read-side access to the search model. Thread-safe (reads only); each
// call reads the store the slot serves when it starts.
class SearchReader {
 public:
  explicit SearchReader(const StoreSlot* slot) : slot_(slot) {}

  // Distinct accounts with a username, display name or display-name word
  // starting with `folded_prefix`, most followed first, at most `max`.
  absl::StatusOr<std::vector<SearchAccount>> AccountsByPrefix(std::string_view folded_prefix,
                                                              size_t max) const;
  absl::StatusOr<std::optional<SearchAccount>> GetAccount(uint64_t id) const;

  // Posts whose captions hold every one of `terms` (folded, distinct), with
  // their BM25 score, newest first among those older than `before`. The
  // rarest term's postings drive the scan; at most `max_scanned` of them
  // are read. `fn` returns false to stop.
  using MatchFn = std::function<bool(uint64_t post, double score)>;
  struct MatchScan {
    size_t matches = 0;  // calls of fn
    size_t scanned = 0;  // postings of the rarest term read
    // When the scan stopped at max_scanned: where a later scan resumes
    // (its `before`). 0 when the postings ran out or fn stopped.
    uint64_t cut_at = 0;
  };
  absl::StatusOr<MatchScan> MatchPosts(const std::vector<std::string>& terms, uint64_t before,
                                       size_t max_scanned, const MatchFn& fn) const;

  // Post ids of `tag`, newest first among those older than `before`.
  absl::StatusOr<std::vector<uint64_t>> TagPosts(std::string_view tag, uint64_t before,
                                                 size_t max) const;
  absl::StatusOr<int64_t> TagPostCount(std::string_view tag) const;
  // Tags starting with `folded_prefix`, most used first (then by name).
  absl::StatusOr<std::vector<TagCount>> TagsByPrefix(std::string_view folded_prefix,
                                                     size_t max) const;
  // The tags most used in posts created in the `hours` UTC hours up to and
  // including the one holding `now_ms`, most used first (then by name).
  // Each hour's counts are read once and cached until that hour changes
  // (its version key moves), so a query mostly reads the current hour.
  absl::StatusOr<std::vector<TagCount>> Trending(int64_t now_ms, int hours, size_t max) const;

 private:
  struct HourCounts {
    int64_t version = -1;
    std::vector<TagCount> counts;
  };
  const StoreSlot* slot_;
  mutable absl::Mutex hours_mu_;
  // Of the store `hours_store_` (a rebuild swaps stores: the cache goes).
  mutable const Store* hours_store_ ABSL_GUARDED_BY(hours_mu_) = nullptr;
  mutable absl::flat_hash_map<uint32_t, HourCounts> hours_ ABSL_GUARDED_BY(hours_mu_);
};

}  // namespace lens

#endif  // LENS_READMODELS_SEARCH_MODEL_H_
