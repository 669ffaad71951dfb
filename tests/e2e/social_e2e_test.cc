// Social features end to end (docs/social-api.md): posts, likes, comments,
// follows, private accounts and follow requests, blocks, lists and the home
// feed, over real HTTP against the real `lens serve` binary, on the embedded
// log and on Kafka (mock broker process).
//
// Every query sends the Consistency-Tokens of the commands before it (merged:
// the highest offset per partition), so that the test reads its own writes
// instead of sleeping.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/lens_fixture.h"

namespace lens::testing {
namespace {

// Percent-encodes everything but RFC 3986's unreserved characters: cursors
// are opaque and may hold characters that mean something in a query string.
std::string UrlEncode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// The strings of a JSON array (empty when it is not one).
std::vector<std::string> Strings(const Json& j) {
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const Json& s : j) out.push_back(s.is_string() ? s.get<std::string>() : s.dump());
  return out;
}

// The "id" of every item, in order.
std::vector<std::string> Ids(const std::vector<Json>& items) {
  std::vector<std::string> ids;
  for (const Json& it : items) ids.push_back(Str(it, "id"));
  return ids;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Ids are decimal strings of 64-bit numbers: order them as numbers.
std::vector<std::string> ByNumericId(std::vector<std::string> ids, bool descending) {
  std::sort(ids.begin(), ids.end(), [&](const std::string& a, const std::string& b) {
    uint64_t x = std::stoull(a), y = std::stoull(b);
    return descending ? x > y : x < y;
  });
  return ids;
}

class SocialE2E : public LensFixture {
 protected:
  // Registers and logs in like CreateUser, and keeps both answers'
  // Consistency-Tokens: the account's summary shows up in lists and as a
  // post's author, which is read from the accounts read model.
  TestUser NewUser(const std::string& username) {
    TestUser u{"", username, "pw-" + username + "-secret", ""};
    HttpResult r = http().Post(
        "/api/v1/accounts",
        Json{{"username", username}, {"email", username + "@example.com"}, {"password", u.password}}
            .dump());
    EXPECT_EQ(r.status, 201) << r.body;
    Remember(r);
    u.id = Str(Obj(r), "id");
    HttpResult s = http().Post("/api/v1/sessions",
                               Json{{"username", username}, {"password", u.password}}.dump());
    EXPECT_EQ(s.status, 201) << s.body;
    Remember(s);
    u.token = Str(Obj(s), "token");
    return u;
  }

  // Creates a post and returns its id ("" and a failure when refused).
  std::string CreatePost(const TestUser& u, const std::string& caption) {
    HttpResult r = Cmd("POST", "/api/v1/posts", u, Json{{"caption", caption}}.dump());
    EXPECT_EQ(r.status, 201) << last_request_ << ": " << r.body;
    return Str(Obj(r), "id");
  }

  HttpResult Follow(const TestUser& who, const TestUser& whom) {
    return Cmd("POST", "/api/v1/accounts/" + whom.id + "/follow", who);
  }

  void SetPrivate(const TestUser& u, bool is_private) {
    HttpResult r = Cmd("PATCH", "/api/v1/accounts/me", u, Json{{"private", is_private}}.dump());
    EXPECT_EQ(r.status, 200) << last_request_ << ": " << r.body;
  }

  Json Account(const TestUser& viewer, const std::string& id) {
    HttpResult r = Query("/api/v1/accounts/" + id, viewer);
    EXPECT_EQ(r.status, 200) << last_request_ << ": " << r.body;
    return Obj(r);
  }

  Json GetPost(const TestUser& viewer, const std::string& id) {
    HttpResult r = Query("/api/v1/posts/" + id, viewer);
    EXPECT_EQ(r.status, 200) << last_request_ << ": " << r.body;
    return Obj(r);
  }

  // Reads every page of a list with `limit` items per page; fails the test on
  // a refused page, a malformed page, a page over the limit, an item seen
  // twice or a cursor chain that does not end.
  std::vector<Json> ReadAll(const std::string& path, const TestUser& viewer, int limit = 100) {
    std::vector<Json> items;
    std::set<std::string> seen;
    std::string cursor;
    const char* sep = path.find('?') == std::string::npos ? "?" : "&";
    for (int page = 0; page < 500; ++page) {
      std::string target = path + sep + "limit=" + std::to_string(limit);
      if (!cursor.empty()) target += "&cursor=" + UrlEncode(cursor);
      HttpResult r = Query(target, viewer);
      Json j = Obj(r);
      if (r.status != 200 || !j.contains("items") || !j["items"].is_array() ||
          !j.contains("next_cursor")) {
        ADD_FAILURE() << "GET " << target << " -> " << r.status << " " << r.body;
        return items;
      }
      EXPECT_LE(j["items"].size(), static_cast<size_t>(limit)) << target;
      for (const Json& it : j["items"]) {
        std::string id = Str(it, "id");
        EXPECT_TRUE(seen.insert(id).second)
            << "item " << id << " repeated on a later page of " << path;
        items.push_back(it);
      }
      if (j["next_cursor"].is_null()) return items;
      if (!j["next_cursor"].is_string() || j["next_cursor"].get<std::string>().empty()) {
        ADD_FAILURE() << "next_cursor is neither null nor a string: " << r.body;
        return items;
      }
      cursor = j["next_cursor"].get<std::string>();
    }
    ADD_FAILURE() << path << ": the cursor chain did not end after 500 pages";
    return items;
  }

  void ExpectError(const HttpResult& r, int status, const std::string& code = "") {
    // Called as ExpectError(Cmd(...)) or ExpectError(Query(...)): last_request_ names the request.
    EXPECT_EQ(r.status, status) << last_request_ << ": " << r.body;
    Json j = Obj(r);
    EXPECT_TRUE(j.contains("error") && j["error"].is_object())
        << last_request_ << ": error body expected: " << r.body;
    if (!code.empty()) {
      EXPECT_EQ(r.error_code(), code) << last_request_ << ": " << r.body;
    }
  }

  // An account summary as the contract shapes it.
  void ExpectSummary(const Json& s, const TestUser& u, bool is_private = false) {
    EXPECT_EQ(Str(s, "id"), u.id) << s;
    EXPECT_EQ(Str(s, "username"), u.username) << s;
    EXPECT_TRUE(s.is_object() && s.contains("display_name")) << s;
    EXPECT_TRUE(s.is_object() && s.contains("private") && s["private"] == is_private) << s;
  }
};

// ---------------------------------------------------------------------------
// Posts

TEST_P(SocialE2E, CreateGetEditAndDeleteAPost) {
  TestUser alice = NewUser("alice");
  TestUser bob = NewUser("bob");
  ASSERT_FALSE(HasFailure());

  HttpResult created =
      Cmd("POST", "/api/v1/posts", alice,
          Json{{"caption", "Sunset with @Bob and @bob #Cats #cats #sea_2\nline two"}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_FALSE(created.header("consistency-token").empty());
  Json post = Obj(created);
  const std::string id = Str(post, "id");
  ASSERT_FALSE(id.empty()) << created.body;
  ExpectSummary(post["author"], alice);
  EXPECT_EQ(post["caption"], "Sunset with @Bob and @bob #Cats #cats #sea_2\nline two");
  EXPECT_EQ(Sorted(Strings(post["hashtags"])), (std::vector<std::string>{"cats", "sea_2"}))
      << "hashtags are lower-cased and unique";
  EXPECT_EQ(post["mentions"], Json::array({"bob"})) << "mentions are lower-cased and unique";
  EXPECT_TRUE(post["created_at"].is_string());
  EXPECT_TRUE(post["edited_at"].is_null());
  EXPECT_EQ(post["like_count"], 0);
  EXPECT_EQ(post["comment_count"], 0);
  EXPECT_EQ(post["liked"], false);

  // Read-your-writes with the command's own token.
  HttpResult got =
      http().Get("/api/v1/posts/" + id,
                 {Bearer(bob.token), {"Consistency-Token", created.header("consistency-token")}});
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_EQ(Obj(got)["caption"], post["caption"]);
  EXPECT_EQ(Obj(got)["author"]["id"], alice.id);
  EXPECT_EQ(Account(alice, alice.id)["posts_count"], 1);

  // Only the author edits.
  long before = EventCount();
  ExpectError(Cmd("PATCH", "/api/v1/posts/" + id, bob, R"({"caption":"hijacked"})"), 403,
              "forbidden");
  EXPECT_EQ(EventCount(), before) << "a rejected edit appends nothing";

  HttpResult edited =
      Cmd("PATCH", "/api/v1/posts/" + id, alice, R"({"caption":"New words #Dogs @ALICE"})");
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_EQ(Obj(edited)["caption"], "New words #Dogs @ALICE");
  EXPECT_EQ(Obj(edited)["hashtags"], Json::array({"dogs"})) << "hashtags are parsed again";
  EXPECT_EQ(Obj(edited)["mentions"], Json::array({"alice"}));
  EXPECT_TRUE(Obj(edited)["edited_at"].is_string()) << edited.body;
  Json reread = GetPost(bob, id);
  EXPECT_EQ(reread["caption"], "New words #Dogs @ALICE");
  EXPECT_TRUE(reread["edited_at"].is_string()) << reread;
  EXPECT_EQ(reread["created_at"], post["created_at"]) << "an edit keeps the creation time";

  // Only the author deletes; a deleted post is gone for everybody.
  before = EventCount();
  ExpectError(Cmd("DELETE", "/api/v1/posts/" + id, bob), 403, "forbidden");
  EXPECT_EQ(EventCount(), before);
  HttpResult del = Cmd("DELETE", "/api/v1/posts/" + id, alice);
  EXPECT_EQ(del.status, 204) << del.body;
  ExpectError(Query("/api/v1/posts/" + id, alice), 404, "post_not_found");
  ExpectError(Query("/api/v1/posts/" + id, bob), 404, "post_not_found");
  before = EventCount();
  ExpectError(Cmd("DELETE", "/api/v1/posts/" + id, alice), 404, "post_not_found");
  ExpectError(Cmd("PATCH", "/api/v1/posts/" + id, alice, R"({"caption":"back?"})"), 404,
              "post_not_found");
  EXPECT_EQ(EventCount(), before);
  EXPECT_EQ(Account(bob, alice.id)["posts_count"], 0) << "a deleted post leaves the counter";
  EXPECT_TRUE(ReadAll("/api/v1/accounts/" + alice.id + "/posts", alice).empty());
}

TEST_P(SocialE2E, CaptionsAreValidated) {
  TestUser u = NewUser("captioner");
  ASSERT_FALSE(HasFailure());
  long before = EventCount();
  ExpectError(Cmd("POST", "/api/v1/posts", u, R"({"caption":""})"), 422, "empty_post");
  ExpectError(Cmd("POST", "/api/v1/posts", u, R"({})"), 422, "empty_post");
  ExpectError(Cmd("POST", "/api/v1/posts", u, Json{{"caption", std::string(2201, 'c')}}.dump()),
              422, "too_long");
  ExpectError(Cmd("POST", "/api/v1/posts", u, R"({"caption":7})"), 422, "invalid_type");
  ExpectError(Cmd("POST", "/api/v1/posts", u, "{not json"), 400, "malformed_json");
  EXPECT_EQ(EventCount(), before) << "no rejected post appended anything";

  // 2,200 characters is the limit, counted in characters, not bytes.
  std::string longest;
  for (int i = 0; i < 2200; ++i) longest += "\xc3\xa9";
  EXPECT_FALSE(CreatePost(u, longest).empty());
  std::string post = CreatePost(u, "short");
  ASSERT_FALSE(post.empty());
  before = EventCount();
  ExpectError(
      Cmd("PATCH", "/api/v1/posts/" + post, u, Json{{"caption", std::string(2201, 'c')}}.dump()),
      422, "too_long");
  EXPECT_EQ(EventCount(), before);
}

// ---------------------------------------------------------------------------
// Likes

TEST_P(SocialE2E, LikesAreIdempotentAndCounted) {
  TestUser alice = NewUser("alice");
  TestUser bob = NewUser("bob");
  TestUser carol = NewUser("carol");
  const std::string post = CreatePost(alice, "like me");
  ASSERT_FALSE(HasFailure());

  HttpResult like = Cmd("POST", "/api/v1/posts/" + post + "/like", bob);
  ASSERT_EQ(like.status, 200) << like.body;
  EXPECT_EQ(Obj(like), (Json{{"liked", true}}));
  long after_first = EventCount();
  HttpResult again = Cmd("POST", "/api/v1/posts/" + post + "/like", bob);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Obj(again), (Json{{"liked", true}}));
  EXPECT_EQ(EventCount(), after_first) << "liking twice is not a second like";

  EXPECT_EQ(Cmd("POST", "/api/v1/posts/" + post + "/like", carol).status, 200);
  Json seen_by_bob = GetPost(bob, post);
  EXPECT_EQ(seen_by_bob["like_count"], 2);
  EXPECT_EQ(seen_by_bob["liked"], true);
  Json seen_by_alice = GetPost(alice, post);
  EXPECT_EQ(seen_by_alice["like_count"], 2);
  EXPECT_EQ(seen_by_alice["liked"], false) << "liked is the viewer's own like";

  std::vector<Json> likers = ReadAll("/api/v1/posts/" + post + "/likes", alice);
  EXPECT_EQ(Ids(likers), ByNumericId({bob.id, carol.id}, false))
      << "likers are ordered by account id";
  for (const Json& s : likers) ExpectSummary(s, Str(s, "id") == bob.id ? bob : carol);
  // Pages of one.
  EXPECT_EQ(Ids(ReadAll("/api/v1/posts/" + post + "/likes", carol, 1)),
            ByNumericId({bob.id, carol.id}, false));

  HttpResult unlike = Cmd("DELETE", "/api/v1/posts/" + post + "/like", bob);
  ASSERT_EQ(unlike.status, 200) << unlike.body;
  EXPECT_EQ(Obj(unlike), (Json{{"liked", false}}));
  long after_unlike = EventCount();
  HttpResult unlike_again = Cmd("DELETE", "/api/v1/posts/" + post + "/like", bob);
  EXPECT_EQ(unlike_again.status, 200) << unlike_again.body;
  EXPECT_EQ(Obj(unlike_again), (Json{{"liked", false}}));
  EXPECT_EQ(EventCount(), after_unlike) << "unliking what is not liked appends nothing";
  EXPECT_EQ(Cmd("DELETE", "/api/v1/posts/" + post + "/like", alice).status, 200)
      << "never liked: a no-op";
  EXPECT_EQ(EventCount(), after_unlike);

  Json now = GetPost(bob, post);
  EXPECT_EQ(now["like_count"], 1);
  EXPECT_EQ(now["liked"], false);
  EXPECT_EQ(Ids(ReadAll("/api/v1/posts/" + post + "/likes", alice)),
            std::vector<std::string>{carol.id});

  // The author may like their own post; a re-like after an unlike counts again.
  EXPECT_EQ(Cmd("POST", "/api/v1/posts/" + post + "/like", alice).status, 200);
  EXPECT_EQ(Cmd("POST", "/api/v1/posts/" + post + "/like", bob).status, 200);
  Json last = GetPost(alice, post);
  EXPECT_EQ(last["like_count"], 3);
  EXPECT_EQ(last["liked"], true);
}

// Commands that touch the same post or account at once (the likes of one
// post by many users decide side by side), and one user's quick sequences:
// on Kafka a command is acknowledged once the broker holds it, before the
// decision state has read it back, so each of these next commands must
// still decide on what the previous one appended.
TEST_P(SocialE2E, ConcurrentAndBackToBackCommandsDecideOnEachOthersWrites) {
  TestUser alice = NewUser("alice");
  std::vector<TestUser> fans;
  for (int i = 0; i < 8; ++i) fans.push_back(NewUser("fan" + std::to_string(i)));
  const std::string post = CreatePost(alice, "everyone likes this");
  ASSERT_FALSE(HasFailure());
  const long before = EventCount();

  // Eight users like the post at once, and the first of them sends the same
  // like four more times beside them: five like requests by one user are one
  // like.
  std::vector<HttpResult> answers(fans.size() + 4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < answers.size(); ++i)
    threads.emplace_back([&, i] {
      HttpClient client(lens_->port());
      const TestUser& who = i < fans.size() ? fans[i] : fans[0];
      answers[i] = client.Post("/api/v1/posts/" + post + "/like", "", {Bearer(who.token)});
    });
  for (std::thread& t : threads) t.join();
  for (const HttpResult& a : answers) {
    EXPECT_EQ(a.status, 200) << a.body;
    Remember(a);
  }
  EXPECT_EQ(EventCount() - before, static_cast<long>(fans.size())) << "one PostLiked per user";
  EXPECT_EQ(GetPost(alice, post)["like_count"], static_cast<int>(fans.size()));

  // Back to back, each answer used at once.
  TestUser bob = NewUser("bob");
  const std::string fresh = CreatePost(alice, "just posted");
  EXPECT_EQ(Cmd("POST", "/api/v1/posts/" + fresh + "/like", bob).status, 200)
      << "a post is likeable as soon as its creation is acknowledged";
  HttpResult unlike = Cmd("DELETE", "/api/v1/posts/" + fresh + "/like", bob);
  EXPECT_EQ(unlike.status, 200) << unlike.body;
  HttpResult relike = Cmd("POST", "/api/v1/posts/" + fresh + "/like", bob);
  EXPECT_EQ(relike.status, 200) << relike.body;
  Json seen = GetPost(bob, fresh);
  EXPECT_EQ(seen["like_count"], 1) << "like, unlike, like: one like";
  EXPECT_EQ(seen["liked"], true);

  HttpResult comment =
      Cmd("POST", "/api/v1/posts/" + fresh + "/comments", bob, Json{{"text", "first!"}}.dump());
  ASSERT_EQ(comment.status, 201) << comment.body;
  EXPECT_EQ(Cmd("DELETE", "/api/v1/comments/" + Str(Obj(comment), "id"), bob).status, 204)
      << "a comment can be deleted as soon as it is acknowledged";

  // A follow, then at once what it allows: liking a private account's post.
  TestUser carol = NewUser("carol");
  const std::string hidden = CreatePost(carol, "followers only");
  SetPrivate(carol, true);
  HttpResult requested = Follow(bob, carol);
  ASSERT_EQ(requested.status, 200) << requested.body;
  EXPECT_EQ(Obj(requested), (Json{{"following", false}, {"requested", true}}));
  ASSERT_EQ(Cmd("POST", "/api/v1/follow-requests/" + bob.id + "/approve", carol).status, 200);
  EXPECT_EQ(Cmd("POST", "/api/v1/posts/" + hidden + "/like", bob).status, 200);
  HttpResult again = Follow(bob, carol);
  EXPECT_EQ(Obj(again), (Json{{"following", true}, {"requested", false}}))
      << "following already: the answer says so";
  EXPECT_EQ(Cmd("DELETE", "/api/v1/accounts/" + carol.id + "/follow", bob).status, 200);
  ExpectError(Cmd("POST", "/api/v1/posts/" + hidden + "/comments", bob,
                  Json{{"text", "still here?"}}.dump()),
              404);
}

TEST_P(SocialE2E, LikingADeletedOrInvisiblePostIsNotFound) {
  TestUser alice = NewUser("alice");
  TestUser bob = NewUser("bob");
  TestUser hidden = NewUser("hidden");
  SetPrivate(hidden, true);
  const std::string gone = CreatePost(alice, "soon gone");
  const std::string secret = CreatePost(hidden, "for followers only");
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Cmd("DELETE", "/api/v1/posts/" + gone, alice).status, 204);

  long before = EventCount();
  ExpectError(Cmd("POST", "/api/v1/posts/" + gone + "/like", bob), 404, "post_not_found");
  ExpectError(Cmd("POST", "/api/v1/posts/" + secret + "/like", bob), 404, "post_not_found");
  ExpectError(Cmd("DELETE", "/api/v1/posts/" + secret + "/like", bob), 404, "post_not_found");
  ExpectError(Cmd("POST", "/api/v1/posts/9999999/like", bob), 404, "post_not_found");
  EXPECT_EQ(EventCount(), before) << "rejected likes append nothing";
  ExpectError(Query("/api/v1/posts/" + secret, bob), 404, "post_not_found");
  ExpectError(Query("/api/v1/posts/" + secret + "/likes", bob), 404, "post_not_found");
  ExpectError(Query("/api/v1/posts/" + gone + "/likes", alice), 404, "post_not_found");

  // The author sees their own private post and may like it.
  EXPECT_EQ(Cmd("POST", "/api/v1/posts/" + secret + "/like", hidden).status, 200);
  EXPECT_EQ(GetPost(hidden, secret)["like_count"], 1);
}

// ---------------------------------------------------------------------------
// Comments

TEST_P(SocialE2E, CommentsAreAddedListedAndPaginated) {
  TestUser alice = NewUser("alice");
  TestUser bob = NewUser("bob");
  const std::string post = CreatePost(alice, "talk to me");
  ASSERT_FALSE(HasFailure());

  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    const TestUser& who = i % 2 ? alice : bob;
    HttpResult r = Cmd("POST", "/api/v1/posts/" + post + "/comments", who,
                       Json{{"text", "comment " + std::to_string(i)}}.dump());
    ASSERT_EQ(r.status, 201) << r.body;
    Json c = Obj(r);
    EXPECT_EQ(c["post_id"], post);
    EXPECT_EQ(c["text"], "comment " + std::to_string(i));
    ExpectSummary(c["author"], who);
    EXPECT_TRUE(c["created_at"].is_string());
    ids.push_back(Str(c, "id"));
  }
  EXPECT_EQ(GetPost(bob, post)["comment_count"], 5);

  std::vector<Json> oldest = ReadAll("/api/v1/posts/" + post + "/comments", bob);
  EXPECT_EQ(Ids(oldest), ids) << "default order is oldest first";
  ASSERT_EQ(oldest.size(), 5u);
  EXPECT_EQ(oldest[0]["text"], "comment 0");
  EXPECT_EQ(oldest[0]["author"]["id"], bob.id);
  EXPECT_EQ(Ids(ReadAll("/api/v1/posts/" + post + "/comments?order=oldest", bob, 2)), ids);
  std::vector<std::string> reversed(ids.rbegin(), ids.rend());
  EXPECT_EQ(Ids(ReadAll("/api/v1/posts/" + post + "/comments?order=newest", bob)), reversed);
  EXPECT_EQ(Ids(ReadAll("/api/v1/posts/" + post + "/comments?order=newest", alice, 2)), reversed);

  // A first page of two, then the cursor.
  HttpResult page = Query("/api/v1/posts/" + post + "/comments?limit=2", bob);
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_EQ(Obj(page)["items"].size(), 2u);
  EXPECT_TRUE(Obj(page)["next_cursor"].is_string()) << page.body;
  HttpResult all = Query("/api/v1/posts/" + post + "/comments?limit=5", bob);
  EXPECT_TRUE(Obj(all)["next_cursor"].is_null())
      << "an exactly full last page ends the list: " << all.body;

  // Text rules.
  long before = EventCount();
  ExpectError(Cmd("POST", "/api/v1/posts/" + post + "/comments", bob, R"({"text":""})"), 422);
  ExpectError(Cmd("POST", "/api/v1/posts/" + post + "/comments", bob, R"({})"), 422);
  ExpectError(Cmd("POST", "/api/v1/posts/" + post + "/comments", bob,
                  Json{{"text", std::string(2201, 't')}}.dump()),
              422, "too_long");
  EXPECT_EQ(EventCount(), before);
  EXPECT_EQ(Cmd("POST", "/api/v1/posts/" + post + "/comments", bob,
                Json{{"text", std::string(2200, 't')}}.dump())
                .status,
            201);
}

TEST_P(SocialE2E, CommentsAreDeletedByTheirAuthorOrThePostsAuthorOnly) {
  TestUser alice = NewUser("alice");
  TestUser bob = NewUser("bob");
  TestUser carol = NewUser("carol");
  const std::string post = CreatePost(alice, "moderated");
  ASSERT_FALSE(HasFailure());
  auto comment = [&](const TestUser& who, const std::string& text) {
    HttpResult r =
        Cmd("POST", "/api/v1/posts/" + post + "/comments", who, Json{{"text", text}}.dump());
    EXPECT_EQ(r.status, 201) << last_request_ << ": " << r.body;
    return Str(Obj(r), "id");
  };
  const std::string by_bob = comment(bob, "bob's own");
  const std::string by_carol = comment(carol, "carol's");
  const std::string third = comment(carol, "stays");
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(GetPost(alice, post)["comment_count"], 3);

  long before = EventCount();
  ExpectError(Cmd("DELETE", "/api/v1/comments/" + by_carol, bob), 403, "forbidden");
  EXPECT_EQ(EventCount(), before) << "a third user cannot delete a comment";

  EXPECT_EQ(Cmd("DELETE", "/api/v1/comments/" + by_bob, bob).status, 204)
      << "by the comment's author";
  EXPECT_EQ(Cmd("DELETE", "/api/v1/comments/" + by_carol, alice).status, 204)
      << "by the post's author";
  before = EventCount();
  ExpectError(Cmd("DELETE", "/api/v1/comments/" + by_bob, bob), 404);
  ExpectError(Cmd("DELETE", "/api/v1/comments/424242424242", alice), 404);
  EXPECT_EQ(EventCount(), before);

  EXPECT_EQ(GetPost(bob, post)["comment_count"], 1);
  EXPECT_EQ(Ids(ReadAll("/api/v1/posts/" + post + "/comments", bob)),
            std::vector<std::string>{third});

  // No comments on a deleted post, and its comments are gone.
  ASSERT_EQ(Cmd("DELETE", "/api/v1/posts/" + post, alice).status, 204);
  before = EventCount();
  ExpectError(Cmd("POST", "/api/v1/posts/" + post + "/comments", bob, R"({"text":"too late"})"),
              404, "post_not_found");
  ExpectError(Cmd("POST", "/api/v1/posts/5555555/comments", bob, R"({"text":"nowhere"})"), 404,
              "post_not_found");
  EXPECT_EQ(EventCount(), before);
  ExpectError(Query("/api/v1/posts/" + post + "/comments", alice), 404, "post_not_found");
}

TEST_P(SocialE2E, CommentsOnInvisiblePostsAreNotFound) {
  TestUser hidden = NewUser("hidden");
  TestUser outsider = NewUser("outsider");
  SetPrivate(hidden, true);
  const std::string post = CreatePost(hidden, "private thoughts");
  ASSERT_FALSE(HasFailure());
  long before = EventCount();
  ExpectError(Cmd("POST", "/api/v1/posts/" + post + "/comments", outsider, R"({"text":"hi"})"), 404,
              "post_not_found");
  EXPECT_EQ(EventCount(), before);
  ExpectError(Query("/api/v1/posts/" + post + "/comments", outsider), 404, "post_not_found");
  EXPECT_EQ(Cmd("POST", "/api/v1/posts/" + post + "/comments", hidden, R"({"text":"note to self"})")
                .status,
            201);
}

// ---------------------------------------------------------------------------
// Follows, requests, blocks

TEST_P(SocialE2E, FollowAndUnfollowAPublicAccount) {
  TestUser alice = NewUser("alice");
  TestUser bob = NewUser("bob");
  ASSERT_FALSE(HasFailure());

  HttpResult f = Follow(bob, alice);
  ASSERT_EQ(f.status, 200) << f.body;
  EXPECT_EQ(Obj(f), (Json{{"following", true}, {"requested", false}}));
  long after = EventCount();
  HttpResult again = Follow(bob, alice);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(Obj(again), (Json{{"following", true}, {"requested", false}}))
      << "repeating is a no-op";
  EXPECT_EQ(EventCount(), after);

  std::vector<Json> followers = ReadAll("/api/v1/accounts/" + alice.id + "/followers", alice);
  ASSERT_EQ(followers.size(), 1u);
  ExpectSummary(followers[0], bob);
  EXPECT_EQ(Ids(ReadAll("/api/v1/accounts/" + bob.id + "/following", alice)),
            std::vector<std::string>{alice.id});
  EXPECT_EQ(Account(bob, alice.id)["followers_count"], 1);
  EXPECT_EQ(Account(alice, bob.id)["following_count"], 1);

  HttpResult un = Cmd("DELETE", "/api/v1/accounts/" + alice.id + "/follow", bob);
  ASSERT_EQ(un.status, 200) << un.body;
  EXPECT_EQ(Obj(un), (Json{{"following", false}, {"requested", false}}));
  after = EventCount();
  HttpResult un_again = Cmd("DELETE", "/api/v1/accounts/" + alice.id + "/follow", bob);
  EXPECT_EQ(un_again.status, 200);
  EXPECT_EQ(Obj(un_again), (Json{{"following", false}, {"requested", false}}));
  EXPECT_EQ(EventCount(), after) << "unfollowing nobody appends nothing";
  EXPECT_TRUE(ReadAll("/api/v1/accounts/" + alice.id + "/followers", bob).empty());
  EXPECT_TRUE(ReadAll("/api/v1/accounts/" + bob.id + "/following", bob).empty());
  EXPECT_EQ(Account(bob, alice.id)["followers_count"], 0);

  long before = EventCount();
  ExpectError(Follow(bob, bob), 422, "cannot_follow_self");
  ExpectError(Cmd("POST", "/api/v1/accounts/987654321/follow", bob), 404);
  ExpectError(Cmd("DELETE", "/api/v1/accounts/987654321/follow", bob), 404);
  EXPECT_EQ(EventCount(), before);
}

TEST_P(SocialE2E, FollowingAPrivateAccountIsARequestUntilApproved) {
  TestUser alice = NewUser("alice");
  TestUser bob = NewUser("bob");
  TestUser carol = NewUser("carol");
  TestUser dave = NewUser("dave");
  SetPrivate(alice, true);
  const std::string post = CreatePost(alice, "followers only");
  ASSERT_FALSE(HasFailure());

  HttpResult req = Follow(bob, alice);
  ASSERT_EQ(req.status, 200) << req.body;
  EXPECT_EQ(Obj(req), (Json{{"following", false}, {"requested", true}}));
  long after = EventCount();
  EXPECT_EQ(Obj(Follow(bob, alice)), (Json{{"following", false}, {"requested", true}}))
      << "repeating is a no-op";
  EXPECT_EQ(EventCount(), after);
  ASSERT_EQ(Follow(carol, alice).status, 200);
  ASSERT_EQ(Follow(dave, alice).status, 200);

  std::vector<Json> requests = ReadAll("/api/v1/follow-requests", alice);
  EXPECT_EQ(Sorted(Ids(requests)), Sorted({bob.id, carol.id, dave.id}));
  for (const Json& s : requests)
    if (Str(s, "id") == bob.id) ExpectSummary(s, bob);
  EXPECT_TRUE(ReadAll("/api/v1/follow-requests", bob).empty()) << "requests are the target's";
  EXPECT_EQ(Account(bob, alice.id)["followers_count"], 0) << "a request is not a follow";
  ExpectError(Query("/api/v1/posts/" + post, bob), 404, "post_not_found");

  // Dave withdraws his request.
  HttpResult withdraw = Cmd("DELETE", "/api/v1/accounts/" + alice.id + "/follow", dave);
  ASSERT_EQ(withdraw.status, 200) << withdraw.body;
  EXPECT_EQ(Obj(withdraw), (Json{{"following", false}, {"requested", false}}));
  EXPECT_EQ(Sorted(Ids(ReadAll("/api/v1/follow-requests", alice))), Sorted({bob.id, carol.id}));

  HttpResult approve = Cmd("POST", "/api/v1/follow-requests/" + bob.id + "/approve", alice);
  ASSERT_EQ(approve.status, 200) << approve.body;
  EXPECT_EQ(Obj(approve), (Json{{"approved", true}}));
  HttpResult reject = Cmd("POST", "/api/v1/follow-requests/" + carol.id + "/reject", alice);
  ASSERT_EQ(reject.status, 200) << reject.body;
  EXPECT_EQ(Obj(reject), (Json{{"rejected", true}}));

  EXPECT_TRUE(ReadAll("/api/v1/follow-requests", alice).empty());
  EXPECT_EQ(Ids(ReadAll("/api/v1/accounts/" + alice.id + "/followers", alice)),
            std::vector<std::string>{bob.id});
  EXPECT_EQ(Account(carol, alice.id)["followers_count"], 1);
  EXPECT_EQ(Obj(Follow(bob, alice)), (Json{{"following", true}, {"requested", false}}))
      << "an approved follower follows";
  EXPECT_EQ(GetPost(bob, post)["caption"], "followers only")
      << "an approved follower sees the posts";
  ExpectError(Query("/api/v1/posts/" + post, carol), 404, "post_not_found");

  long before = EventCount();
  ExpectError(Cmd("POST", "/api/v1/follow-requests/" + bob.id + "/approve", alice), 404,
              "request_not_found");
  ExpectError(Cmd("POST", "/api/v1/follow-requests/" + carol.id + "/reject", alice), 404,
              "request_not_found");
  ExpectError(Cmd("POST", "/api/v1/follow-requests/" + dave.id + "/approve", alice), 404,
              "request_not_found");
  // Only the target approves: alice asked nothing of bob.
  ExpectError(Cmd("POST", "/api/v1/follow-requests/" + alice.id + "/approve", bob), 404,
              "request_not_found");
  ExpectError(Cmd("POST", "/api/v1/follow-requests/31337/reject", alice), 404);
  EXPECT_EQ(EventCount(), before);

  // Carol may ask again after a rejection.
  EXPECT_EQ(Obj(Follow(carol, alice)), (Json{{"following", false}, {"requested", true}}));
  EXPECT_EQ(Ids(ReadAll("/api/v1/follow-requests", alice)), std::vector<std::string>{carol.id});
}

TEST_P(SocialE2E, MakingAnAccountPublicApprovesPendingRequests) {
  TestUser alice = NewUser("alice");
  TestUser bob = NewUser("bob");
  TestUser carol = NewUser("carol");
  SetPrivate(alice, true);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Obj(Follow(bob, alice))["requested"], true);
  ASSERT_EQ(Obj(Follow(carol, alice))["requested"], true);
  EXPECT_EQ(Account(alice, alice.id)["followers_count"], 0);

  SetPrivate(alice, false);
  EXPECT_TRUE(ReadAll("/api/v1/follow-requests", alice).empty());
  EXPECT_EQ(Ids(ReadAll("/api/v1/accounts/" + alice.id + "/followers", bob)),
            ByNumericId({bob.id, carol.id}, false));
  EXPECT_EQ(Account(bob, alice.id)["followers_count"], 2);
  EXPECT_EQ(Account(bob, bob.id)["following_count"], 1);
  EXPECT_EQ(Obj(Follow(carol, alice)), (Json{{"following", true}, {"requested", false}}));
}

TEST_P(SocialE2E, PrivateAccountListsNeedAnApprovedFollow) {
  TestUser alice = NewUser("alice");
  TestUser friend_ = NewUser("friend");
  TestUser stranger = NewUser("stranger");
  TestUser pending = NewUser("pending");
  TestUser public_one = NewUser("publicone");
  SetPrivate(alice, true);
  const std::string post = CreatePost(alice, "members only #secret");
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Follow(friend_, alice).status, 200);
  ASSERT_EQ(Cmd("POST", "/api/v1/follow-requests/" + friend_.id + "/approve", alice).status, 200);
  ASSERT_EQ(Follow(pending, alice).status, 200);
  ASSERT_EQ(Follow(alice, public_one).status, 200);

