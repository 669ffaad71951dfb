#include "query-api/search_query_api.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <unordered_set>

#include "base/search_text.h"
#include "base/status_macros.h"
#include "base/text.h"
#include "base/time.h"
#include "query-api/account_summary.h"
#include "query-api/pagination.h"
#include "views/views.h"

namespace lens {
namespace {

constexpr size_t kMaxQueryChars = 256;
constexpr size_t kMaxQueryTerms = 32;
// A tag's posts and sort=recent examine at most this many hits per page,
// so that a page of mostly invisible hits still answers quickly; the
// cursor then continues after the last one examined.
constexpr size_t kMaxExaminedPerPage = 2000;

HttpResponse Finish(const absl::StatusOr<HttpResponse>& r) {
  return r.ok() ? *r : HttpResponse::FromStatus(r.status());
}

absl::Status Invalid(std::string_view code, std::string_view message, std::string_view field) {
  return ApiError(absl::StatusCode::kInvalidArgument, code, message, field);
}

// A query text (`q`, or a tag in the path), folded: 400 when missing, not
// UTF-8 or holding control characters; 422 when over 256 characters or
// empty once leading `sigil`s ('@', '#') and blanks are taken off.
absl::StatusOr<std::string> FoldedQuery(std::optional<std::string_view> q, char sigil,
                                        std::string_view field) {
  if (!q) return BadRequest("missing_query", "the q parameter is required", field);
  std::optional<size_t> chars = Utf8Length(*q);
  if (!chars) return BadRequest("invalid_query", "the query is not valid UTF-8", field);
  if (HasControlCharacters(*q, false))
    return BadRequest("invalid_query", "the query holds control characters", field);
  if (*chars > kMaxQueryChars)
    return Invalid("query_too_long", "a query has at most 256 characters", field);
  std::string folded = FoldForSearch(*q);
  size_t start = 0;
  while (start < folded.size() && (folded[start] == sigil || folded[start] == ' ')) ++start;
  folded.erase(0, start);
  if (folded.empty()) return Invalid("empty_query", "the query is empty", field);
  return folded;
}

// An integer query parameter in [lo, hi], `fallback` when absent.
absl::StatusOr<int> IntParam(const HttpRequest& req, std::string_view name, int lo, int hi,
                             int fallback) {
  auto v = req.Query(name);
  if (!v) return fallback;
  int n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size() || n < lo || n > hi)
    return BadRequest("invalid_" + std::string(name),
                      std::string(name) + " must be a number from " + std::to_string(lo) +
                          " to " + std::to_string(hi),
                      name);
  return n;
}

HttpResponse ListResponse(Json items, std::optional<uint64_t> next) {
  return HttpResponse::JsonBody(200, ListJson(std::move(items), next ? EncodeCursor(*next) : ""));
}

// An offset-paged slice of a ranked list: [offset, offset + limit), and the
// next offset when the list goes on.
template <typename T>
std::pair<std::vector<T>, std::optional<uint64_t>> Slice(std::vector<T> ranked, const PageRequest& page) {
  const size_t offset = std::min<size_t>(page.after.value_or(0), ranked.size());
  const size_t end = std::min(ranked.size(), offset + page.limit);
  std::vector<T> out(std::make_move_iterator(ranked.begin() + offset),
                     std::make_move_iterator(ranked.begin() + end));
  std::optional<uint64_t> next;
  if (end < ranked.size()) next = end;
  return {std::move(out), next};
}

Json TagJson(const TagCount& t) { return Json{{"name", t.tag}, {"post_count", t.count}}; }

}  // namespace

SearchQueryApi::SearchQueryApi(const QueryGate* gate, const AccountsReader* accounts,
                               const SocialReader* social, const SearchReader* search,
                               SearchQueryOptions options)
    : gate_(gate),
      accounts_(accounts),
      social_(social),
      search_(search),
      posts_(accounts, social),
      options_(std::move(options)) {
  if (!options_.now_ms) options_.now_ms = [] { return NowMillis(); };
}

void SearchQueryApi::RegisterRoutes(Router* router) {
  router->Add("GET", "/api/v1/search/accounts",
              [this](HttpRequest& r) { return Finish(Accounts(r)); });
  router->Add("GET", "/api/v1/search/posts", [this](HttpRequest& r) { return Finish(Posts(r)); });
  router->Add("GET", "/api/v1/search/hashtags",
              [this](HttpRequest& r) { return Finish(Hashtags(r)); });
  router->Add("GET", "/api/v1/search/suggested-accounts",
              [this](HttpRequest& r) { return Finish(Suggestions(r)); });
  router->Add("GET", "/api/v1/hashtags/trending",
              [this](HttpRequest& r) { return Finish(Trending(r)); });
  router->Add("GET", "/api/v1/hashtags/{tag}/posts",
              [this](HttpRequest& r) { return Finish(TagPosts(r)); });
}

