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

}  // namespace lens