  for (const char* list : {"followers", "following", "posts"}) {
    const std::string path = "/api/v1/accounts/" + alice.id + "/" + list;
    ExpectError(Query(path, stranger), 403, "private_account");
    ExpectError(Query(path, pending), 403, "private_account");
  }
  EXPECT_EQ(Ids(ReadAll("/api/v1/accounts/" + alice.id + "/followers", friend_)),
            std::vector<std::string>{friend_.id});
  EXPECT_EQ(Ids(ReadAll("/api/v1/accounts/" + alice.id + "/following", friend_)),
            std::vector<std::string>{public_one.id});
  EXPECT_EQ(Ids(ReadAll("/api/v1/accounts/" + alice.id + "/posts", friend_)),
            std::vector<std::string>{post});
  EXPECT_EQ(Ids(ReadAll("/api/v1/accounts/" + alice.id + "/posts", alice)),
            std::vector<std::string>{post})
      << "the owner sees their own lists";
  EXPECT_EQ(Ids(ReadAll("/api/v1/accounts/" + alice.id + "/followers", alice)),
            std::vector<std::string>{friend_.id});
  // A public account's lists are open to anybody.
  EXPECT_EQ(Ids(ReadAll("/api/v1/accounts/" + public_one.id + "/followers", stranger)),
            std::vector<std::string>{alice.id});

