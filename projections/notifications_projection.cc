#include "projections/notifications_projection.h"

#include <algorithm>

#include "base/big_endian.h"
#include "base/status_macros.h"
#include "base/time.h"
#include "events/message_events.h"
#include "events/social_events.h"
#include "readmodels/notifications_model.h"
#include "readmodels/stream_log.h"

namespace lens {

using namespace notifications_model;

namespace {

absl::Status Corrupt(const Event& e) {
  return absl::DataLossError("malformed " + e.type + " data in event " + e.id.ToString());
}

std::string Pair(uint64_t a, uint64_t b) {
  std::string k = BigEndian64(a);
  AppendBigEndian64(&k, b);
  return k;
}

absl::StatusOr<bool> Has(ApplyContext& ctx, const char* cf, const std::string& key) {
  ASSIGN_OR_RETURN(auto v, ctx.Get(cf, key));
  return v.has_value();
}

// Keys under `prefix` in `cf` (this batch's writes included), up to `max`.
std::vector<std::string> KeysWithPrefix(ApplyContext& ctx, const char* cf,
                                        const std::string& prefix, size_t max) {
  std::string upper = prefix + std::string(24, '\xff');
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  auto it = ctx.NewIterator(cf, ro);
  std::vector<std::string> out;
  for (it->Seek(prefix); it->Valid() && out.size() < max; it->Next()) {
    std::string_view k = it->key().ToStringView();
    if (k.substr(0, prefix.size()) != prefix) break;
    out.emplace_back(k);
  }
  return out;
}

constexpr size_t kUnbounded = ~size_t{0};

}  // namespace

std::vector<std::string> NotificationsProjection::column_families() const {
  return notifications_model::ColumnFamilies();
}

std::vector<std::string> NotificationsProjection::hot_counter_families() const {
  return {notifications_model::kCounters};
}

std::map<std::string, int64_t> NotificationsProjection::expiring_families_ms() const {
  return {{stream_log::kStream, stream_log::kRetentionMs}};
}

// The types Apply below acts on.
bool NotificationsProjection::Handles(std::string_view type) const {
  static constexpr std::string_view kTypes[] = {
      kPostLiked, kPostUnliked, kCommentAdded, kCommentDeleted, kPostCreated, kPostEdited,
      kPostDeleted, kUserFollowed, kUserUnfollowed, kFollowRequested, kFollowRequestApproved,
      kFollowRequestRejected, kFollowRequestWithdrawn, kUserBlocked, kUserUnblocked, kMessageSent,
      kConversationRead, kConversationMemberRemoved, kNotificationsRead};
  return std::find(std::begin(kTypes), std::end(kTypes), type) != std::end(kTypes);
}

absl::Status NotificationsProjection::Apply(const Event& e, const LogPosition& pos,
                                            ApplyContext& ctx) {
  stream_.Begin(pos, e.ts_ms);
  return ApplyEvent(e, ctx);
}

absl::Status NotificationsProjection::ApplyEvent(const Event& e, ApplyContext& ctx) {
  const std::string& t = e.type;
  if (t == kPostLiked || t == kPostUnliked) {
    auto d = Like::FromJson(e.data);
    if (!d) return Corrupt(e);
    const uint64_t post = d->post_id.value(), actor = d->user_id.value();
    std::string source = Source('l', post, actor);
    if (t == kPostUnliked) return Withdraw(d->author_id.value(), source, ctx);
    return Add(e,
               Notice{.user = d->author_id.value(), .actor = actor, .source = source,
                      .group = kLikeGroup, .target = post, .subjects = {post}, .post = post},
               ctx);
  }
  if (t == kCommentAdded || t == kCommentDeleted) {
    auto d = CommentData::FromJson(e.data);
    if (!d) return Corrupt(e);
    const uint64_t post = d->post_id.value(), comment = d->comment_id.value();
    if (t == kCommentDeleted) return WithdrawSubject(comment, ctx);
    const uint64_t author = d->post_author_id.value();
    RETURN_IF_ERROR(Add(e,
                        Notice{.user = author, .actor = d->user_id.value(),
                               .source = Source('c', comment), .group = kCommentGroup,
                               .target = post, .subjects = {post, comment}, .post = post,
                               .comment = comment},
                        ctx));
    for (UserId m : d->mention_ids) {
      if (m.value() == author) continue;  // the comment notification says it already
      RETURN_IF_ERROR(Add(e,
                          Notice{.user = m.value(), .actor = d->user_id.value(),
                                 .source = Source('n', comment), .group = kMentionGroup,
                                 .target = comment, .subjects = {post, comment}, .post = post,
                                 .comment = comment},
                          ctx));
    }
    return absl::OkStatus();
  }
  if (t == kPostCreated || t == kPostEdited) {
    auto d = PostContent::FromJson(e.data);
    if (!d) return Corrupt(e);
    const uint64_t post = d->post_id.value();
    std::string source = Source('p', post);
    if (t == kPostEdited) {
      // Mentions the edit took out are withdrawn; new ones notify.
      for (const std::string& k : KeysWithPrefix(ctx, kBySubject, BigEndian64(post), kUnbounded)) {
        if (k.size() != 33 || k.substr(16) != source) continue;
        uint64_t user = ReadBigEndian64(std::string_view(k).substr(8));
        bool still = std::any_of(d->mention_ids.begin(), d->mention_ids.end(),
                                 [&](UserId m) { return m.value() == user; });
        if (!still) RETURN_IF_ERROR(Withdraw(user, source, ctx));
      }
    }
    for (UserId m : d->mention_ids)
      RETURN_IF_ERROR(Add(e,
                          Notice{.user = m.value(), .actor = d->author_id.value(),
                                 .source = source, .group = kMentionGroup, .target = post,
                                 .subjects = {post}, .post = post},
                          ctx));
    return absl::OkStatus();
  }
  if (t == kPostDeleted) {
    auto d = PostRef::FromJson(e.data);
    if (!d) return Corrupt(e);
    return WithdrawSubject(d->post_id.value(), ctx);
  }
  if (t == kUserFollowed || t == kUserUnfollowed || t == kFollowRequested ||
      t == kFollowRequestApproved || t == kFollowRequestRejected || t == kFollowRequestWithdrawn) {
    auto d = FollowEdge::FromJson(e.data);
    if (!d) return Corrupt(e);
    const uint64_t follower = d->follower_id.value(), followee = d->followee_id.value();
    if (t == kUserFollowed)
      return Add(e,
                 Notice{.user = followee, .actor = follower, .source = Source('f', follower),
                        .group = kFollowGroup,
                        .target = static_cast<uint64_t>(e.ts_ms / (24 * 3600 * 1000))},
                 ctx);
    if (t == kUserUnfollowed) return Withdraw(followee, Source('f', follower), ctx);
    if (t == kFollowRequested)
      return Add(e,
                 Notice{.user = followee, .actor = follower, .source = Source('r', follower),
                        .group = kFollowRequestGroup, .target = follower},
                 ctx);
    // Approved, rejected or withdrawn: the request is answered.
    RETURN_IF_ERROR(Withdraw(followee, Source('r', follower), ctx));
    if (t == kFollowRequestApproved)
      return Add(e,
                 Notice{.user = follower, .actor = followee, .source = Source('a', followee),
                        .group = kFollowAcceptedGroup, .target = followee},
                 ctx);
    return absl::OkStatus();
  }
  if (t == kUserBlocked || t == kUserUnblocked) {
    auto d = BlockEdge::FromJson(e.data);
    if (!d) return Corrupt(e);
    const uint64_t a = d->blocker_id.value(), b = d->blocked_id.value();
    if (t == kUserUnblocked) {
      ctx.Delete(kBlocks, Pair(a, b));
      return absl::OkStatus();
    }
    ctx.Put(kBlocks, Pair(a, b), "");
    RETURN_IF_ERROR(WithdrawFromActor(a, b, ctx));
    return WithdrawFromActor(b, a, ctx);
  }
  if (t == kMessageSent) {
    auto d = MessageSent::FromJson(e.data);
    if (!d) return Corrupt(e);
    const uint64_t conversation = d->conversation_id.value();
    for (UserId r : d->recipient_ids)
      RETURN_IF_ERROR(Add(e,
                          Notice{.user = r.value(), .actor = d->sender_id.value(),
                                 .source = Source('m', d->message_id.value(), conversation),
                                 .group = kMessageGroup, .target = conversation,
                                 .subjects = {conversation}, .conversation = conversation},
                          ctx));
    return absl::OkStatus();
  }
  if (t == kConversationRead) {
    auto d = ConversationRead::FromJson(e.data);
    if (!d) return Corrupt(e);
    return WithdrawMessages(d->user_id.value(), d->conversation_id.value(), d->up_to.value(), ctx);
  }
  if (t == kConversationMemberRemoved) {
    auto d = MemberRemoved::FromJson(e.data);
    if (!d) return Corrupt(e);
    return WithdrawMessages(d->user_id.value(), d->conversation_id.value(), ~uint64_t{0}, ctx);
  }
  if (t == kNotificationsRead) {
    auto d = NotificationsRead::FromJson(e.data);
    if (!d) return Corrupt(e);
    return MarkRead(e, d->user_id.value(), d->up_to, ctx);
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> NotificationsProjection::Marker(uint64_t user, ApplyContext& ctx) {
  ASSIGN_OR_RETURN(auto v, ctx.Get(kMeta, MarkerKey(user)));
  return v && v->size() == 8 ? ReadBigEndian64(*v) : 0;
}

absl::Status NotificationsProjection::Add(const Event& e, const Notice& n, ApplyContext& ctx) {
  if (n.user == 0 || n.user == n.actor) return absl::OkStatus();  // never for one's own action
  ASSIGN_OR_RETURN(bool blocked, Has(ctx, kBlocks, Pair(n.user, n.actor)));
  if (!blocked) {
    ASSIGN_OR_RETURN(blocked, Has(ctx, kBlocks, Pair(n.actor, n.user)));
  }
  if (blocked) return absl::OkStatus();
  const std::string user_key = BigEndian64(n.user);
  ASSIGN_OR_RETURN(bool exists, Has(ctx, kSources, user_key + n.source));
  if (exists) return absl::OkStatus();

  const uint64_t id = e.id.value();
  const std::string g = Group(n.group, n.target);
  std::string source_value = BigEndian64(id);
  AppendBigEndian64(&source_value, n.actor);
  source_value += g;
  for (uint64_t s : n.subjects) AppendBigEndian64(&source_value, s);
  ctx.Put(kSources, user_key + n.source, source_value);
  ctx.Put(kById, Pair(n.user, id), n.source);
  ctx.Put(kByActor, Pair(n.user, n.actor) + n.source, "");
  for (uint64_t s : n.subjects) ctx.Put(kBySubject, Pair(s, n.user) + n.source, "");
  std::string member_value = BigEndian64(n.actor);
  AppendBigEndian64(&member_value, static_cast<uint64_t>(e.ts_ms));
  member_value += n.source;
  ctx.Put(kGroupMembers, user_key + g + BigEndian64(~id), member_value);

  // The group: one more, and to the top when this is its newest.
  ASSIGN_OR_RETURN(auto gv, ctx.Get(kGroups, user_key + g));
  Json group = Json::object();
  if (gv) {
    auto parsed = ParseJsonObject(*gv);
    if (!parsed.ok()) return absl::DataLossError("corrupt notification group");
    group = std::move(*parsed);
  } else {
    if (n.post) group["post"] = n.post;
    if (n.comment) group["comment"] = n.comment;
    if (n.conversation) group["conversation"] = n.conversation;
  }
  const uint64_t latest = group.value("latest", uint64_t{0});
  group["count"] = group.value("count", int64_t{0}) + 1;
  if (id > latest) {
    if (latest) ctx.Delete(kGroupOrder, Pair(n.user, ~latest));
    ctx.Put(kGroupOrder, Pair(n.user, ~id), g);
    group["latest"] = id;
    group["latest_ts"] = e.ts_ms;
    // Comments and mentions show the newest one.
    if (n.comment) group["comment"] = n.comment;
  }
  ctx.Put(kGroups, user_key + g, DumpJson(group));

  ASSIGN_OR_RETURN(uint64_t marker, Marker(n.user, ctx));
  if (id > marker) ctx.AddToCounter(kCounters, UnreadKey(n.user), 1);

  Json item{{"id", std::to_string(id)},
            {"type", TypeName(n.group)},
            {"actor_id", std::to_string(n.actor)},
            {"created_at", FormatIsoMillis(e.ts_ms)}};
  if (n.post) item["post_id"] = std::to_string(n.post);
  if (n.comment) item["comment_id"] = std::to_string(n.comment);
  if (n.conversation) item["conversation_id"] = std::to_string(n.conversation);
  stream_.Append(ctx, n.user, "notification", item);
  return absl::OkStatus();
}

absl::Status NotificationsProjection::Withdraw(uint64_t user, const std::string& source,
                                               ApplyContext& ctx) {
  const std::string user_key = BigEndian64(user);
  ASSIGN_OR_RETURN(auto sv, ctx.Get(kSources, user_key + source));
  if (!sv) return absl::OkStatus();
  if (sv->size() < 25 || (sv->size() - 25) % 8 != 0)
    return absl::DataLossError("corrupt notification source");
  const std::string_view v = *sv;
  const uint64_t id = ReadBigEndian64(v);
  const uint64_t actor = ReadBigEndian64(v.substr(8));
  const std::string g(v.substr(16, 9));
  ctx.Delete(kSources, user_key + source);
  ctx.Delete(kById, Pair(user, id));
  ctx.Delete(kByActor, Pair(user, actor) + source);
  for (size_t off = 25; off + 8 <= v.size(); off += 8)
    ctx.Delete(kBySubject, Pair(ReadBigEndian64(v.substr(off)), user) + source);
  ctx.Delete(kGroupMembers, user_key + g + BigEndian64(~id));

  ASSIGN_OR_RETURN(auto gv, ctx.Get(kGroups, user_key + g));
  if (gv) {
    auto group = ParseJsonObject(*gv);
    if (!group.ok()) return absl::DataLossError("corrupt notification group");
    const int64_t count = group->value("count", int64_t{1}) - 1;
    const uint64_t latest = group->value("latest", uint64_t{0});
    if (count <= 0) {
      ctx.Delete(kGroups, user_key + g);
      ctx.Delete(kGroupOrder, Pair(user, ~latest));
    } else {
      (*group)["count"] = count;
      if (id == latest) {
        // The group's newest is gone: the next newest member leads it now.
        std::vector<std::string> next = KeysWithPrefix(ctx, kGroupMembers, user_key + g, 1);
        if (!next.empty() && next[0].size() == 25) {
          uint64_t newest = ~ReadBigEndian64(std::string_view(next[0]).substr(17));
          ASSIGN_OR_RETURN(auto mv, ctx.Get(kGroupMembers, next[0]));
          ctx.Delete(kGroupOrder, Pair(user, ~latest));
          ctx.Put(kGroupOrder, Pair(user, ~newest), g);
          (*group)["latest"] = newest;
          if (mv && mv->size() >= 16)
            (*group)["latest_ts"] = static_cast<int64_t>(ReadBigEndian64(std::string_view(*mv).substr(8)));
        }
      }
      ctx.Put(kGroups, user_key + g, DumpJson(*group));
    }
  }
  ASSIGN_OR_RETURN(uint64_t marker, Marker(user, ctx));
  if (id > marker) ctx.AddToCounter(kCounters, UnreadKey(user), -1);
  stream_.Append(ctx, user, "notification.removed",
                 Json{{"id", std::to_string(id)}, {"type", TypeName(g[0])}});
  return absl::OkStatus();
}

absl::Status NotificationsProjection::WithdrawSubject(uint64_t subject, ApplyContext& ctx) {
  for (const std::string& k : KeysWithPrefix(ctx, kBySubject, BigEndian64(subject), kUnbounded)) {
    if (k.size() != 33) continue;
    RETURN_IF_ERROR(Withdraw(ReadBigEndian64(std::string_view(k).substr(8)), k.substr(16), ctx));
  }
  return absl::OkStatus();
}

absl::Status NotificationsProjection::WithdrawFromActor(uint64_t user, uint64_t actor,
                                                        ApplyContext& ctx) {
  for (const std::string& k : KeysWithPrefix(ctx, kByActor, Pair(user, actor), kUnbounded))
    if (k.size() == 33) RETURN_IF_ERROR(Withdraw(user, k.substr(16), ctx));
  return absl::OkStatus();
}

absl::Status NotificationsProjection::WithdrawMessages(uint64_t user, uint64_t conversation,
                                                       uint64_t up_to, ApplyContext& ctx) {
  const std::string prefix = BigEndian64(user) + Group(kMessageGroup, conversation);
  std::vector<std::string> sources;
  {
    std::string upper = prefix + std::string(8, '\xff');
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    auto it = ctx.NewIterator(kGroupMembers, ro);
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      std::string_view v = it->value().ToStringView();
      if (v.size() != 33) continue;
      std::string_view source = v.substr(16);
      if (ReadBigEndian64(source.substr(1)) <= up_to) sources.emplace_back(source);
    }
  }
  for (const std::string& s : sources) RETURN_IF_ERROR(Withdraw(user, s, ctx));
  return absl::OkStatus();
}

absl::Status NotificationsProjection::MarkRead(const Event& e, uint64_t user, uint64_t up_to,
                                               ApplyContext& ctx) {
  ASSIGN_OR_RETURN(uint64_t marker, Marker(user, ctx));
  if (up_to <= marker) return absl::OkStatus();
  // The notifications between the old and the new marker are read now.
  int64_t newly_read = 0;
  {
    std::string start = Pair(user, marker + 1);
    std::string upper = up_to == ~uint64_t{0} ? BigEndian64(user + 1) : Pair(user, up_to + 1);
    rocksdb::Slice upper_slice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upper_slice;
    auto it = ctx.NewIterator(kById, ro);
    for (it->Seek(start); it->Valid(); it->Next()) ++newly_read;
  }
  ctx.Put(kMeta, MarkerKey(user), BigEndian64(up_to));
  if (newly_read) ctx.AddToCounter(kCounters, UnreadKey(user), -newly_read);
  const int64_t unread = ctx.GetCounter(kCounters, UnreadKey(user));
  stream_.Append(ctx, user, "notifications.read",
                 Json{{"up_to", std::to_string(up_to)}, {"unread_count", std::max<int64_t>(0, unread)}});
  (void)e;
  return absl::OkStatus();
}

}  // namespace lens
