// The JSON shapes of the API's resources (docs/social-api.md), shared by the
// command API, which answers with the resource it changed, and the query
// API, which serves it: one definition, so both always agree.
#ifndef LENS_VIEWS_VIEWS_H_
#define LENS_VIEWS_VIEWS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/json_writer.h"

namespace lens {

struct AccountSummaryView {
  std::string id;
  std::string username;
  std::string display_name;
  bool is_private = false;
};

struct PostView {
  std::string id;
  AccountSummaryView author;
  std::string caption;
  std::vector<std::string> hashtags;
  std::vector<std::string> mentions;
  std::vector<std::string> media_ids;
  int64_t created_at_ms = 0;
  int64_t edited_at_ms = 0;  // 0: never edited
  int64_t like_count = 0;
  int64_t comment_count = 0;
  bool liked = false;
};

struct CommentView {
  std::string id;
  std::string post_id;
  AccountSummaryView author;
  std::string text;
  int64_t created_at_ms = 0;
};

struct MessageView {
  std::string id;
  std::string conversation_id;
  std::string sender_id;
  std::string text;
  std::vector<std::string> media_ids;
  std::string client_id;  // "" when the sender gave none
  int64_t created_at_ms = 0;
};

Json ToJson(const AccountSummaryView& a);
Json ToJson(const MessageView& m);
Json ToJson(const PostView& p);
Json ToJson(const CommentView& c);

// {"items": [...], "next_cursor": cursor or null}
Json ListJson(Json items, const std::string& next_cursor);

// The same shapes written straight to text (byte for byte what DumpJson
// gives for ToJson), for the hot lists: a feed page of posts.
void WriteJson(const AccountSummaryView& a, JsonWriter* w);
void WriteJson(const PostView& p, JsonWriter* w);
// DumpJson(ListJson(posts as ToJson, next_cursor)).
std::string PostListJson(const std::vector<PostView>& posts, const std::string& next_cursor);

}  // namespace lens

#endif  // LENS_VIEWS_VIEWS_H_