  // An unfollow closes the lists again.
  ASSERT_EQ(Cmd("DELETE", "/api/v1/accounts/" + alice.id + "/follow", friend_).status, 200);
  ExpectError(Query("/api/v1/accounts/" + alice.id + "/posts", friend_), 403, "private_account");
  ExpectError(Query("/api/v1/posts/" + post, friend_), 404, "post_not_found");
}

TEST_P(SocialE2E, BlockingRemovesFollowsBothWaysAndHidesBothProfiles) {
  TestUser alice = NewUser("alice");
  TestUser bob = NewUser("bob");
  TestUser carol = NewUser("carol");
  const std::string post = CreatePost(alice, "before the block");
  const std::string bobs_post = CreatePost(bob, "bob's");
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Follow(alice, bob).status, 200);
  ASSERT_EQ(Follow(bob, alice).status, 200);
  ASSERT_EQ(Follow(carol, alice).status, 200);
  EXPECT_EQ(Account(alice, alice.id)["followers_count"], 2);

  HttpResult block = Cmd("POST", "/api/v1/accounts/" + bob.id + "/block", alice);
  ASSERT_EQ(block.status, 200) << block.body;
  EXPECT_EQ(Obj(block), (Json{{"blocking", true}}));

  EXPECT_EQ(Ids(ReadAll("/api/v1/accounts/" + alice.id + "/followers", alice)),
            std::vector<std::string>{carol.id});
  EXPECT_TRUE(ReadAll("/api/v1/accounts/" + alice.id + "/following", alice).empty());
  Json a = Account(alice, alice.id);
  EXPECT_EQ(a["followers_count"], 1);
  EXPECT_EQ(a["following_count"], 0);
  Json b = Account(carol, bob.id);
  EXPECT_EQ(b["followers_count"], 0);
  EXPECT_EQ(b["following_count"], 0);
  std::vector<std::string> alice_feed = Ids(ReadAll("/api/v1/feed", alice));
  EXPECT_EQ(std::count(alice_feed.begin(), alice_feed.end(), bobs_post), 0)
      << "the blocked user's posts left the feed";

  // The blocked user sees nothing of the blocker, both ways.
  ExpectError(Query("/api/v1/accounts/" + alice.id, bob), 404);
  ExpectError(Query("/api/v1/accounts/" + bob.id, alice), 404);
  ExpectError(Query("/api/v1/posts/" + post, bob), 404, "post_not_found");
  ExpectError(Query("/api/v1/posts/" + bobs_post, alice), 404, "post_not_found");
  ExpectError(Query("/api/v1/accounts/" + alice.id + "/posts", bob), 404);
  ExpectError(Query("/api/v1/accounts/" + alice.id + "/followers", bob), 404);
  ExpectError(Query("/api/v1/accounts/" + bob.id + "/following", alice), 404);

  long before = EventCount();
  ExpectError(Follow(bob, alice), 404);
  ExpectError(Follow(alice, bob), 403, "blocked");
  ExpectError(Cmd("POST", "/api/v1/posts/" + post + "/like", bob), 404, "post_not_found");
  ExpectError(Cmd("POST", "/api/v1/posts/" + post + "/comments", bob, R"({"text":"hey"})"), 404,
              "post_not_found");
  ExpectError(Cmd("POST", "/api/v1/accounts/" + alice.id + "/block", alice), 422,
              "cannot_block_self");
  ExpectError(Cmd("POST", "/api/v1/accounts/77777777/block", alice), 404);
  EXPECT_EQ(EventCount(), before) << "rejected commands append nothing";
  EXPECT_EQ(Obj(Cmd("POST", "/api/v1/accounts/" + bob.id + "/block", alice)),
            (Json{{"blocking", true}}))
      << "blocking twice is not an error";

  HttpResult unblock = Cmd("DELETE", "/api/v1/accounts/" + bob.id + "/block", alice);
  ASSERT_EQ(unblock.status, 200) << unblock.body;
  EXPECT_EQ(Obj(unblock), (Json{{"blocking", false}}));
  EXPECT_EQ(Account(bob, alice.id)["id"], alice.id) << "visible again";
  EXPECT_EQ(GetPost(bob, post)["id"], post);
  EXPECT_EQ(Account(alice, alice.id)["followers_count"], 1)
      << "an unblock does not restore follows";
  EXPECT_EQ(Obj(Follow(bob, alice)), (Json{{"following", true}, {"requested", false}}));
  EXPECT_EQ(Obj(Follow(alice, bob)), (Json{{"following", true}, {"requested", false}}));
  EXPECT_EQ(Account(alice, alice.id)["followers_count"], 2);
}

