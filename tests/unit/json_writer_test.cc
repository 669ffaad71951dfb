// JsonWriter and the views written with it must give exactly what DumpJson
// gives for the same values: clients see one JSON dialect.
#include "base/json_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "base/json.h"
#include "views/views.h"

namespace lens {
namespace {

std::string Quoted(std::string_view s) {
  std::string out;
  JsonWriter::AppendQuoted(s, &out);
  return out;
}

TEST(JsonWriterTest, StringsAreEscapedAsDumpJsonDoes) {
  std::vector<std::string> cases = {
      "",
      "plain",
      "quote \" backslash \\ slash /",
      std::string("nul \0 and \x01 \x1f \x7f", 17),
      "\b\f\n\r\t",
      "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\xB7 \xE6\x97\xA5\xE6\x9C\xAC",  // é € 📷 日本
      "bad \xC3 lead",                  // truncated sequence
      "bad \x80 continuation",          // stray continuation byte
      "overlong \xC0\xAF and \xE0\x80\xAF",
      "surrogate \xED\xA0\x80",
      "past max \xF4\x90\x80\x80",
      "ends in \xE2\x82",
      "cut \xE2\x82 short, \xF0\x9F\x93 too, \xF0\x9F x",
      "lone leads \xC3\xE2\xF0 and \xF5\xFF\xFE",
  };
  for (const std::string& s : cases) EXPECT_EQ(Quoted(s), DumpJson(Json(s))) << s;
}

TEST(JsonWriterTest, RandomBytesAreEscapedAsDumpJsonDoes) {
  std::mt19937 rng(7);
  // Mostly bytes around the UTF-8 boundaries, so that valid, cut and
  // invalid sequences all come up.
  const std::vector<unsigned char> bytes = {'a', '"', '\\', 0x00, 0x1f, 0x7f, 0x80, 0x8f, 0x90,
                                            0x9f, 0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef,
                                            0xf0, 0xf4, 0xf5, 0xff};
  for (int n = 0; n < 20000; ++n) {
    std::string s(rng() % 12, ' ');
    for (char& c : s) c = static_cast<char>(bytes[rng() % bytes.size()]);
    ASSERT_EQ(Quoted(s), DumpJson(Json(s))) << testing::PrintToString(s);
  }
}

TEST(JsonWriterTest, ContainersAndScalars) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("a");
  w.BeginArray();
  w.Int(-9223372036854775807LL - 1);
  w.Int(42);
  w.Bool(true);
  w.Null();
  w.BeginObject();
  w.EndObject();
  w.BeginArray();
  w.EndArray();
  w.EndArray();
  w.Key("b");
  w.StringArray({"x", "y"});
  w.EndObject();
  EXPECT_EQ(out, R"({"a":[-9223372036854775808,42,true,null,{},[]],"b":["x","y"]})");
  EXPECT_EQ(out, DumpJson(ParseJson(out).value()));
}

PostView SamplePost(bool edited) {
  PostView p;
  p.id = "7250000000000000001";
  p.author = {"17", "ana_b", "Ana \"B\" \xC3\x9Alfsd\xC3\xB3ttir", true};
  p.caption = "sunset at the \xF0\x9F\x8C\x8A #beach with @bo\nline two";
  p.hashtags = {"beach"};
  p.mentions = {"bo"};
  p.media_ids = edited ? std::vector<std::string>{"m1", "m2"} : std::vector<std::string>{};
  p.created_at_ms = 1795000000123;
  p.edited_at_ms = edited ? 1795000009999 : 0;
  p.like_count = 12345;
  p.comment_count = 0;
  p.liked = edited;
  return p;
}

TEST(JsonWriterTest, PostListIsByteForByteTheTreeDump) {
  std::vector<PostView> posts = {SamplePost(false), SamplePost(true)};
  Json items = Json::array();
  for (const PostView& p : posts) items.push_back(ToJson(p));
  EXPECT_EQ(PostListJson(posts, "Y3Vyc29y"), DumpJson(ListJson(items, "Y3Vyc29y")));
  EXPECT_EQ(PostListJson({}, ""), DumpJson(ListJson(Json::array(), "")));
  EXPECT_EQ(PostListJson({}, ""), R"({"items":[],"next_cursor":null})");
}

}  // namespace
}  // namespace lens
