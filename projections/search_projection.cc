#include "projections/search_projection.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/big_endian.h"
#include "base/json.h"
#include "base/search_text.h"
#include "base/status_macros.h"
#include "events/account_events.h"
#include "events/social_events.h"
#include "projector/apply_context.h"
#include "readmodels/search_model.h"
#include "store/posting_block.h"

namespace lens {

using namespace search_model;

namespace {

absl::Status Corrupt(const Event& e) {
  return absl::DataLossError("malformed " + e.type + " data in event " + e.id.ToString());
}

// Every prefix of every text, each once.
std::set<std::string> Prefixes(const std::vector<std::string>& texts) {
  std::set<std::string> out;
  for (const std::string& t : texts)
    for (size_t cut : PrefixCuts(t, kMaxPrefixChars)) out.insert(t.substr(0, cut));
  return out;
}

// Folded, distinct, non-empty tags.
std::vector<std::string> FoldTags(const std::vector<std::string>& hashtags) {
  std::vector<std::string> out;
  for (const std::string& h : hashtags) {
    std::string t = FoldForSearch(h);
    if (!t.empty() && t.size() <= kMaxSearchTermBytes) out.push_back(std::move(t));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

uint32_t HourOf(int64_t ms) { return static_cast<uint32_t>(std::max<int64_t>(0, ms) / 3'600'000); }

}  // namespace

std::vector<std::string> SearchProjection::column_families() const {
  return search_model::ColumnFamilies();
}

std::vector<std::string> SearchProjection::hot_counter_families() const {
  return {kStats, kTagCounts, kTrending};
}

// The types Apply below acts on.
bool SearchProjection::Handles(std::string_view type) const {
  static constexpr std::string_view kTypes[] = {
      kAccountRegistered, kProfileUpdated, kUserFollowed, kFollowRequestApproved, kUserUnfollowed,
      kPostCreated, kPostEdited, kPostDeleted};
  return std::find(std::begin(kTypes), std::end(kTypes), type) != std::end(kTypes);
}

absl::Status SearchProjection::Apply(const Event& e, const LogPosition&, ApplyContext& ctx) {
  const std::string& t = e.type;
  if (t == kAccountRegistered) return OnAccountRegistered(e, ctx);
  if (t == kProfileUpdated) return OnProfileUpdated(e, ctx);
  if (t == kUserFollowed || t == kFollowRequestApproved || t == kUserUnfollowed)
    return OnFollowEdge(e, ctx);
  if (t == kPostCreated || t == kPostEdited) return OnPost(e, ctx);
  if (t == kPostDeleted) return OnPostDeleted(e, ctx);
  return absl::OkStatus();
}

// --- accounts --------------------------------------------------------------

void SearchProjection::WriteNames(const SearchAccount& a, uint8_t rank, bool put,
                                  ApplyContext& ctx) {
  const std::string id = BigEndian64(a.id);
  for (const std::string& p : Prefixes(NameTexts(a.username, a.display_name))) {
    if (put) {
      ctx.Put(kNames, PrefixKey(p, rank, id), "");
    } else {
      ctx.Delete(kNames, PrefixKey(p, rank, id));
    }
  }
}

absl::Status SearchProjection::OnAccountRegistered(const Event& e, ApplyContext& ctx) {
  auto d = AccountRegistered::FromJson(e.data);
  if (!d) return Corrupt(e);
  const uint64_t user = d->user_id.value();
  ASSIGN_OR_RETURN(auto existing, ctx.Get(kAccounts, BigEndian64(user)));
  if (existing) return absl::OkStatus();
  SearchAccount a;
  a.id = user;
  a.username = d->username;
  a.display_name = d->display_name;
  ctx.Put(kAccounts, BigEndian64(user), a.Encode());
  // Follows may have been applied first (another partition): index at the
  // rank of the count so far.
  WriteNames(a, Rank(ctx.GetCounter(kStats, FollowersKey(user))), true, ctx);
  return absl::OkStatus();
}

absl::Status SearchProjection::OnProfileUpdated(const Event& e, ApplyContext& ctx) {
  auto d = ProfileUpdated::FromJson(e.data);
  if (!d) return Corrupt(e);
  const uint64_t user = d->user_id.value();
  ASSIGN_OR_RETURN(auto v, ctx.Get(kAccounts, BigEndian64(user)));
  if (!v) return absl::OkStatus();
  auto a = SearchAccount::Decode(user, *v);
  if (!a) return absl::DataLossError("corrupt search account " + std::to_string(user));
  SearchAccount updated = *a;
  if (d->display_name) updated.display_name = *d->display_name;
  if (d->is_private) updated.is_private = *d->is_private;
  if (updated.display_name != a->display_name) {
    const uint8_t rank = Rank(ctx.GetCounter(kStats, FollowersKey(user)));
    WriteNames(*a, rank, false, ctx);
    WriteNames(updated, rank, true, ctx);
  }
  ctx.Put(kAccounts, BigEndian64(user), updated.Encode());
  return absl::OkStatus();
}

absl::Status SearchProjection::OnFollowEdge(const Event& e, ApplyContext& ctx) {
  auto d = FollowEdge::FromJson(e.data);
  if (!d) return Corrupt(e);
  const uint64_t follower = d->follower_id.value(), followee = d->followee_id.value();
  std::string edge = BigEndian64(follower);
  AppendBigEndian64(&edge, followee);
  ASSIGN_OR_RETURN(auto existing, ctx.Get(kEdges, edge));
  const bool follow = e.type != kUserUnfollowed;
  if (follow == existing.has_value()) return absl::OkStatus();
  if (follow) {
    ctx.Put(kEdges, edge, "");
  } else {
    ctx.Delete(kEdges, edge);
  }
  return AdjustFollowers(followee, follow ? 1 : -1, ctx);
}

absl::Status SearchProjection::AdjustFollowers(uint64_t user, int64_t delta, ApplyContext& ctx) {
  const std::string key = FollowersKey(user);
  const int64_t before = ctx.GetCounter(kStats, key);
  ctx.AddToCounter(kStats, key, delta);
  const uint8_t old_rank = Rank(before), new_rank = Rank(before + delta);
  if (old_rank == new_rank) return absl::OkStatus();
  ASSIGN_OR_RETURN(auto v, ctx.Get(kAccounts, BigEndian64(user)));
  if (!v) return absl::OkStatus();  // indexed at the right rank once registered
  auto a = SearchAccount::Decode(user, *v);
  if (!a) return absl::DataLossError("corrupt search account " + std::to_string(user));
  WriteNames(*a, old_rank, false, ctx);
  WriteNames(*a, new_rank, true, ctx);
  return absl::OkStatus();
}

// --- posts -----------------------------------------------------------------

absl::Status SearchProjection::OnPost(const Event& e, ApplyContext& ctx) {
  auto d = PostContent::FromJson(e.data);
  if (!d) return Corrupt(e);
  const uint64_t post = d->post_id.value();
  ASSIGN_OR_RETURN(auto existing, ctx.Get(kDocs, BigEndian64(post)));
  IndexedPost p;
  p.author = d->author_id.value();
  p.caption = d->caption;
  p.hashtags = d->hashtags;
  p.created_at_ms = e.ts_ms;
  if (e.type == kPostCreated) {
    if (existing) return absl::OkStatus();  // indexed already
  } else {
    if (!existing) return absl::OkStatus();  // deleted since
    auto j = ParseJsonObject(*existing);
    if (!j.ok()) return absl::DataLossError("corrupt search doc " + std::to_string(post));
    p.created_at_ms = j->value("c", int64_t{0});  // trending counts by creation
    RETURN_IF_ERROR(UnindexPost(post, ctx));
  }
  return IndexPost(post, p, ctx);
}

absl::Status SearchProjection::OnPostDeleted(const Event& e, ApplyContext& ctx) {
  auto d = PostRef::FromJson(e.data);
  if (!d) return Corrupt(e);
  return UnindexPost(d->post_id.value(), ctx);
}

absl::Status SearchProjection::IndexPost(uint64_t post, const IndexedPost& p, ApplyContext& ctx) {
  std::vector<std::string> terms = SearchTerms(FoldForSearch(p.caption));
  std::map<std::string, int> tf;
  for (std::string& t : terms) ++tf[std::move(t)];
  const int length = static_cast<int>(std::min<size_t>(terms.size(), 65535));
  // Postings, tag lists, corpus statistics and trending counts are written
  // unindexed: apply never reads them back, and every write to them
  // (removals included) is unindexed, so their order within a batch holds.
  // A posting holds all BM25 needs of a hit: tf and the caption's length.
  Json weights = Json::object();
  for (const auto& [term, n] : tf) {
    ctx.MergeUnindexed(kPostings, PostingBlockKey(term, post),
                       PostingAdd(post, PostingPayload(n, length)));
    ctx.AddToCounterUnindexed(kStats, DfKey(term), 1);
    weights[term] = n;
  }
  ctx.AddToCounterUnindexed(kStats, "docs", 1);
  ctx.AddToCounterUnindexed(kStats, "len", length);
  std::vector<std::string> tags = FoldTags(p.hashtags);
  const uint32_t hour = HourOf(p.created_at_ms);
  for (const std::string& tag : tags) {
    ctx.PutUnindexed(kTags, TagPostKey(tag, post), "");
    ctx.AddToCounterUnindexed(kTrending, TrendingKey(hour, tag), 1);
    ctx.AddToCounterUnindexed(kTrending, HourVersionKey(hour), 1);
    RETURN_IF_ERROR(AdjustTag(tag, 1, ctx));
  }
  Json doc{{"a", p.author}, {"c", p.created_at_ms}, {"n", length}, {"w", std::move(weights)},
           {"h", tags}};
  ctx.Put(kDocs, BigEndian64(post), DumpJson(doc));
  return absl::OkStatus();
}

absl::Status SearchProjection::UnindexPost(uint64_t post, ApplyContext& ctx) {
  ASSIGN_OR_RETURN(auto v, ctx.Get(kDocs, BigEndian64(post)));
  if (!v) return absl::OkStatus();
  auto j = ParseJsonObject(*v);
  if (!j.ok() || !(*j)["w"].is_object() || !(*j)["h"].is_array())
    return absl::DataLossError("corrupt search doc " + std::to_string(post));
  for (const auto& [term, n] : (*j)["w"].items()) {
    ctx.MergeUnindexed(kPostings, PostingBlockKey(term, post), PostingRemoval(post));
    ctx.AddToCounterUnindexed(kStats, DfKey(term), -1);
  }
  ctx.AddToCounterUnindexed(kStats, "docs", -1);
  ctx.AddToCounterUnindexed(kStats, "len", -j->value("n", int64_t{0}));
  const uint32_t hour = HourOf(j->value("c", int64_t{0}));
  for (const Json& tag : (*j)["h"]) {
    if (!tag.is_string()) continue;
    const std::string t = tag.get<std::string>();
    ctx.DeleteUnindexed(kTags, TagPostKey(t, post));
    ctx.AddToCounterUnindexed(kTrending, TrendingKey(hour, t), -1);
    ctx.AddToCounterUnindexed(kTrending, HourVersionKey(hour), 1);  // counts up, always
    RETURN_IF_ERROR(AdjustTag(t, -1, ctx));
  }
  ctx.Delete(kDocs, BigEndian64(post));
  return absl::OkStatus();
}

absl::Status SearchProjection::AdjustTag(const std::string& tag, int64_t delta,
                                         ApplyContext& ctx) {
  const int64_t before = ctx.GetCounter(kTagCounts, tag);
  const int64_t after = before + delta;
  ctx.AddToCounter(kTagCounts, tag, delta);
  if (Rank(before) == Rank(after)) return absl::OkStatus();
  for (const std::string& p : Prefixes({tag})) {
    if (before > 0) ctx.Delete(kTagNames, PrefixKey(p, Rank(before), tag));
    if (after > 0) ctx.Put(kTagNames, PrefixKey(p, Rank(after), tag), "");
  }
  return absl::OkStatus();
}

}  // namespace lens