TEST_P(SocialE2E, BlockingRemovesPendingRequestsBothWays) {
  TestUser alice = NewUser("alice");
  TestUser bob = NewUser("bob");
  SetPrivate(alice, true);
  SetPrivate(bob, true);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Obj(Follow(bob, alice))["requested"], true);
  ASSERT_EQ(Obj(Follow(alice, bob))["requested"], true);
  ASSERT_EQ(Ids(ReadAll("/api/v1/follow-requests", alice)), std::vector<std::string>{bob.id});

  ASSERT_EQ(Cmd("POST", "/api/v1/accounts/" + bob.id + "/block", alice).status, 200);
  EXPECT_TRUE(ReadAll("/api/v1/follow-requests", alice).empty());
  EXPECT_TRUE(ReadAll("/api/v1/follow-requests", bob).empty());
  long before = EventCount();
  ExpectError(Cmd("POST", "/api/v1/follow-requests/" + bob.id + "/approve", alice), 404,
              "request_not_found");
  EXPECT_EQ(EventCount(), before);

  ASSERT_EQ(Cmd("DELETE", "/api/v1/accounts/" + bob.id + "/block", alice).status, 200);
  EXPECT_TRUE(ReadAll("/api/v1/follow-requests", alice).empty())
      << "an unblock restores no request";
  EXPECT_EQ(Account(alice, alice.id)["followers_count"], 0);
}

