// Search and discovery queries (docs/search-api.md):
//   GET /api/v1/search/accounts?q=            typeahead
//   GET /api/v1/search/posts?q=&sort=         caption full text (BM25 or recent)
//   GET /api/v1/search/hashtags?q=            tags by prefix, with post counts
//   GET /api/v1/search/suggested-accounts     friends of friends
//   GET /api/v1/hashtags/{tag}/posts          a tag's posts, newest first
//   GET /api/v1/hashtags/trending             most used in recent hours
// Hits are filtered by what the viewer may see (query-api/post_access.h)
// at query time: blocked accounts never appear, private authors' posts only
// to their followers.
#ifndef LENS_QUERY_API_SEARCH_QUERY_API_H_
#define LENS_QUERY_API_SEARCH_QUERY_API_H_

#include <cstdint>
#include <functional>
#include <string>

#include "http/router.h"
#include "query-api/post_access.h"
#include "query-api/query_gate.h"
#include "readmodels/accounts_model.h"
#include "readmodels/search_model.h"
#include "readmodels/social_model.h"

namespace lens {

struct SearchQueryOptions {
  // Relevance ranking scores the matches among the newest
  // `relevance_postings` captions holding the query's rarest word, at most
  // `relevance_matches` of them: older posts are found with sort=recent.
  // Bounds the work of a query whatever the corpus.
  size_t relevance_postings = 20'000;
  size_t relevance_matches = 10'000;
  // sort=recent reads at most this many postings of the rarest word per
  // page; the cursor then continues from there.
  size_t recent_postings = 20'000;
  // Typeahead ranks at most this many prefix matches (most followed first).
  size_t account_candidates = 200;
  // Suggestions look at this many of the viewer's followees, and this many
  // of each one's followees.
  size_t suggestion_fanout = 200;
  // The clock for trending (tests move it).
  std::function<int64_t()> now_ms;
};

class SearchQueryApi {
 public:
  SearchQueryApi(const QueryGate* gate, const AccountsReader* accounts, const SocialReader* social,
                 const SearchReader* search, SearchQueryOptions options = {});
  void RegisterRoutes(Router* router);

 private:
  absl::StatusOr<HttpResponse> Accounts(HttpRequest& req);
  absl::StatusOr<HttpResponse> Posts(HttpRequest& req);
  absl::StatusOr<HttpResponse> Hashtags(HttpRequest& req);
  absl::StatusOr<HttpResponse> TagPosts(HttpRequest& req);
  absl::StatusOr<HttpResponse> Trending(HttpRequest& req);
  absl::StatusOr<HttpResponse> Suggestions(HttpRequest& req);

  const QueryGate* gate_;
  const AccountsReader* accounts_;
  const SocialReader* social_;
  const SearchReader* search_;
  PostViewer posts_;
  SearchQueryOptions options_;
};

}  // namespace lens

#endif  // LENS_QUERY_API_SEARCH_QUERY_API_H_
