// The binary records of the read models (stored posts, profiles): they
// round-trip every field, reject what is not one of them, and still read
// the JSON records of stores written before them.
#include <gtest/gtest.h>

#include <string>

#include "base/json.h"
#include "readmodels/accounts_model.h"
#include "readmodels/social_model.h"

namespace lens {
namespace {

StoredPost SamplePost() {
  StoredPost p;
  p.id = 7250000000000000001ULL;
  p.author = 1ULL << 62;
  p.caption = std::string("sunset \xF0\x9F\x8C\x8A #beach @bo\n", 25) + std::string(1, '\0') + "end";
  p.hashtags = {"beach", "sunset"};
  p.mentions = {"bo"};
  p.media_ids = {"m-1", ""};
  p.created_at_ms = 1795000000123;
  p.edited_at_ms = 1795000009999;
  return p;
}

void ExpectSamePost(const StoredPost& a, const StoredPost& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.author, b.author);
  EXPECT_EQ(a.caption, b.caption);
  EXPECT_EQ(a.hashtags, b.hashtags);
  EXPECT_EQ(a.mentions, b.mentions);
  EXPECT_EQ(a.media_ids, b.media_ids);
  EXPECT_EQ(a.created_at_ms, b.created_at_ms);
  EXPECT_EQ(a.edited_at_ms, b.edited_at_ms);
}

TEST(StoredPostTest, RoundTripsEveryField) {
  const StoredPost p = SamplePost();
  auto back = StoredPost::Decode(p.id, p.Encode());
  ASSERT_TRUE(back.has_value());
  ExpectSamePost(*back, p);
  StoredPost empty;
  empty.id = 1;
  auto e = StoredPost::Decode(1, empty.Encode());
  ASSERT_TRUE(e.has_value());
  ExpectSamePost(*e, empty);
}

TEST(StoredPostTest, ReadsTheJsonRecordsOfOlderStores) {
  const StoredPost p = SamplePost();
  const std::string legacy = DumpJson(Json{{"author", p.author},
                                           {"caption", p.caption},
                                           {"hashtags", p.hashtags},
                                           {"mentions", p.mentions},
                                           {"media_ids", p.media_ids},
                                           {"created_at", p.created_at_ms},
                                           {"edited_at", p.edited_at_ms}});
  auto back = StoredPost::Decode(p.id, legacy);
  ASSERT_TRUE(back.has_value());
  ExpectSamePost(*back, p);
}

TEST(StoredPostTest, RejectsWhatIsNotARecord) {
  const std::string good = SamplePost().Encode();
  EXPECT_FALSE(StoredPost::Decode(1, ""));
  EXPECT_FALSE(StoredPost::Decode(1, "{not json"));
  EXPECT_FALSE(StoredPost::Decode(1, "\x02" + good.substr(1)));  // unknown record kind
  EXPECT_FALSE(StoredPost::Decode(1, good + "x"));                // trailing bytes
  for (size_t n = 1; n < good.size(); ++n)                        // every truncation
    EXPECT_FALSE(StoredPost::Decode(1, good.substr(0, n))) << n;
}

Profile SampleProfile(bool is_private) {
  Profile p;
  p.id = UserId(42);
  p.username = "ana_b";
  p.email = "ana@example.com";
  p.display_name = "Ana \"B\" \xC3\x9Alfsd\xC3\xB3ttir";
  p.bio = is_private ? "" : "photos\nof things";
  p.is_private = is_private;
  p.created_at_ms = 1795000000123;
  return p;
}

void ExpectSameProfile(const Profile& a, const Profile& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.username, b.username);
  EXPECT_EQ(a.email, b.email);
  EXPECT_EQ(a.display_name, b.display_name);
  EXPECT_EQ(a.bio, b.bio);
  EXPECT_EQ(a.is_private, b.is_private);
  EXPECT_EQ(a.created_at_ms, b.created_at_ms);
}

TEST(ProfileRecordTest, RoundTripsAndReadsOlderJson) {
  for (bool is_private : {false, true}) {
    const Profile p = SampleProfile(is_private);
    auto back = Profile::Decode(p.id, p.Encode());
    ASSERT_TRUE(back.has_value());
    ExpectSameProfile(*back, p);
    const std::string legacy = DumpJson(Json{{"username", p.username},
                                             {"email", p.email},
                                             {"display_name", p.display_name},
                                             {"bio", p.bio},
                                             {"private", p.is_private},
                                             {"created_at", p.created_at_ms}});
    auto old = Profile::Decode(p.id, legacy);
    ASSERT_TRUE(old.has_value());
    ExpectSameProfile(*old, p);
  }
}

TEST(ProfileRecordTest, RejectsWhatIsNotARecord) {
  const std::string good = SampleProfile(true).Encode();
  EXPECT_FALSE(Profile::Decode(UserId(1), ""));
  EXPECT_FALSE(Profile::Decode(UserId(1), "\x07" + good.substr(1)));
  EXPECT_FALSE(Profile::Decode(UserId(1), good + "x"));
  for (size_t n = 1; n < good.size(); ++n) EXPECT_FALSE(Profile::Decode(UserId(1), good.substr(0, n))) << n;
  std::string bad_flag = good;
  bad_flag[bad_flag.size() - 1 - 6] = 2;  // the private byte, before a 6-byte varint
  EXPECT_FALSE(Profile::Decode(UserId(1), bad_flag));
}

}  // namespace
}  // namespace lens