// ---------------------------------------------------------------------------
// Lists

TEST_P(SocialE2E, ListsArePaginatedAndOrdered) {
  TestUser star = NewUser("star");
  std::vector<TestUser> fans;
  for (int i = 0; i < 7; ++i) fans.push_back(NewUser("fan" + std::to_string(i)));
  ASSERT_FALSE(HasFailure());
  std::vector<std::string> fan_ids;
  for (const TestUser& f : fans) {
    ASSERT_EQ(Follow(f, star).status, 200);
    ASSERT_EQ(Follow(star, f).status, 200);
    fan_ids.push_back(f.id);
  }
  std::vector<std::string> posts;
  for (int i = 0; i < 6; ++i) posts.push_back(CreatePost(star, "post " + std::to_string(i)));
  ASSERT_FALSE(HasFailure());

  const std::vector<std::string> by_id = ByNumericId(fan_ids, false);
  for (int limit : {1, 2, 3, 7, 100}) {
    EXPECT_EQ(Ids(ReadAll("/api/v1/accounts/" + star.id + "/followers", fans[0], limit)), by_id)
        << limit;
    EXPECT_EQ(Ids(ReadAll("/api/v1/accounts/" + star.id + "/following", fans[0], limit)), by_id)
        << limit;
  }
  HttpResult first = Query("/api/v1/accounts/" + star.id + "/followers?limit=3", fans[1]);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(Obj(first)["items"].size(), 3u);
  EXPECT_TRUE(Obj(first)["next_cursor"].is_string());
  HttpResult no_limit = Query("/api/v1/accounts/" + star.id + "/followers", fans[1]);
  EXPECT_EQ(Obj(no_limit)["items"].size(), 7u) << "the default limit is 20";

  // Posts newest first, hydrated like feed items.
  ASSERT_EQ(Cmd("POST", "/api/v1/posts/" + posts[2] + "/like", fans[3]).status, 200);
  ASSERT_EQ(
      Cmd("POST", "/api/v1/posts/" + posts[2] + "/comments", fans[4], R"({"text":"nice"})").status,
      201);
  ASSERT_EQ(Cmd("DELETE", "/api/v1/posts/" + posts[4], star).status, 204);
  std::vector<std::string> expected = {posts[5], posts[3], posts[2], posts[1], posts[0]};
  std::vector<Json> items = ReadAll("/api/v1/accounts/" + star.id + "/posts", fans[3], 2);
  EXPECT_EQ(Ids(items), expected) << "newest first, without the deleted post";
  for (const Json& p : items) {
    ExpectSummary(p["author"], star);
    bool liked_one = Str(p, "id") == posts[2];
    EXPECT_EQ(p["like_count"], liked_one ? 1 : 0) << p;
    EXPECT_EQ(p["comment_count"], liked_one ? 1 : 0) << p;
    EXPECT_EQ(p["liked"], liked_one) << "liked is the viewer's: " << p;
  }
  EXPECT_EQ(Account(fans[0], star.id)["posts_count"], 5);
}