// --- accounts --------------------------------------------------------------

absl::StatusOr<HttpResponse> SearchQueryApi::Accounts(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims claims, gate_->Begin(req));
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req));
  ASSIGN_OR_RETURN(std::string q, FoldedQuery(req.Query("q"), '@', "q"));
  const uint64_t viewer = claims.user_id.value();
  ASSIGN_OR_RETURN(std::vector<SearchAccount> candidates,
                   search_->AccountsByPrefix(q, options_.account_candidates));
  // The account whose username is exactly the query, however few follow it.
  ASSIGN_OR_RETURN(auto exact, accounts_->LookupUsername(q));
  if (exact && std::none_of(candidates.begin(), candidates.end(),
                            [&](const SearchAccount& a) { return a.id == exact->value(); })) {
    ASSIGN_OR_RETURN(auto a, search_->GetAccount(exact->value()));
    if (a) candidates.push_back(std::move(*a));
  }
  struct Ranked {
    SearchAccount account;
    bool exact = false;
    bool followed = false;
  };
  std::vector<Ranked> ranked;
  for (SearchAccount& a : candidates) {
    if (a.id != viewer && social_->BlockedEitherWay(viewer, a.id)) continue;
    Ranked r;
    r.exact = FoldForSearch(a.username) == q || FoldForSearch(a.display_name) == q;
    r.followed = a.id != viewer && social_->Follows(viewer, a.id);
    r.account = std::move(a);
    ranked.push_back(std::move(r));
  }
  // Exact matches, then accounts the viewer follows, then the most
  // followed; the username settles ties.
  std::sort(ranked.begin(), ranked.end(), [](const Ranked& x, const Ranked& y) {
    if (x.exact != y.exact) return x.exact;
    if (x.followed != y.followed) return x.followed;
    if (x.account.followers != y.account.followers)
      return x.account.followers > y.account.followers;
    return x.account.username < y.account.username;
  });
  auto [slice, next] = Slice(std::move(ranked), page);
  Json items = Json::array();
  for (const Ranked& r : slice) {
    items.push_back(Json{{"id", std::to_string(r.account.id)},
                         {"username", r.account.username},
                         {"display_name", r.account.display_name},
                         {"is_private", r.account.is_private},
                         {"followers_count", r.account.followers},
                         {"following", r.followed}});
  }
  return ListResponse(std::move(items), next);
}

// --- posts -----------------------------------------------------------------

absl::StatusOr<HttpResponse> SearchQueryApi::Posts(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims claims, gate_->Begin(req));
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req));
  ASSIGN_OR_RETURN(std::string q, FoldedQuery(req.Query("q"), ' ', "q"));
  const std::string sort(req.Query("sort").value_or("relevance"));
  if (sort != "relevance" && sort != "recent")
    return BadRequest("invalid_sort", "sort is relevance or recent", "sort");
  const uint64_t viewer = claims.user_id.value();
  std::vector<std::string> terms = SearchTerms(q);
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());
  if (terms.size() > kMaxQueryTerms)
    return Invalid("too_many_terms", "a query has at most 32 distinct words", "q");
  Json items = Json::array();
  if (terms.empty()) return ListResponse(std::move(items), std::nullopt);  // only punctuation

  if (sort == "recent") {
    // Newest first; the cursor is the last post examined.
    std::optional<uint64_t> next;
    size_t examined = 0;
    absl::Status inner;
    ASSIGN_OR_RETURN(SearchReader::MatchScan scan,
                     search_->MatchPosts(terms, page.after.value_or(~uint64_t{0}),
                                         options_.recent_postings, [&](uint64_t post, double) {
                                           if (items.size() == page.limit) {
                                             next = post + 1;  // resume at this one
                                             return false;
                                           }
                                           ++examined;
                                           auto p = posts_.VisiblePost(viewer, post);
                                           if (p.ok() && *p) {
                                             auto j = posts_.PostJson(**p, viewer);
                                             if (!j.ok()) {
                                               inner = j.status();
                                               return false;
                                             }
                                             items.push_back(std::move(*j));
                                           } else if (!p.ok()) {
                                             inner = p.status();
                                             return false;
                                           }
                                           if (examined == kMaxExaminedPerPage) {
                                             next = post;
                                             return false;
                                           }
                                           return true;
                                         }));
    RETURN_IF_ERROR(inner);
    if (!next && scan.cut_at) next = scan.cut_at;  // more postings to read
    return ListResponse(std::move(items), next);
  }

  // Relevance: score the newest matches (see SearchQueryOptions), best
  // first, the newer post first on equal scores; the cursor is an offset
  // into that order.
  std::vector<std::pair<double, uint64_t>> hits;
  RETURN_IF_ERROR(search_->MatchPosts(terms, ~uint64_t{0}, options_.relevance_postings,
                                      [&](uint64_t post, double score) {
                                        hits.emplace_back(score, post);
                                        return hits.size() < options_.relevance_matches;
                                      })
                      .status());
  std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second > b.second;
  });
  size_t i = std::min<size_t>(page.after.value_or(0), hits.size());
  for (; i < hits.size() && items.size() < page.limit; ++i) {
    ASSIGN_OR_RETURN(auto p, posts_.VisiblePost(viewer, hits[i].second));
    if (!p) continue;
    ASSIGN_OR_RETURN(Json j, posts_.PostJson(*p, viewer));
    j["score"] = hits[i].first;
    items.push_back(std::move(j));
  }
  std::optional<uint64_t> next;
  if (i < hits.size()) next = i;
  return ListResponse(std::move(items), next);
}

