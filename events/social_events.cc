#include "events/social_events.h"

#include "events/data_fields.h"

namespace lens {

using namespace data_fields;

std::string PostKey(PostId id) { return "post:" + id.ToString(); }

Json PostContent::ToJson() const {
  Json j{{"post_id", post_id.ToString()},
         {"author_id", author_id.ToString()},
         {"caption", caption},
         {"hashtags", hashtags},
         {"mentions", mentions}};
  if (!media_ids.empty()) j["media_ids"] = media_ids;
  if (!mention_ids.empty()) j["mention_ids"] = IdStrings(mention_ids);
  return j;
}
std::optional<PostContent> PostContent::FromJson(const Json& j) {
  PostContent p;
  if (!GetId(j, "post_id", &p.post_id) || !GetId(j, "author_id", &p.author_id) ||
      !GetString(j, "caption", &p.caption) || !GetStrings(j, "hashtags", &p.hashtags) ||
      !GetStrings(j, "mentions", &p.mentions) || !GetStrings(j, "media_ids", &p.media_ids) ||
      !GetIds(j, "mention_ids", &p.mention_ids))
    return std::nullopt;
  return p;
}

Json PostRef::ToJson() const {
  return Json{{"post_id", post_id.ToString()}, {"author_id", author_id.ToString()}};
}
std::optional<PostRef> PostRef::FromJson(const Json& j) {
  PostRef p;
  if (!GetId(j, "post_id", &p.post_id) || !GetId(j, "author_id", &p.author_id)) return std::nullopt;
  return p;
}

Json Like::ToJson() const {
  return Json{{"post_id", post_id.ToString()},
              {"user_id", user_id.ToString()},
              {"author_id", author_id.ToString()}};
}
std::optional<Like> Like::FromJson(const Json& j) {
  Like l;
  if (!GetId(j, "post_id", &l.post_id) || !GetId(j, "user_id", &l.user_id) ||
      !GetId(j, "author_id", &l.author_id))
    return std::nullopt;
  return l;
}

Json CommentData::ToJson() const {
  Json j{{"comment_id", comment_id.ToString()},
         {"post_id", post_id.ToString()},
         {"user_id", user_id.ToString()},
         {"post_author_id", post_author_id.ToString()}};
  if (!text.empty()) j["text"] = text;
  if (deleted_by.valid()) j["deleted_by"] = deleted_by.ToString();
  if (!mention_ids.empty()) j["mention_ids"] = IdStrings(mention_ids);
  return j;
}
std::optional<CommentData> CommentData::FromJson(const Json& j) {
  CommentData c;
  if (!GetId(j, "comment_id", &c.comment_id) || !GetId(j, "post_id", &c.post_id) ||
      !GetId(j, "user_id", &c.user_id) || !GetId(j, "post_author_id", &c.post_author_id))
    return std::nullopt;
  if (j.contains("text") && !GetString(j, "text", &c.text)) return std::nullopt;
  if (j.contains("deleted_by") && !GetId(j, "deleted_by", &c.deleted_by)) return std::nullopt;
  if (!GetIds(j, "mention_ids", &c.mention_ids)) return std::nullopt;
  return c;
}

Json FollowEdge::ToJson() const {
  return Json{{"follower_id", follower_id.ToString()}, {"followee_id", followee_id.ToString()}};
}
std::optional<FollowEdge> FollowEdge::FromJson(const Json& j) {
  FollowEdge f;
  if (!GetId(j, "follower_id", &f.follower_id) || !GetId(j, "followee_id", &f.followee_id))
    return std::nullopt;
  return f;
}

Json BlockEdge::ToJson() const {
  return Json{{"blocker_id", blocker_id.ToString()}, {"blocked_id", blocked_id.ToString()}};
}
std::optional<BlockEdge> BlockEdge::FromJson(const Json& j) {
  BlockEdge b;
  if (!GetId(j, "blocker_id", &b.blocker_id) || !GetId(j, "blocked_id", &b.blocked_id))
    return std::nullopt;
  return b;
}

}  // namespace lens