// ---------------------------------------------------------------------------
// The home feed

TEST_P(SocialE2E, FeedHoldsOwnAndFolloweesPostsNewestFirstHydrated) {
  TestUser alice = NewUser("alice");
  TestUser bob = NewUser("bob");
  TestUser carol = NewUser("carol");
  TestUser dave = NewUser("dave");
  SetPrivate(dave, true);
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Follow(alice, bob).status, 200);
  ASSERT_EQ(Follow(alice, dave).status, 200);  // a request only: dave's posts stay out
  const std::string a1 = CreatePost(alice, "alice 1");
  const std::string b1 = CreatePost(bob, "bob 1");
  const std::string c1 = CreatePost(carol, "carol 1");
  const std::string d1 = CreatePost(dave, "dave 1");
  const std::string b2 = CreatePost(bob, "bob 2 #feed");
  const std::string a2 = CreatePost(alice, "alice 2");
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Cmd("POST", "/api/v1/posts/" + b1 + "/like", alice).status, 200);
  ASSERT_EQ(Cmd("POST", "/api/v1/posts/" + b1 + "/like", carol).status, 200);
  ASSERT_EQ(Cmd("POST", "/api/v1/posts/" + b2 + "/comments", carol, R"({"text":"first"})").status,
            201);

  std::vector<Json> feed = ReadAll("/api/v1/feed", alice);
  EXPECT_EQ(Ids(feed), (std::vector<std::string>{a2, b2, b1, a1}))
      << "own and followees' posts, newest first";
  for (const Json& item : feed) {
    const std::string id = Str(item, "id");
    ExpectSummary(item["author"], (id == a1 || id == a2) ? alice : bob);
    EXPECT_EQ(item["like_count"], id == b1 ? 2 : 0) << item;
    EXPECT_EQ(item["comment_count"], id == b2 ? 1 : 0) << item;
    EXPECT_EQ(item["liked"], id == b1) << item;
    EXPECT_TRUE(item["caption"].is_string()) << item;
    EXPECT_TRUE(item["created_at"].is_string()) << item;
  }
  EXPECT_EQ(Ids(ReadAll("/api/v1/feed", bob)), (std::vector<std::string>{b2, b1}))
      << "bob follows nobody";
  EXPECT_EQ(Ids(ReadAll("/api/v1/feed", carol)), std::vector<std::string>{c1});

  // Dave approves: his posts join alice's feed.
  ASSERT_EQ(Cmd("POST", "/api/v1/follow-requests/" + alice.id + "/approve", dave).status, 200);
  EXPECT_EQ(Ids(ReadAll("/api/v1/feed", alice)), (std::vector<std::string>{a2, b2, d1, b1, a1}));
}