// --- hashtags --------------------------------------------------------------

absl::StatusOr<HttpResponse> SearchQueryApi::Hashtags(HttpRequest& req) {
  RETURN_IF_ERROR(gate_->Begin(req).status());  // the same answer for every viewer
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req));
  ASSIGN_OR_RETURN(std::string q, FoldedQuery(req.Query("q"), '#', "q"));
  ASSIGN_OR_RETURN(std::vector<TagCount> tags, search_->TagsByPrefix(q, 200));
  auto [slice, next] = Slice(std::move(tags), page);
  Json items = Json::array();
  for (const TagCount& t : slice) items.push_back(TagJson(t));
  return ListResponse(std::move(items), next);
}

absl::StatusOr<HttpResponse> SearchQueryApi::TagPosts(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims claims, gate_->Begin(req));
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req));
  ASSIGN_OR_RETURN(std::string tag, FoldedQuery(req.path_params[0], '#', "tag"));
  const uint64_t viewer = claims.user_id.value();
  Json items = Json::array();
  std::optional<uint64_t> next;
  uint64_t before = page.after.value_or(~uint64_t{0});
  size_t examined = 0;
  bool exhausted = false;
  while (items.size() < page.limit && examined < kMaxExaminedPerPage) {
    const size_t batch = page.limit * 2;
    ASSIGN_OR_RETURN(std::vector<uint64_t> ids, search_->TagPosts(tag, before, batch));
    size_t used = 0;
    for (uint64_t post : ids) {
      if (items.size() == page.limit || examined == kMaxExaminedPerPage) break;
      ++examined;
      ++used;
      before = post;
      ASSIGN_OR_RETURN(auto p, posts_.VisiblePost(viewer, post));
      if (!p) continue;
      ASSIGN_OR_RETURN(Json j, posts_.PostJson(*p, viewer));
      items.push_back(std::move(j));
    }
    if (ids.size() < batch && used == ids.size()) {
      exhausted = true;  // a short batch, wholly examined: nothing older
      break;
    }
  }
  if (!exhausted) {
    ASSIGN_OR_RETURN(std::vector<uint64_t> more, search_->TagPosts(tag, before, 1));
    if (!more.empty()) next = before;
  }
  ASSIGN_OR_RETURN(int64_t count, search_->TagPostCount(tag));
  Json body = ListJson(std::move(items), next ? EncodeCursor(*next) : "");
  body["tag"] = Json{{"name", tag}, {"post_count", count}};
  return HttpResponse::JsonBody(200, body);
}

