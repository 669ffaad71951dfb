#include "views/views.h"

#include "base/time.h"

namespace lens {

Json ToJson(const AccountSummaryView& a) {
  return Json{{"id", a.id},
              {"username", a.username},
              {"display_name", a.display_name},
              {"private", a.is_private}};
}

Json ToJson(const PostView& p) {
  return Json{{"id", p.id},
              {"author", ToJson(p.author)},
              {"caption", p.caption},
              {"hashtags", p.hashtags},
              {"mentions", p.mentions},
              {"media_ids", p.media_ids},
              {"created_at", FormatIsoMillis(p.created_at_ms)},
              {"edited_at", p.edited_at_ms ? Json(FormatIsoMillis(p.edited_at_ms)) : Json(nullptr)},
              {"like_count", p.like_count},
              {"comment_count", p.comment_count},
              {"liked", p.liked}};
}

Json ToJson(const CommentView& c) {
  return Json{{"id", c.id},
              {"post_id", c.post_id},
              {"author", ToJson(c.author)},
              {"text", c.text},
              {"created_at", FormatIsoMillis(c.created_at_ms)}};
}

Json ToJson(const MessageView& m) {
  return Json{{"id", m.id},
              {"conversation_id", m.conversation_id},
              {"sender_id", m.sender_id},
              {"text", m.text},
              {"media_ids", m.media_ids},
              {"client_id", m.client_id.empty() ? Json(nullptr) : Json(m.client_id)},
              {"created_at", FormatIsoMillis(m.created_at_ms)}};
}

Json ListJson(Json items, const std::string& next_cursor) {
  return Json{{"items", std::move(items)},
              {"next_cursor", next_cursor.empty() ? Json(nullptr) : Json(next_cursor)}};
}

void WriteJson(const AccountSummaryView& a, JsonWriter* w) {
  // Keys in nlohmann's (sorted) order.
  w->BeginObject();
  w->Key("display_name");
  w->String(a.display_name);
  w->Key("id");
  w->String(a.id);
  w->Key("private");
  w->Bool(a.is_private);
  w->Key("username");
  w->String(a.username);
  w->EndObject();
}

void WriteJson(const PostView& p, JsonWriter* w) {
  w->BeginObject();
  w->Key("author");
  WriteJson(p.author, w);
  w->Key("caption");
  w->String(p.caption);
  w->Key("comment_count");
  w->Int(p.comment_count);
  w->Key("created_at");
  w->String(FormatIsoMillis(p.created_at_ms));
  w->Key("edited_at");
  if (p.edited_at_ms) {
    w->String(FormatIsoMillis(p.edited_at_ms));
  } else {
    w->Null();
  }
  w->Key("hashtags");
  w->StringArray(p.hashtags);
  w->Key("id");
  w->String(p.id);
  w->Key("like_count");
  w->Int(p.like_count);
  w->Key("liked");
  w->Bool(p.liked);
  w->Key("media_ids");
  w->StringArray(p.media_ids);
  w->Key("mentions");
  w->StringArray(p.mentions);
  w->EndObject();
}

std::string PostListJson(const std::vector<PostView>& posts, const std::string& next_cursor) {
  std::string out;
  out.reserve(posts.size() * 400 + 64);
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("items");
  w.BeginArray();
  for (const PostView& p : posts) WriteJson(p, &w);
  w.EndArray();
  w.Key("next_cursor");
  if (next_cursor.empty()) {
    w.Null();
  } else {
    w.String(next_cursor);
  }
  w.EndObject();
  return out;
}

}  // namespace lens