TEST_P(SocialE2E, FeedFollowsTheGraphAndDeletes) {
  TestUser alice = NewUser("alice");
  TestUser bob = NewUser("bob");
  TestUser carol = NewUser("carol");
  ASSERT_FALSE(HasFailure());
  std::vector<std::string> bobs, carols;
  for (int i = 0; i < 4; ++i) {
    bobs.push_back(CreatePost(bob, "bob " + std::to_string(i)));
    carols.push_back(CreatePost(carol, "carol " + std::to_string(i)));
  }
  const std::string own = CreatePost(alice, "mine");
  ASSERT_FALSE(HasFailure());
  EXPECT_EQ(Ids(ReadAll("/api/v1/feed", alice)), std::vector<std::string>{own});

  // Following backfills the followee's earlier posts.
  ASSERT_EQ(Follow(alice, bob).status, 200);
  EXPECT_EQ(Ids(ReadAll("/api/v1/feed", alice)),
            ByNumericId({own, bobs[0], bobs[1], bobs[2], bobs[3]}, true));
  ASSERT_EQ(Follow(alice, carol).status, 200);
  std::vector<std::string> all = {own};
  all.insert(all.end(), bobs.begin(), bobs.end());
  all.insert(all.end(), carols.begin(), carols.end());
  EXPECT_EQ(Ids(ReadAll("/api/v1/feed", alice, 3)), ByNumericId(all, true));

  // A new post of a followee arrives on top.
  const std::string fresh = CreatePost(carol, "fresh");
  ASSERT_FALSE(fresh.empty());
  HttpResult top = Query("/api/v1/feed?limit=1", alice);
  EXPECT_EQ(Ids(Items(top)), std::vector<std::string>{fresh}) << top.body;

  // Deleting removes the post from the feed; unfollowing removes the followee's posts.
  ASSERT_EQ(Cmd("DELETE", "/api/v1/posts/" + carols[1], carol).status, 204);
  ASSERT_EQ(Cmd("DELETE", "/api/v1/accounts/" + bob.id + "/follow", alice).status, 200);
  EXPECT_EQ(Ids(ReadAll("/api/v1/feed", alice, 2)),
            ByNumericId({own, carols[0], carols[2], carols[3], fresh}, true));
  // Deleting one's own post removes it from one's own feed.
  ASSERT_EQ(Cmd("DELETE", "/api/v1/posts/" + own, alice).status, 204);
  EXPECT_EQ(Ids(ReadAll("/api/v1/feed", alice)),
            ByNumericId({carols[0], carols[2], carols[3], fresh}, true));
  // An edit shows in the feed.
  ASSERT_EQ(Cmd("PATCH", "/api/v1/posts/" + fresh, carol, R"({"caption":"fresh, edited"})").status,
            200);
  std::vector<Json> feed = ReadAll("/api/v1/feed", alice);
  ASSERT_FALSE(feed.empty());
  EXPECT_EQ(feed[0]["caption"], "fresh, edited");
}

// The feed's cursor is a position, not an offset: posts created between two
// page reads neither shift the later pages (no repeat) nor get skipped, and
// show up on a fresh first page. A small feed cap and celebrity threshold make
// the pages beyond the cap and the read-time merge of a popular author part of
// the walk.
TEST_P(SocialE2E, FeedPaginationNeverSkipsOrRepeatsWhilePostsArrive) {
  StartLens({"--feed-cap", "5", "--celebrity-threshold", "2"});
  TestUser alice = NewUser("alice");
  TestUser bob = NewUser("bob");
  TestUser carol = NewUser("carol");  // a celebrity: four followers
  TestUser dave = NewUser("dave");    // not followed by alice
  std::vector<TestUser> fans;
  for (int i = 0; i < 3; ++i) fans.push_back(NewUser("fan" + std::to_string(i)));
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Follow(alice, bob).status, 200);
  ASSERT_EQ(Follow(alice, carol).status, 200);
  for (const TestUser& f : fans) ASSERT_EQ(Follow(f, carol).status, 200);

  std::vector<std::string> expected;
  const TestUser* authors[] = {&alice, &bob, &carol, &dave};
  for (int i = 0; i < 28; ++i) {
    const TestUser& a = *authors[i % 4];
    std::string id = CreatePost(a, "post " + std::to_string(i));
    if (&a != &dave) expected.push_back(id);
  }
  ASSERT_FALSE(HasFailure());
  expected = ByNumericId(expected, true);

  std::vector<std::string> walked;
  std::vector<std::string> arrived;
  std::string cursor;
  for (int page = 0; page < 50; ++page) {
    std::string target = "/api/v1/feed?limit=4";
    if (!cursor.empty()) target += "&cursor=" + UrlEncode(cursor);
    HttpResult r = Query(target, alice);
    ASSERT_EQ(r.status, 200) << r.body;
    Json j = Obj(r);
    ASSERT_TRUE(j["items"].is_array()) << r.body;
    EXPECT_LE(j["items"].size(), 4u);
    for (const Json& it : j["items"]) walked.push_back(Str(it, "id"));
    if (j["next_cursor"].is_null()) break;
    ASSERT_TRUE(j["next_cursor"].is_string()) << r.body;
    cursor = j["next_cursor"].get<std::string>();
    // New posts of followees (the ordinary one and the celebrity) between page reads.
    arrived.push_back(
        CreatePost(page % 2 ? bob : carol, "arrived while paging " + std::to_string(page)));
    ASSERT_FALSE(HasFailure());
  }
  EXPECT_EQ(walked, expected) << "the walk saw exactly the feed as it was at its first page";

  // A fresh first page starts with the new posts.
  std::vector<std::string> now = expected;
  now.insert(now.end(), arrived.begin(), arrived.end());
  now = ByNumericId(now, true);
  EXPECT_EQ(Ids(ReadAll("/api/v1/feed", alice, 4)), now);
  HttpResult first = Query("/api/v1/feed?limit=" + std::to_string(arrived.size()), alice);
  EXPECT_EQ(Sorted(Ids(Items(first))), Sorted(arrived)) << first.body;
  // The fans' feeds hold the celebrity's posts too (merged at read time).
  std::vector<std::string> carols;
  for (const std::string& id : now) {
    Json p = GetPost(fans[0], id);
    if (p["author"]["id"] == carol.id) carols.push_back(id);
  }
  EXPECT_EQ(Ids(ReadAll("/api/v1/feed", fans[0], 3)), carols);
}

// ---------------------------------------------------------------------------
// Profile counts

TEST_P(SocialE2E, ProfileCountsCountApprovedFollowsAndLivePosts) {
  TestUser alice = NewUser("alice");
  TestUser bob = NewUser("bob");
  TestUser carol = NewUser("carol");
  TestUser dave = NewUser("dave");
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Follow(bob, alice).status, 200);
  ASSERT_EQ(Follow(carol, alice).status, 200);
  ASSERT_EQ(Follow(alice, bob).status, 200);
  SetPrivate(alice, true);  // existing followers stay
  ASSERT_EQ(Obj(Follow(dave, alice))["requested"], true);
  std::string p1 = CreatePost(alice, "one");
  std::string p2 = CreatePost(alice, "two");
  std::string p3 = CreatePost(alice, "three");
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Cmd("DELETE", "/api/v1/posts/" + p2, alice).status, 204);

  for (const TestUser* viewer : {&alice, &bob, &dave}) {
    Json a = Account(*viewer, alice.id);
    EXPECT_EQ(a["followers_count"], 2) << "a pending request is not counted";
    EXPECT_EQ(a["following_count"], 1);
    EXPECT_EQ(a["posts_count"], 2) << "a deleted post is not counted";
  }
  Json b = Account(alice, bob.id);
  EXPECT_EQ(b["followers_count"], 1);
  EXPECT_EQ(b["following_count"], 1);
  EXPECT_EQ(b["posts_count"], 0);
  HttpResult me = Query("/api/v1/accounts/me", carol);
  EXPECT_EQ(Obj(me)["following_count"], 1) << me.body;

  ASSERT_EQ(Cmd("DELETE", "/api/v1/accounts/" + alice.id + "/follow", carol).status, 200);
  ASSERT_EQ(Cmd("POST", "/api/v1/follow-requests/" + dave.id + "/approve", alice).status, 200);
  ASSERT_EQ(Cmd("DELETE", "/api/v1/posts/" + p1, alice).status, 204);
  Json a = Account(bob, alice.id);
  EXPECT_EQ(a["followers_count"], 2);
  EXPECT_EQ(a["posts_count"], 1);
  EXPECT_EQ(Account(dave, dave.id)["following_count"], 1);
  EXPECT_EQ(Account(carol, carol.id)["following_count"], 0);
  (void)p3;
}