absl::StatusOr<HttpResponse> SearchQueryApi::Trending(HttpRequest& req) {
  RETURN_IF_ERROR(gate_->Begin(req).status());  // the same answer for every viewer
  ASSIGN_OR_RETURN(int hours, IntParam(req, "hours", 1, 168, 24));
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req));
  // The top 100, a page at a time.
  ASSIGN_OR_RETURN(std::vector<TagCount> tags, search_->Trending(options_.now_ms(), hours, 100));
  auto [slice, next] = Slice(std::move(tags), page);
  Json items = Json::array();
  for (const TagCount& t : slice) {
    ASSIGN_OR_RETURN(int64_t total, search_->TagPostCount(t.tag));
    items.push_back(Json{{"name", t.tag}, {"uses", t.count}, {"post_count", total}});
  }
  Json body = ListJson(std::move(items), next ? EncodeCursor(*next) : "");
  body["hours"] = hours;
  return HttpResponse::JsonBody(200, body);
}

// --- suggestions -----------------------------------------------------------

absl::StatusOr<HttpResponse> SearchQueryApi::Suggestions(HttpRequest& req) {
  ASSIGN_OR_RETURN(TokenClaims claims, gate_->Begin(req));
  ASSIGN_OR_RETURN(PageRequest page, ParsePageRequest(req));
  const uint64_t viewer = claims.user_id.value();
  using social_model::kFollowing;
  // Everyone the viewer follows (to exclude them), and the first
  // `suggestion_fanout` of them to walk.
  std::unordered_set<uint64_t> followed;
  std::vector<uint64_t> walk;
  for (uint64_t after = 0;;) {
    ASSIGN_OR_RETURN(IdPage ids, social_->ListAscending(kFollowing, viewer, after, 1000));
    for (uint64_t id : ids.ids) {
      followed.insert(id);
      if (walk.size() < options_.suggestion_fanout) walk.push_back(id);
    }
    if (!ids.next || followed.size() >= 20'000) break;
    after = *ids.next;
  }
  struct Candidate {
    uint64_t id = 0;
    int64_t mutuals = 0;
    int64_t followers = 0;
    std::vector<uint64_t> via;  // up to 3 followees who follow it
  };
  std::map<uint64_t, Candidate> by_id;
  for (uint64_t f : walk) {
    ASSIGN_OR_RETURN(IdPage theirs,
                     social_->ListAscending(kFollowing, f, 0, options_.suggestion_fanout));
    for (uint64_t g : theirs.ids) {
      if (g == viewer || followed.contains(g)) continue;
      Candidate& c = by_id[g];
      c.id = g;
      ++c.mutuals;
      if (c.via.size() < 3) c.via.push_back(f);
    }
  }
  // The most mutual first; only the best few hundred are checked and
  // ranked further, which bounds the reads of a large neighbourhood.
  std::vector<Candidate> pool;
  pool.reserve(by_id.size());
  for (auto& [id, c] : by_id) pool.push_back(std::move(c));
  const size_t kPool = 500;
  if (pool.size() > kPool) {
    std::partial_sort(pool.begin(), pool.begin() + kPool, pool.end(),
                      [](const Candidate& a, const Candidate& b) {
                        return a.mutuals != b.mutuals ? a.mutuals > b.mutuals : a.id < b.id;
                      });
    pool.resize(kPool);
  }
  std::vector<Candidate> ranked;
  for (Candidate& c : pool) {
    const uint64_t id = c.id;
    if (social_->BlockedEitherWay(viewer, id)) continue;
    ASSIGN_OR_RETURN(bool requested,
                     social_->Exists(social_model::kRequests, social_model::Pair(id, viewer)));
    if (requested) continue;
    ASSIGN_OR_RETURN(c.followers, social_->GetCounter(social_model::kUserCounters,
                                                      social_model::Counter(id, "followers")));
    ranked.push_back(std::move(c));
  }
  std::sort(ranked.begin(), ranked.end(), [](const Candidate& a, const Candidate& b) {
    if (a.mutuals != b.mutuals) return a.mutuals > b.mutuals;
    if (a.followers != b.followers) return a.followers > b.followers;
    return a.id < b.id;
  });
  auto [slice, next] = Slice(std::move(ranked), page);
  Json items = Json::array();
  for (const Candidate& c : slice) {
    ASSIGN_OR_RETURN(Json account, SummaryJson(*accounts_, c.id));
    Json via = Json::array();
    for (uint64_t v : c.via) {
      ASSIGN_OR_RETURN(Json s, SummaryJson(*accounts_, v));
      via.push_back(std::move(s));
    }
    items.push_back(Json{{"account", std::move(account)},
                         {"mutual_count", c.mutuals},
                         {"followers_count", c.followers},
                         {"followed_by", std::move(via)}});
  }
  return ListResponse(std::move(items), next);
}

}  // namespace lens
