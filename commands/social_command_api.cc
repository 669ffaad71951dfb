#include "commands/social_command_api.h"

#include "base/status_macros.h"
#include "base/time.h"
#include "commands/caption.h"
#include "commands/command_answer.h"
#include "http/request_fields.h"
#include "views/views.h"

namespace lens {
namespace {

constexpr StringRule kCaptionRule{.max_chars = 2200, .allow_newlines = true};
constexpr StringRule kCommentRule{.max_chars = 2200, .min_chars = 1, .allow_newlines = true};
constexpr size_t kMaxMedia = 10;

using Handler = absl::StatusOr<HttpResponse> (SocialCommandApi::*)(HttpRequest&);

absl::StatusOr<PostId> PostParam(const HttpRequest& req) {
  auto id = PostId::Parse(req.path_params[0]);
  if (!id) return ApiError(absl::StatusCode::kNotFound, "post_not_found", "no such post");
  return *id;
}

absl::StatusOr<UserId> AccountParam(const HttpRequest& req) {
  auto id = UserId::Parse(req.path_params[0]);
  if (!id) return ApiError(absl::StatusCode::kNotFound, "account_not_found", "no such account");
  return *id;
}

// Parses caption-bearing fields into a PostContent (ids filled by caller).
absl::StatusOr<PostContent> ParseContent(const Json& body, bool allow_media) {
  PostContent c;
  ASSIGN_OR_RETURN(auto caption, OptionalString(body, "caption", kCaptionRule));
  c.caption = caption.value_or("");
  c.hashtags = ParseHashtags(c.caption);
  c.mentions = ParseMentions(c.caption);
  if (c.hashtags.size() > kMaxHashtags)
    return ApiError(absl::StatusCode::kInvalidArgument, "too_many_hashtags",
                    "a caption may hold at most 30 hashtags", "caption");
  if (c.mentions.size() > kMaxMentions)
    return ApiError(absl::StatusCode::kInvalidArgument, "too_many_mentions",
                    "a caption may mention at most 20 accounts", "caption");
  if (allow_media && body.contains("media_ids") && !body["media_ids"].is_null()) {
    const Json& m = body["media_ids"];
    if (!m.is_array())
      return ApiError(absl::StatusCode::kInvalidArgument, "invalid_type",
                      "'media_ids' must be an array of ids", "media_ids");
    if (m.size() > kMaxMedia)
      return ApiError(absl::StatusCode::kInvalidArgument, "too_many_media",
                      "a post holds at most 10 media", "media_ids");
    for (const Json& id : m) {
      if (!id.is_string() || !PostId::Parse(id.get<std::string>()))
        return ApiError(absl::StatusCode::kInvalidArgument, "invalid_media_id",
                        "'media_ids' must hold decimal ids", "media_ids");
      c.media_ids.push_back(id.get<std::string>());
    }
  }
  return c;
}

}  // namespace

absl::StatusOr<std::vector<UserId>> SocialCommandApi::ResolveMentions(
    const std::vector<std::string>& usernames) {
  std::vector<UserId> ids;
  for (const std::string& name : usernames) {
    ASSIGN_OR_RETURN(auto id, state_->FindByUsername(name));
    if (id && std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
  }
  return ids;
}

void SocialCommandApi::RegisterRoutes(Router* router) {
  auto add = [&](const char* method, const char* pattern, Handler h) {
    router->Add(method, pattern,
                [this, h](HttpRequest& r) { return FinishCommand((this->*h)(r)); });
  };
  add("POST", "/api/v1/posts", &SocialCommandApi::CreatePost);
  add("PATCH", "/api/v1/posts/{id}", &SocialCommandApi::EditPost);
  add("DELETE", "/api/v1/posts/{id}", &SocialCommandApi::DeletePost);
  router->Add("POST", "/api/v1/posts/{id}/like",
              [this](HttpRequest& r) { return FinishCommand(SetLike(r, true)); });
  router->Add("DELETE", "/api/v1/posts/{id}/like",
              [this](HttpRequest& r) { return FinishCommand(SetLike(r, false)); });
  add("POST", "/api/v1/posts/{id}/comments", &SocialCommandApi::AddComment);
  add("DELETE", "/api/v1/comments/{id}", &SocialCommandApi::DeleteComment);
  router->Add("POST", "/api/v1/accounts/{id}/follow",
              [this](HttpRequest& r) { return FinishCommand(SetFollow(r, true)); });
  router->Add("DELETE", "/api/v1/accounts/{id}/follow",
              [this](HttpRequest& r) { return FinishCommand(SetFollow(r, false)); });
  router->Add("POST", "/api/v1/follow-requests/{id}/approve",
              [this](HttpRequest& r) { return FinishCommand(AnswerRequest(r, true)); });
  router->Add("POST", "/api/v1/follow-requests/{id}/reject",
              [this](HttpRequest& r) { return FinishCommand(AnswerRequest(r, false)); });
  router->Add("POST", "/api/v1/accounts/{id}/block",
              [this](HttpRequest& r) { return FinishCommand(SetBlock(r, true)); });
  router->Add("DELETE", "/api/v1/accounts/{id}/block",
              [this](HttpRequest& r) { return FinishCommand(SetBlock(r, false)); });
}

absl::StatusOr<SocialCommandApi::Caller> SocialCommandApi::Begin(const HttpRequest& req) {
  Caller c;
  ASSIGN_OR_RETURN(c.claims, auth_->Authenticate(req.Header("authorization"), NowMillis()));
  ASSIGN_OR_RETURN(c.cmd_id,
                   CommandBus::CommandIdFor(c.claims.user_id.ToString(), req.method, req.path,
                                            req.Header("idempotency-key"), req.request_id));
  return c;
}

absl::StatusOr<Relationship> SocialCommandApi::RelationTo(UserId viewer, UserId author) {
  Relationship r;
  r.self = viewer == author;
  if (r.self) return r;
  ASSIGN_OR_RETURN(auto user, state_->GetUser(author));
  r.author_private = user && user->is_private;
  ASSIGN_OR_RETURN(r.follows, state_->Follows(viewer, author));
  ASSIGN_OR_RETURN(bool a, state_->Blocks(viewer, author));
  ASSIGN_OR_RETURN(bool b, state_->Blocks(author, viewer));
  r.blocked = a || b;
  return r;
}

absl::StatusOr<Relationship> SocialCommandApi::RelationToAuthorOf(
    UserId viewer, const std::optional<PostRecord>& post) {
  if (!post) return Relationship{};  // the decider answers "not found"
  return RelationTo(viewer, post->author_id);
}

absl::StatusOr<PairState> SocialCommandApi::Pair(UserId viewer, UserId target) {
  PairState s;
  ASSIGN_OR_RETURN(auto user, state_->GetUser(target));
  s.target_exists = user.has_value();
  if (!user) return s;
  s.target_private = user->is_private;
  ASSIGN_OR_RETURN(s.viewer_blocks_target, state_->Blocks(viewer, target));
  ASSIGN_OR_RETURN(s.target_blocks_viewer, state_->Blocks(target, viewer));
  ASSIGN_OR_RETURN(s.viewer_follows_target, state_->Follows(viewer, target));
  ASSIGN_OR_RETURN(s.target_follows_viewer, state_->Follows(target, viewer));
  ASSIGN_OR_RETURN(s.viewer_requested_target, state_->HasRequested(viewer, target));
  ASSIGN_OR_RETURN(s.target_requested_viewer, state_->HasRequested(target, viewer));
  return s;
}

absl::StatusOr<Json> SocialCommandApi::PostJsonFor(PostId id, UserId viewer) {
  ASSIGN_OR_RETURN(auto post, state_->GetPost(id));
  if (!post || post->deleted)
    return ApiError(absl::StatusCode::kNotFound, "post_not_found", "no such post");
  ASSIGN_OR_RETURN(bool liked, state_->HasLiked(id, viewer));
  return PostJson(*post, liked);
}

absl::StatusOr<Json> SocialCommandApi::PostJson(const PostRecord& post, bool liked) {
  ASSIGN_OR_RETURN(auto author, state_->GetUser(post.author_id));
  PostView v;
  v.id = post.id.ToString();
  v.author.id = post.author_id.ToString();
  if (author) {
    v.author.username = author->username;
    v.author.display_name = author->display_name;
    v.author.is_private = author->is_private;
  }
  v.caption = post.caption;
  v.hashtags = post.hashtags;
  v.mentions = post.mentions;
  v.media_ids = post.media_ids;
  v.created_at_ms = post.created_at_ms;
  v.edited_at_ms = post.edited_at_ms;
  v.like_count = post.like_count;
  v.comment_count = post.comment_count;
  v.liked = liked;
  return ToJson(v);
}

absl::StatusOr<HttpResponse> SocialCommandApi::CreatePost(HttpRequest& req) {
  ASSIGN_OR_RETURN(Caller c, Begin(req));
  ASSIGN_OR_RETURN(Json body, ParseRequestObject(req.body, {"caption", "media_ids"}));
  ASSIGN_OR_RETURN(PostContent content, ParseContent(body, /*allow_media=*/true));
  content.post_id = PostId(ids_->Next());
  content.author_id = c.claims.user_id;
  ASSIGN_OR_RETURN(content.mention_ids, ResolveMentions(content.mentions));
  CommandContext ctx{"create_post", c.cmd_id, c.claims.user_id.ToString()};
  ASSIGN_OR_RETURN(CommandResult result,
                   bus_->Execute(
                       ctx, {.exclusive = {PostKey(content.post_id)}, .actor_shared = true},
                       [&] { return DecideCreatePost(content); }, Ack::kWhenAppended));
  // The answer is the post as its PostCreated event made it (the decision
  // state may not hold it yet); a replay answers with the post the first
  // run created, which the decision state holds (its record is written
  // with it).
  PostId id = content.post_id;
  Json post;
  if (result.replayed) {
    if (!result.events.empty())
      if (auto p = PostContent::FromJson(result.events[0].data)) id = p->post_id;
    ASSIGN_OR_RETURN(post, PostJsonFor(id, c.claims.user_id));
  } else {
    ASSIGN_OR_RETURN(post, PostJson(NewPostRecord(content, result.events.at(0).ts_ms),
                                    /*liked=*/false));
  }
  HttpResponse res = CommandAnswer(201, post, result);
  res.headers.emplace_back("Location", "/api/v1/posts/" + id.ToString());
  return res;
}

absl::StatusOr<HttpResponse> SocialCommandApi::EditPost(HttpRequest& req) {
  ASSIGN_OR_RETURN(Caller c, Begin(req));
  ASSIGN_OR_RETURN(PostId id, PostParam(req));
  ASSIGN_OR_RETURN(Json body, ParseRequestObject(req.body, {"caption"}));
  if (!body.contains("caption"))
    return ApiError(absl::StatusCode::kInvalidArgument, "missing_field", "'caption' is required",
                    "caption");
  ASSIGN_OR_RETURN(PostContent content, ParseContent(body, /*allow_media=*/false));
  content.post_id = id;
  ASSIGN_OR_RETURN(content.mention_ids, ResolveMentions(content.mentions));
  CommandContext ctx{"edit_post", c.cmd_id, c.claims.user_id.ToString()};
  ASSIGN_OR_RETURN(
      CommandResult result,
      bus_->Execute(ctx, {.exclusive = {PostKey(id)}}, [&]() -> absl::StatusOr<std::vector<Event>> {
        ASSIGN_OR_RETURN(auto post, state_->GetPost(id));
        if (post && !post->deleted && content.caption.empty() && post->media_ids.empty())
          return ApiError(absl::StatusCode::kInvalidArgument, "empty_post",
                          "a post needs a caption or media", "caption");
        return DecideEditPost(c.claims.user_id, post, content);
      }));
  ASSIGN_OR_RETURN(Json post, PostJsonFor(id, c.claims.user_id));
  return CommandAnswer(200, post, result);
}

absl::StatusOr<HttpResponse> SocialCommandApi::DeletePost(HttpRequest& req) {
  ASSIGN_OR_RETURN(Caller c, Begin(req));
  ASSIGN_OR_RETURN(PostId id, PostParam(req));
  CommandContext ctx{"delete_post", c.cmd_id, c.claims.user_id.ToString()};
  ASSIGN_OR_RETURN(
      CommandResult result,
      bus_->Execute(ctx, {.exclusive = {PostKey(id)}}, [&]() -> absl::StatusOr<std::vector<Event>> {
        ASSIGN_OR_RETURN(auto post, state_->GetPost(id));
        return DecideDeletePost(c.claims.user_id, post);
      }));
  return CommandAnswer(204, Json(), result);
}

absl::StatusOr<HttpResponse> SocialCommandApi::SetLike(HttpRequest& req, bool like) {
  ASSIGN_OR_RETURN(Caller c, Begin(req));
  ASSIGN_OR_RETURN(PostId id, PostParam(req));
  UserId viewer = c.claims.user_id;
  CommandContext ctx{like ? "like" : "unlike", c.cmd_id, viewer.ToString()};
  // The post shared: the likes of one post by many users decide side by
  // side; the like itself is the only thing this one changes that a
  // decision reads.
  ASSIGN_OR_RETURN(CommandResult result,
                   bus_->Execute(
                       ctx,
                       {.exclusive = {"like:" + id.ToString() + ":" + viewer.ToString()},
                        .shared = {PostKey(id)},
                        .actor_shared = true},
                       [&]() -> absl::StatusOr<std::vector<Event>> {
                         ASSIGN_OR_RETURN(auto post, state_->GetPost(id));
                         ASSIGN_OR_RETURN(Relationship rel, RelationToAuthorOf(viewer, post));
                         ASSIGN_OR_RETURN(bool liked, state_->HasLiked(id, viewer));
                         return like ? DecideLike(viewer, post, rel, liked)
                                     : DecideUnlike(viewer, post, rel, liked);
                       },
                       Ack::kWhenAppended));
  return CommandAnswer(200, Json{{"liked", like}}, result);
}

absl::StatusOr<HttpResponse> SocialCommandApi::AddComment(HttpRequest& req) {
  ASSIGN_OR_RETURN(Caller c, Begin(req));
  ASSIGN_OR_RETURN(PostId id, PostParam(req));
  ASSIGN_OR_RETURN(Json body, ParseRequestObject(req.body, {"text"}));
  ASSIGN_OR_RETURN(std::string text, RequiredString(body, "text", kCommentRule));
  UserId viewer = c.claims.user_id;
  CommentData comment;
  comment.comment_id = CommentId(ids_->Next());
  comment.post_id = id;
  comment.user_id = viewer;
  comment.text = text;
  std::vector<std::string> mentioned = ParseMentions(text);
  if (mentioned.size() > kMaxMentions)
    return ApiError(absl::StatusCode::kInvalidArgument, "too_many_mentions",
                    "a comment may mention at most 20 accounts", "text");
  ASSIGN_OR_RETURN(comment.mention_ids, ResolveMentions(mentioned));
  CommandContext ctx{"add_comment", c.cmd_id, viewer.ToString()};
  // The post and the actor shared, as for likes: nothing decides on a
  // post's comment count, and deleting the comment locks the post
  // exclusively, so it waits for this. The answer is built from the event,
  // not read back.
  ASSIGN_OR_RETURN(CommandResult result, bus_->Execute(
                                             ctx, {.shared = {PostKey(id)}, .actor_shared = true},
                                             [&]() -> absl::StatusOr<std::vector<Event>> {
                                               ASSIGN_OR_RETURN(auto post, state_->GetPost(id));
                                               ASSIGN_OR_RETURN(Relationship rel,
                                                                RelationToAuthorOf(viewer, post));
                                               return DecideAddComment(comment, post, rel);
                                             },
                                             Ack::kWhenAppended));
  CommentData added = comment;
  if (!result.events.empty())
    if (auto d = CommentData::FromJson(result.events[0].data)) added = *d;
  ASSIGN_OR_RETURN(auto author, state_->GetUser(added.user_id));
  CommentView v;
  v.id = added.comment_id.ToString();
  v.post_id = added.post_id.ToString();
  v.author.id = added.user_id.ToString();
  if (author) {
    v.author.username = author->username;
    v.author.display_name = author->display_name;
    v.author.is_private = author->is_private;
  }
  v.text = added.text;
  v.created_at_ms = result.events.empty() ? NowMillis() : result.events[0].ts_ms;
  HttpResponse res = CommandAnswer(201, ToJson(v), result);
  return res;
}

absl::StatusOr<HttpResponse> SocialCommandApi::DeleteComment(HttpRequest& req) {
  ASSIGN_OR_RETURN(Caller c, Begin(req));
  auto id = CommentId::Parse(req.path_params[0]);
  if (!id) return ApiError(absl::StatusCode::kNotFound, "comment_not_found", "no such comment");
  CommandContext ctx{"delete_comment", c.cmd_id, c.claims.user_id.ToString()};
  // The comment may be one this user added a moment ago, acknowledged
  // before the decision state held it.
  RETURN_IF_ERROR(bus_->AwaitActorWrites(ctx));
  ASSIGN_OR_RETURN(auto found, state_->GetComment(*id));
  if (!found) return ApiError(absl::StatusCode::kNotFound, "comment_not_found", "no such comment");
  ASSIGN_OR_RETURN(CommandResult result,
                   bus_->Execute(ctx, {.exclusive = {PostKey(found->post_id)}},
                                 [&]() -> absl::StatusOr<std::vector<Event>> {
                                   ASSIGN_OR_RETURN(auto comment, state_->GetComment(*id));
                                   return DecideDeleteComment(c.claims.user_id, comment);
                                 }));
  return CommandAnswer(204, Json(), result);
}

absl::StatusOr<HttpResponse> SocialCommandApi::SetFollow(HttpRequest& req, bool follow) {
  ASSIGN_OR_RETURN(Caller c, Begin(req));
  ASSIGN_OR_RETURN(UserId target, AccountParam(req));
  UserId viewer = c.claims.user_id;
  CommandContext ctx{follow ? "follow" : "unfollow", c.cmd_id, viewer.ToString()};
  // The target shared: the follows of one account by many users decide side
  // by side; what it does itself (turning private, blocking, answering a
  // request) locks it exclusively. The answer comes from what was decided,
  // not read back.
  std::optional<PairState> before;
  ASSIGN_OR_RETURN(CommandResult result, bus_->Execute(
                                             ctx, {.shared = {UserKey(target)}},
                                             [&]() -> absl::StatusOr<std::vector<Event>> {
                                               ASSIGN_OR_RETURN(before, Pair(viewer, target));
                                               return follow
                                                          ? DecideFollow(viewer, target, *before)
                                                          : DecideUnfollow(viewer, target, *before);
                                             },
                                             Ack::kWhenAppended));
  if (!follow) return CommandAnswer(200, Json{{"following", false}, {"requested", false}}, result);
  bool following = false, requested = false;
  if (before && !result.replayed) {
    following = before->viewer_follows_target;
    requested = before->viewer_requested_target;
    for (const Event& e : result.events) {
      if (e.type == kUserFollowed) following = true, requested = false;
      if (e.type == kFollowRequested) requested = true;
    }
  } else {  // a replay: the decision state holds what the first run appended
    ASSIGN_OR_RETURN(following, state_->Follows(viewer, target));
    ASSIGN_OR_RETURN(requested, state_->HasRequested(viewer, target));
  }
  return CommandAnswer(200, Json{{"following", following}, {"requested", requested}}, result);
}

absl::StatusOr<HttpResponse> SocialCommandApi::AnswerRequest(HttpRequest& req, bool approve) {
  ASSIGN_OR_RETURN(Caller c, Begin(req));
  auto requester = UserId::Parse(req.path_params[0]);
  if (!requester)
    return ApiError(absl::StatusCode::kNotFound, "request_not_found", "no such follow request");
  UserId owner = c.claims.user_id;
  CommandContext ctx{approve ? "approve_request" : "reject_request", c.cmd_id, owner.ToString()};
  ASSIGN_OR_RETURN(CommandResult result,
                   bus_->Execute(ctx, {.exclusive = {UserKey(owner), UserKey(*requester)}},
                                 [&]() -> absl::StatusOr<std::vector<Event>> {
                                   ASSIGN_OR_RETURN(PairState s, Pair(owner, *requester));
                                   return approve ? DecideApproveRequest(owner, *requester, s)
                                                  : DecideRejectRequest(owner, *requester, s);
                                 }));
  return CommandAnswer(200, approve ? Json{{"approved", true}} : Json{{"rejected", true}}, result);
}

absl::StatusOr<HttpResponse> SocialCommandApi::SetBlock(HttpRequest& req, bool block) {
  ASSIGN_OR_RETURN(Caller c, Begin(req));
  ASSIGN_OR_RETURN(UserId target, AccountParam(req));
  UserId viewer = c.claims.user_id;
  CommandContext ctx{block ? "block" : "unblock", c.cmd_id, viewer.ToString()};
  ASSIGN_OR_RETURN(CommandResult result,
                   bus_->Execute(ctx, {.exclusive = {UserKey(viewer), UserKey(target)}},
                                 [&]() -> absl::StatusOr<std::vector<Event>> {
                                   ASSIGN_OR_RETURN(PairState s, Pair(viewer, target));
                                   return block ? DecideBlock(viewer, target, s)
                                                : DecideUnblock(viewer, target, s);
                                 }));
  return CommandAnswer(200, Json{{"blocking", block}}, result);
}

}  // namespace lens