// ---------------------------------------------------------------------------
// Idempotency-Key on a social command

TEST_P(SocialE2E, IdempotencyKeyReplaysAPostCreation) {
  TestUser u = NewUser("retrier");
  ASSERT_FALSE(HasFailure());
  const std::string body = R"({"caption":"only once"})";
  HttpResult first = Cmd("POST", "/api/v1/posts", u, body, {{"Idempotency-Key", "post-1"}});
  ASSERT_EQ(first.status, 201) << first.body;
  long events = EventCount();
  HttpResult again = Cmd("POST", "/api/v1/posts", u, body, {{"Idempotency-Key", "post-1"}});
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(Obj(again)["id"], Obj(first)["id"]);
  EXPECT_EQ(again.header("idempotent-replayed"), "true");
  EXPECT_EQ(EventCount(), events);
  EXPECT_EQ(Account(u, u.id)["posts_count"], 1);
}

// ---------------------------------------------------------------------------
// Bad input

TEST_P(SocialE2E, UnknownIdsAndOthersPostsAreRefusedAndAppendNothing) {
  TestUser alice = NewUser("alice");
  TestUser bob = NewUser("bob");
  const std::string post = CreatePost(alice, "mine");
  ASSERT_FALSE(HasFailure());
  const std::string unknown_post = "/api/v1/posts/12345678901";
  const std::string unknown_user = "/api/v1/accounts/12345678901";
  long before = EventCount();

  ExpectError(Query(unknown_post, alice), 404, "post_not_found");
  ExpectError(Query("/api/v1/posts/not-a-number", alice), 404, "post_not_found");
  ExpectError(Cmd("PATCH", unknown_post, alice, R"({"caption":"x"})"), 404, "post_not_found");
  ExpectError(Cmd("DELETE", unknown_post, alice), 404, "post_not_found");
  ExpectError(Cmd("POST", unknown_post + "/like", alice), 404, "post_not_found");
  ExpectError(Cmd("DELETE", unknown_post + "/like", alice), 404, "post_not_found");
  ExpectError(Query(unknown_post + "/likes", alice), 404, "post_not_found");
  ExpectError(Cmd("POST", unknown_post + "/comments", alice, R"({"text":"x"})"), 404,
              "post_not_found");
  ExpectError(Query(unknown_post + "/comments", alice), 404, "post_not_found");
  ExpectError(Cmd("DELETE", "/api/v1/comments/12345678901", alice), 404);
  ExpectError(Cmd("DELETE", "/api/v1/comments/xyz", alice), 404);

  ExpectError(Cmd("POST", unknown_user + "/follow", alice), 404);
  ExpectError(Cmd("POST", "/api/v1/accounts/abc/follow", alice), 404);
  ExpectError(Cmd("POST", unknown_user + "/block", alice), 404);
  ExpectError(Cmd("DELETE", unknown_user + "/block", alice), 404);
  ExpectError(Query(unknown_user + "/followers", alice), 404);
  ExpectError(Query(unknown_user + "/following", alice), 404);
  ExpectError(Query(unknown_user + "/posts", alice), 404);
  ExpectError(Cmd("POST", "/api/v1/follow-requests/12345678901/approve", alice), 404);
  ExpectError(Cmd("POST", "/api/v1/follow-requests/12345678901/reject", alice), 404);

  // Someone else's post.
  ExpectError(Cmd("PATCH", "/api/v1/posts/" + post, bob, R"({"caption":"mine now"})"), 403,
              "forbidden");
  ExpectError(Cmd("DELETE", "/api/v1/posts/" + post, bob), 403, "forbidden");

  // Empty and over-long text.
  ExpectError(Cmd("POST", "/api/v1/posts", alice, R"({"caption":""})"), 422, "empty_post");
  ExpectError(Cmd("PATCH", "/api/v1/posts/" + post, alice,
                  Json{{"caption", std::string(2201, 'x')}}.dump()),
              422, "too_long");
  ExpectError(Cmd("POST", "/api/v1/posts/" + post + "/comments", bob, R"({"text":""})"), 422);
  ExpectError(Cmd("POST", "/api/v1/posts/" + post + "/comments", bob,
                  Json{{"text", std::string(2201, 'x')}}.dump()),
              422, "too_long");
  ExpectError(Cmd("POST", "/api/v1/posts/" + post + "/comments", bob, R"({"text":["x"]})"), 422,
              "invalid_type");
  ExpectError(Cmd("POST", "/api/v1/accounts/" + alice.id + "/follow", alice), 422,
              "cannot_follow_self");
  ExpectError(Cmd("POST", "/api/v1/accounts/" + alice.id + "/block", alice), 422,
              "cannot_block_self");

  // No token.
  EXPECT_EQ(http().Post("/api/v1/posts", R"({"caption":"anonymous"})").status, 401);
  EXPECT_EQ(http().Post("/api/v1/posts/" + post + "/like", "").status, 401);
  EXPECT_EQ(http().Get("/api/v1/feed").status, 401);

  EXPECT_EQ(EventCount(), before) << "no rejected command appended anything";
  EXPECT_EQ(GetPost(bob, post)["caption"], "mine") << "the post is untouched";
  EXPECT_EQ(Account(bob, alice.id)["posts_count"], 1);
}

TEST_P(SocialE2E, MalformedCursorsAndLimitsAreRefused) {
  TestUser alice = NewUser("alice");
  TestUser bob = NewUser("bob");
  const std::string post = CreatePost(alice, "listed");
  ASSERT_FALSE(HasFailure());
  ASSERT_EQ(Follow(bob, alice).status, 200);
  ASSERT_EQ(Cmd("POST", "/api/v1/posts/" + post + "/like", bob).status, 200);
  ASSERT_EQ(Cmd("POST", "/api/v1/posts/" + post + "/comments", bob, R"({"text":"c"})").status, 201);
  long before = EventCount();

  const std::vector<std::string> lists = {
      "/api/v1/feed",
      "/api/v1/accounts/" + alice.id + "/followers",
      "/api/v1/accounts/" + alice.id + "/following",
      "/api/v1/accounts/" + alice.id + "/posts",
      "/api/v1/posts/" + post + "/likes",
      "/api/v1/posts/" + post + "/comments",
      "/api/v1/follow-requests",
  };
  for (const std::string& list : lists) {
    SCOPED_TRACE(list);
    for (const char* cursor : {"!!!", "not%20a%20cursor", "%FF%FE"})
      ExpectError(Query(list + "?cursor=" + cursor, alice), 400, "invalid_cursor");
    for (const char* limit : {"0", "101", "-1", "abc", "1.5", "99999999999999999999"})
      ExpectError(Query(list + "?limit=" + limit, alice), 400, "invalid_limit");
    EXPECT_EQ(Query(list + "?limit=1", alice).status, 200);
    EXPECT_EQ(Query(list + "?limit=100", alice).status, 200);
  }
  EXPECT_EQ(EventCount(), before);
}

INSTANTIATE_TEST_SUITE_P(Backends, SocialE2E, ::testing::Values("embedded", "kafka"), BackendName);

}  // namespace
}  // namespace lens::testing
