// Search and discovery end to end (docs/search-api.md): account typeahead,
// caption full text, hashtags, trending tags and suggested accounts, with
// the visibility rules (private accounts, blocks) and bad input, over real
// HTTP against the real `lens serve` binary, on the embedded log and Kafka.
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/lens_fixture.h"

namespace lens::testing {
namespace {


class SearchE2E : public LensFixture {
 protected:
  std::string CreatePost(const TestUser& u, const std::string& caption) {
    HttpResult r = Cmd("POST", "/api/v1/posts", u, Json{{"caption", caption}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return Str(Obj(r), "id");
  }
  void SetProfile(const TestUser& u, const Json& patch) {
    HttpResult r = Cmd("PATCH", "/api/v1/accounts/me", u, patch.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  void Follow(const TestUser& who, const TestUser& whom) {
    HttpResult r = Cmd("POST", "/api/v1/accounts/" + whom.id + "/follow", who);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  // The `field` of each item of a search, in order.
  std::vector<std::string> Field(const std::string& target, const TestUser& u,
                                 const std::string& field) {
    HttpResult r = Query(target, u);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    std::vector<std::string> out;
    for (const Json& item : Items(r)) out.push_back(Str(item, field));
    return out;
  }
  std::vector<std::string> Usernames(const std::string& q, const TestUser& u) {
    return Field("/api/v1/search/accounts?q=" + q, u, "username");
  }
  std::vector<std::string> PostIds(const std::string& q, const TestUser& u,
                                   const std::string& extra = "") {
    return Field("/api/v1/search/posts?q=" + q + extra, u, "id");
  }
  void ExpectError(const HttpResult& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << last_request_ << ": " << r.body;
    EXPECT_EQ(r.error_code(), code) << last_request_ << ": " << r.body;
  }
};

TEST_P(SearchE2E, AccountTypeaheadIsCaseAndAccentInsensitiveAndRanked) {
  TestUser viewer = CreateUser("viewer");
  TestUser zoe = CreateUser("zoe"), zoe_smith = CreateUser("zoe_smith"),
           zoey = CreateUser("zoey"), zoltan = CreateUser("zoltan"),
           keeper = CreateUser("zoo_keeper"), hidden = CreateUser("zorro");
  SetProfile(zoe_smith, Json{{"display_name", "Zoë Smith"}});
  SetProfile(zoey, Json{{"display_name", "ZOEY Adams"}});
  // zoo_keeper is the most followed; the viewer follows zoltan; zorro
  // blocks the viewer.
  std::vector<TestUser> fans;
  for (int i = 0; i < 3; ++i) {
    fans.push_back(CreateUser("fan" + std::to_string(i)));
    Follow(fans.back(), keeper);
  }
  Follow(fans[0], zoey);
  Follow(viewer, zoltan);
  ASSERT_EQ(Cmd("POST", "/api/v1/accounts/" + viewer.id + "/block", hidden).status, 200);

  // Followed first, then by followers, then by username; never the blocker.
  EXPECT_EQ(Usernames("zo", viewer),
            (std::vector<std::string>{"zoltan", "zoo_keeper", "zoey", "zoe", "zoe_smith"}));
  // An exact match comes first, however few follow it; case, accents and a
  // leading '@' do not matter.
  EXPECT_EQ(Usernames("ZOË", viewer), (std::vector<std::string>{"zoe", "zoey", "zoe_smith"}));
  EXPECT_EQ(Usernames("%40Zoe", viewer), (std::vector<std::string>{"zoe", "zoey", "zoe_smith"}));
  // Display names, from any word; a multi-word prefix.
  EXPECT_EQ(Usernames("smi", viewer), (std::vector<std::string>{"zoe_smith"}));
  EXPECT_EQ(Usernames("zoe%20sm", viewer), (std::vector<std::string>{"zoe_smith"}));
  EXPECT_EQ(Usernames("adams", viewer), (std::vector<std::string>{"zoey"}));
  EXPECT_TRUE(Usernames("zorro", viewer).empty()) << "blocked either way: not found";
  EXPECT_EQ(Usernames("zorro", zoe), (std::vector<std::string>{"zorro"}));
  // A renamed display name is found by its new words only.
  SetProfile(zoe_smith, Json{{"display_name", "Zoë Jones"}});
  EXPECT_TRUE(Usernames("smi", viewer).empty());
  EXPECT_EQ(Usernames("jon", viewer), (std::vector<std::string>{"zoe_smith"}));

  HttpResult r = Query("/api/v1/search/accounts?q=zo&limit=2", viewer);
  ASSERT_EQ(r.status, 200);
  std::vector<Json> first = Items(r);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0]["following"], true);
  EXPECT_EQ(first[1]["followers_count"], 3);
  ASSERT_TRUE(Obj(r)["next_cursor"].is_string());
  std::vector<std::string> rest = Field(
      "/api/v1/search/accounts?q=zo&limit=5&cursor=" + Str(Obj(r), "next_cursor"), viewer,
      "username");
  EXPECT_EQ(rest, (std::vector<std::string>{"zoey", "zoe", "zoe_smith"}));
}

TEST_P(SearchE2E, CaptionsAreFoundByRelevanceOrRecencyAndFollowEditsAndDeletes) {
  TestUser alice = CreateUser("alice"), bob = CreateUser("bob");
  std::string long_one = CreatePost(alice, "Sunset over the beach with the whole crew");
  std::string short_one = CreatePost(alice, "Sunset coffee");
  std::string beach = CreatePost(alice, "Beach volleyball, then a SUNSET swim at the beach");
  std::string cafe = CreatePost(alice, "CAFÉ au lait");
  CreatePost(alice, "nothing to see");

  // BM25: the shorter caption outranks the longer; two "beach" outrank one.
  EXPECT_EQ(PostIds("sunset", bob), (std::vector<std::string>{short_one, long_one, beach}));
  EXPECT_EQ(PostIds("beach", bob), (std::vector<std::string>{beach, long_one}));
  // Every word must match; case, accents and punctuation do not matter.
  EXPECT_EQ(PostIds("sunset%20beach", bob), (std::vector<std::string>{beach, long_one}));
  EXPECT_EQ(PostIds("cafe", bob), (std::vector<std::string>{cafe}));
  EXPECT_EQ(PostIds("%23Sunset!%20coffee", bob), (std::vector<std::string>{short_one}));
  // Regex and wildcard characters are text, not operators.
  EXPECT_EQ(PostIds("beach*", bob), (std::vector<std::string>{beach, long_one}));
  EXPECT_TRUE(PostIds(".*", bob).empty());
  EXPECT_TRUE(PostIds("sun", bob).empty()) << "words, not prefixes";
  // Newest first on request, with a cursor.
  EXPECT_EQ(PostIds("sunset", bob, "&sort=recent"),
            (std::vector<std::string>{beach, short_one, long_one}));
  HttpResult page = Query("/api/v1/search/posts?q=sunset&sort=recent&limit=2", bob);
  ASSERT_EQ(Items(page).size(), 2u);
  ASSERT_TRUE(Obj(page)["next_cursor"].is_string()) << page.body;
  EXPECT_EQ(PostIds("sunset", bob, "&sort=recent&cursor=" + Str(Obj(page), "next_cursor")),
            (std::vector<std::string>{long_one}));
  HttpResult relevance_page = Query("/api/v1/search/posts?q=sunset&limit=1", bob);
  ASSERT_TRUE(Obj(relevance_page)["next_cursor"].is_string());
  EXPECT_EQ(PostIds("sunset", bob, "&limit=5&cursor=" + Str(Obj(relevance_page), "next_cursor")),
            (std::vector<std::string>{long_one, beach}));
  // A hit is a hydrated post with its score.
  std::vector<Json> hits = Items(Query("/api/v1/search/posts?q=coffee", bob));
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(Str(hits[0], "caption"), "Sunset coffee");
  EXPECT_EQ(Str(hits[0]["author"], "username"), "alice");
  EXPECT_GT(hits[0]["score"].get<double>(), 0);

  // An edit is searchable at once by its new words only; a delete is gone.
  ASSERT_EQ(Cmd("PATCH", "/api/v1/posts/" + short_one, alice,
                Json{{"caption", "Sunrise tea"}}.dump())
                .status,
            200);
  EXPECT_TRUE(PostIds("coffee", bob).empty());
  EXPECT_EQ(PostIds("tea", bob), (std::vector<std::string>{short_one}));
  ASSERT_EQ(Cmd("DELETE", "/api/v1/posts/" + beach, alice).status, 204);
  EXPECT_EQ(PostIds("sunset", bob), (std::vector<std::string>{long_one}));
  EXPECT_EQ(PostIds("volleyball", bob), std::vector<std::string>{});
}

TEST_P(SearchE2E, PrivateAndBlockedAuthorsNeverAppear) {
  TestUser carol = CreateUser("carol"), bob = CreateUser("bob"), dave = CreateUser("dave"),
           erin = CreateUser("erin");
  SetProfile(carol, Json{{"private", true}});
  std::string secret = CreatePost(carol, "secret garden #hidden");
  std::string open = CreatePost(dave, "open garden #hidden");
  EXPECT_EQ(PostIds("garden", bob), (std::vector<std::string>{open}));
  EXPECT_EQ(PostIds("garden", carol, "&sort=recent"), (std::vector<std::string>{open, secret}))
      << "one's own private posts are found";
  EXPECT_EQ(Field("/api/v1/hashtags/hidden/posts", bob, "id"), (std::vector<std::string>{open}));
  // An approved follower sees them.
  Follow(bob, carol);  // a request
  EXPECT_EQ(PostIds("garden", bob), (std::vector<std::string>{open}));
  ASSERT_EQ(Cmd("POST", "/api/v1/follow-requests/" + bob.id + "/approve", carol).status, 200);
  EXPECT_EQ(PostIds("garden", bob, "&sort=recent"), (std::vector<std::string>{open, secret}));
  EXPECT_EQ(Field("/api/v1/hashtags/hidden/posts", bob, "id"),
            (std::vector<std::string>{open, secret}));
  // A block hides both ways, in every kind of search.
  ASSERT_EQ(Cmd("POST", "/api/v1/accounts/" + bob.id + "/block", dave).status, 200);
  EXPECT_EQ(PostIds("garden", bob, "&sort=recent"), (std::vector<std::string>{secret}));
  EXPECT_EQ(Field("/api/v1/hashtags/hidden/posts", bob, "id"), (std::vector<std::string>{secret}));
  EXPECT_TRUE(Usernames("dave", bob).empty());
  EXPECT_TRUE(Usernames("bob", dave).empty());
  EXPECT_EQ(PostIds("garden", erin), (std::vector<std::string>{open}));
  // The tag's count is of every post; the list is what the viewer may see.
  EXPECT_EQ(Obj(Query("/api/v1/hashtags/hidden/posts", erin))["tag"]["post_count"], 2);
}

TEST_P(SearchE2E, HashtagsByPrefixTheirPostsAndTrending) {
  TestUser alice = CreateUser("alice"), bob = CreateUser("bob");
  std::vector<std::string> travel;
  for (int i = 0; i < 3; ++i) travel.push_back(CreatePost(alice, "day " + std::to_string(i) + " #travel"));
  CreatePost(bob, "#travelgram #Trip");
  CreatePost(bob, "#trip again #TRAVEL");
  std::string gone = CreatePost(bob, "#trapeze");

  HttpResult r = Query("/api/v1/search/hashtags?q=%23TRA", alice);
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<Json> tags = Items(r);
  ASSERT_EQ(tags.size(), 3u) << r.body;
  EXPECT_EQ(Str(tags[0], "name"), "travel");
  EXPECT_EQ(tags[0]["post_count"], 4);
  EXPECT_EQ(Str(tags[1], "name"), "trapeze");  // 1 post each: by name
  EXPECT_EQ(Str(tags[2], "name"), "travelgram");
  EXPECT_EQ(Field("/api/v1/search/hashtags?q=trip", alice, "name"), (std::vector<std::string>{"trip"}));

  // A tag's posts, newest first, a page at a time.
  std::vector<std::string> walked;
  std::string cursor;
  for (int pages = 0; pages < 10; ++pages) {
    HttpResult p = Query("/api/v1/hashtags/travel/posts?limit=3" +
                             (cursor.empty() ? "" : "&cursor=" + cursor),
                         bob);
    ASSERT_EQ(p.status, 200) << p.body;
    for (const Json& item : Items(p)) walked.push_back(Str(item, "id"));
    if (!Obj(p)["next_cursor"].is_string()) break;
    cursor = Str(Obj(p), "next_cursor");
  }
  ASSERT_EQ(walked.size(), 4u);
  EXPECT_EQ(walked[1], travel[2]);
  EXPECT_EQ(walked[3], travel[0]);
  EXPECT_EQ(Obj(Query("/api/v1/hashtags/%23Travel/posts", bob))["tag"]["post_count"], 4);

  // Trending: uses in posts of the last hours (two, in case the test
  // straddles an hour), most first.
  HttpResult t = Query("/api/v1/hashtags/trending?hours=2", alice);
  ASSERT_EQ(t.status, 200) << t.body;
  std::vector<Json> trending = Items(t);
  ASSERT_GE(trending.size(), 4u) << t.body;
  EXPECT_EQ(Str(trending[0], "name"), "travel");
  EXPECT_EQ(trending[0]["uses"], 4);
  EXPECT_EQ(Str(trending[1], "name"), "trip");
  EXPECT_EQ(trending[1]["uses"], 2);
  HttpResult top = Query("/api/v1/hashtags/trending?hours=2&limit=1", alice);
  ASSERT_EQ(Items(top).size(), 1u);
  ASSERT_TRUE(Obj(top)["next_cursor"].is_string());
  std::vector<Json> second =
      Items(Query("/api/v1/hashtags/trending?hours=2&limit=1&cursor=" + Str(Obj(top), "next_cursor"),
                  alice));
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(Str(second[0], "name"), "trip");

  // A deleted post leaves every count.
  ASSERT_EQ(Cmd("DELETE", "/api/v1/posts/" + gone, bob).status, 204);
  EXPECT_EQ(Field("/api/v1/search/hashtags?q=trap", alice, "name"), std::vector<std::string>{});
  EXPECT_TRUE(Field("/api/v1/hashtags/trapeze/posts", alice, "id").empty());
  for (const Json& tag : Items(Query("/api/v1/hashtags/trending?hours=2", alice)))
    EXPECT_NE(Str(tag, "name"), "trapeze");
}

TEST_P(SearchE2E, SuggestedAccountsAreFriendsOfFriendsByMutualFollows) {
  TestUser me = CreateUser("myself"), a = CreateUser("anna"), b = CreateUser("ben"),
           x = CreateUser("xena"), y = CreateUser("yuri"), z = CreateUser("zack"),
           blocked = CreateUser("blocky");
  Follow(me, a);
  Follow(me, b);
  Follow(a, x);
  Follow(b, x);
  Follow(a, y);
  Follow(a, b);  // already followed by me: not suggested
  Follow(b, me);  // me: never suggested
  Follow(b, blocked);
  ASSERT_EQ(Cmd("POST", "/api/v1/accounts/" + me.id + "/block", blocked).status, 200);
  Follow(z, a);  // zack follows anna: a follower of a friend, not a friend of one

  HttpResult r = Query("/api/v1/search/suggested-accounts", me);
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<Json> items = Items(r);
  ASSERT_EQ(items.size(), 2u) << r.body;
  EXPECT_EQ(Str(items[0]["account"], "username"), "xena");
  EXPECT_EQ(items[0]["mutual_count"], 2);
  std::set<std::string> via;
  for (const Json& v : items[0]["followed_by"]) via.insert(Str(v, "username"));
  EXPECT_EQ(via, (std::set<std::string>{"anna", "ben"}));
  EXPECT_EQ(Str(items[1]["account"], "username"), "yuri");
  EXPECT_EQ(items[1]["mutual_count"], 1);
  // Once followed, no longer suggested.
  Follow(me, x);
  std::vector<Json> after = Items(Query("/api/v1/search/suggested-accounts", me));
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(Str(after[0]["account"], "username"), "yuri");
}

TEST_P(SearchE2E, BadQueriesAreRefusedAndTheServerKeepsServing) {
  TestUser alice = CreateUser("alice");
  CreatePost(alice, "hello world");
  for (const std::string route : {"/api/v1/search/accounts", "/api/v1/search/posts",
                                  "/api/v1/search/hashtags"}) {
    ExpectError(Query(route, alice), 400, "missing_query");
    ExpectError(Query(route + "?q=", alice), 422, "empty_query");
    ExpectError(Query(route + "?q=%20%20", alice), 422, "empty_query");
    ExpectError(Query(route + "?q=" + std::string(257, 'a'), alice), 422, "query_too_long");
    ExpectError(Query(route + "?q=a%01b", alice), 400, "invalid_query");
    ExpectError(Query(route + "?q=%FF%FE", alice), 400, "invalid_query");
    ExpectError(Query(route + "?q=ok&limit=0", alice), 400, "invalid_limit");
    ExpectError(Query(route + "?q=ok&cursor=nope", alice), 400, "invalid_cursor");
    EXPECT_EQ(http().Get(route + "?q=hello").status, 401) << route;
  }
  EXPECT_EQ(Query("/api/v1/search/posts?q=" + std::string(256, 'a'), alice).status, 200)
      << "256 characters is the limit, not over it";
  ExpectError(Query("/api/v1/search/posts?q=hello&sort=best", alice), 400, "invalid_sort");
  ExpectError(Query("/api/v1/hashtags/%01/posts", alice), 400, "invalid_query");
  ExpectError(Query("/api/v1/hashtags/trending?hours=0", alice), 400, "invalid_hours");
  ExpectError(Query("/api/v1/hashtags/trending?hours=169", alice), 400, "invalid_hours");
  ExpectError(Query("/api/v1/hashtags/trending?limit=x", alice), 400, "invalid_limit");
  // Characters that mean something to regex or SQL engines are just text.
  for (const char* q : {"%5B", "(a%7C", "%25", "'%3B--", "%5C"})
    EXPECT_EQ(Query(std::string("/api/v1/search/posts?q=") + q, alice).status, 200) << q;
  EXPECT_EQ(PostIds("hello", alice).size(), 1u) << "and it still serves";
}

INSTANTIATE_TEST_SUITE_P(Backends, SearchE2E, ::testing::Values("embedded", "kafka"), BackendName);

}  // namespace
}  // namespace lens::testing
