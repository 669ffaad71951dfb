// Inboxes and real time end to end (docs/messages-api.md): direct messages
// (1:1, groups, message requests, read markers, unread counts),
// notifications (grouping, undo, blocks, read marker) and the live streams
// (SSE and WebSocket, resume with Last-Event-ID), over real HTTP against
// the real `lens serve` binary, on the embedded log and on Kafka.
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/e2e/lens_fixture.h"
#include "tests/support/stream_client.h"

namespace lens::testing {
namespace {

class InboxE2E : public LensFixture {
 protected:
  std::string Start(const TestUser& u, std::vector<std::string> members, int status = 201,
                    const std::string& name = "") {
    Json body{{"member_ids", members}};
    if (!name.empty()) body["name"] = name;
    HttpResult r = Cmd("POST", "/api/v1/conversations", u, body.dump());
    EXPECT_EQ(r.status, status) << r.body;
    return Str(Obj(r), "id");
  }
  HttpResult Send(const TestUser& u, const std::string& c, const std::string& text,
                  const std::string& client_id = "") {
    Json body{{"text", text}};
    if (!client_id.empty()) body["client_id"] = client_id;
    return Cmd("POST", "/api/v1/conversations/" + c + "/messages", u, body.dump());
  }
  Json Unread(const TestUser& u) { return Obj(Query("/api/v1/conversations/unread_count", u)); }
  std::vector<Json> Notifications(const TestUser& u) {
    return Items(Query("/api/v1/notifications", u));
  }
  std::string CreatePost(const TestUser& u, const std::string& caption) {
    HttpResult r = Cmd("POST", "/api/v1/posts", u, Json{{"caption", caption}}.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    // Returns once the home feeds' projection holds the post: it reads the
    // partitions of posts and follows independently, and these tests order
    // posts and follows on purpose.
    EXPECT_EQ(http()
                  .Get("/api/v1/feed",
                       {Bearer(u.token), {"Consistency-Token", r.header("consistency-token")}})
                  .status,
              200);
    return Str(Obj(r), "id");
  }
};

TEST_P(InboxE2E, TwoUsersExchangeMessagesAndSeeUnreadCountsChange) {
  TestUser alice = CreateUser("alice"), bob = CreateUser("bob"), carol = CreateUser("carol");
  std::string c = Start(alice, {bob.id});
  ASSERT_FALSE(c.empty());
  // The pair's conversation is found again, from either side.
  EXPECT_EQ(Start(alice, {bob.id}, 200), c);
  EXPECT_EQ(Start(bob, {alice.id}, 200), c);

  ASSERT_EQ(Send(alice, c, "hi bob", "m-1").status, 201);
  HttpResult again = Send(alice, c, "hi bob", "m-1");  // a resend lands once
  EXPECT_EQ(again.status, 200) << again.body;
  ASSERT_EQ(Send(alice, c, "are you there?").status, 201);

  Json unread = Unread(bob);
  EXPECT_EQ(unread["unread_count"], 2) << unread;
  EXPECT_EQ(unread["unread_conversations"], 1) << unread;
  EXPECT_EQ(Unread(alice)["unread_count"], 0);
  std::vector<Json> inbox = Items(Query("/api/v1/conversations", bob));
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(Str(inbox[0], "id"), c);
  EXPECT_EQ(inbox[0]["unread_count"], 2);
  EXPECT_EQ(Str(inbox[0]["last_message"], "text"), "are you there?");

  // Newest first, one per page.
  HttpResult page1 = Query("/api/v1/conversations/" + c + "/messages?limit=1", bob);
  ASSERT_EQ(Items(page1).size(), 1u) << page1.body;
  EXPECT_EQ(Str(Items(page1)[0], "text"), "are you there?");
  std::string cursor = Str(Obj(page1), "next_cursor");
  ASSERT_FALSE(cursor.empty());
  HttpResult page2 =
      Query("/api/v1/conversations/" + c + "/messages?limit=1&cursor=" + cursor, bob);
  ASSERT_EQ(Items(page2).size(), 1u) << page2.body;
  EXPECT_EQ(Str(Items(page2)[0], "text"), "hi bob");
  EXPECT_TRUE(Obj(page2)["next_cursor"].is_null()) << page2.body;

  ASSERT_EQ(Cmd("POST", "/api/v1/conversations/" + c + "/read", bob, "{}").status, 200);
  EXPECT_EQ(Unread(bob)["unread_count"], 0);
  ASSERT_EQ(Send(bob, c, "yes!").status, 201);
  EXPECT_EQ(Unread(alice)["unread_count"], 1);
  // The reader's marker shows to the others ("seen").
  Json conv = Obj(Query("/api/v1/conversations/" + c, alice));
  bool bob_read = false;
  for (const Json& m : conv["members"])
    if (Str(m, "id") == bob.id) bob_read = !m["read_up_to"].is_null();
  EXPECT_TRUE(bob_read) << conv;

  // Outsiders and bad input: a JSON error, nothing appended.
  long events = EventCount();
  EXPECT_EQ(Send(carol, c, "let me in").status, 403);
  EXPECT_EQ(Query("/api/v1/conversations/" + c, carol).status, 403);
  EXPECT_EQ(Query("/api/v1/conversations/" + c + "/messages", carol).status, 403);
  EXPECT_EQ(Send(alice, "123456789", "nobody").status, 404);
  EXPECT_EQ(Send(alice, c, "").status, 422);
  EXPECT_EQ(Send(alice, c, std::string(4001, 'x')).status, 422);
  EXPECT_EQ(Cmd("POST", "/api/v1/conversations/" + c + "/messages", alice,
                std::string("{\"text\":\"\xff\xfe\"}"))
                .status,
            400);  // not JSON: JSON text is UTF-8
  EXPECT_EQ(Cmd("POST", "/api/v1/conversations/" + c + "/messages", alice, "{\"text\":").status,
            400);
  EXPECT_EQ(
      Cmd("POST", "/api/v1/conversations", alice, Json{{"member_ids", {"999999999999"}}}.dump())
          .status,
      404);
  EXPECT_EQ(Cmd("POST", "/api/v1/conversations", alice, Json{{"member_ids", Json::array()}}.dump())
                .status,
            422);
  EXPECT_EQ(EventCount(), events);
  EXPECT_EQ(Send(alice, c, std::string(4000, 'x')).status, 201);
}

TEST_P(InboxE2E, BlocksAndPrivateAccountsDecideWhoMayWrite) {
  TestUser alice = CreateUser("alice"), bob = CreateUser("bob"), dave = CreateUser("dave"),
           erin = CreateUser("erin");
  std::string c = Start(alice, {bob.id});
  ASSERT_EQ(Cmd("POST", "/api/v1/accounts/" + alice.id + "/block", bob).status, 200);
  long events = EventCount();
  EXPECT_EQ(Send(alice, c, "hello?").status, 403);
  EXPECT_EQ(Send(bob, c, "go away").status, 403);
  EXPECT_EQ(
      Cmd("POST", "/api/v1/conversations", alice, Json{{"member_ids", {bob.id}}}.dump()).status,
      403);
  EXPECT_EQ(EventCount(), events);

  // A private account that does not follow the sender gets a request.
  for (const TestUser* u : {&dave, &erin})
    ASSERT_EQ(Cmd("PATCH", "/api/v1/accounts/me", *u, Json{{"private", true}}.dump()).status, 200);
  std::string to_dave = Start(alice, {dave.id});
  ASSERT_EQ(Send(alice, to_dave, "hi dave").status, 201);
  EXPECT_TRUE(Items(Query("/api/v1/conversations", dave)).empty());
  std::vector<Json> requests = Items(Query("/api/v1/conversations?folder=requests", dave));
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(Str(requests[0], "id"), to_dave);
  EXPECT_EQ(Unread(dave)["unread_count"], 0);  // requests stay out of the badge
  EXPECT_EQ(Unread(dave)["requests"], 1);
  EXPECT_TRUE(Notifications(dave).empty());
  ASSERT_EQ(Cmd("POST", "/api/v1/conversations/" + to_dave + "/accept", dave).status, 200);
  EXPECT_EQ(Items(Query("/api/v1/conversations", dave)).size(), 1u);
  EXPECT_EQ(Unread(dave)["unread_count"], 1);

  std::string to_erin = Start(alice, {erin.id});
  ASSERT_EQ(Send(alice, to_erin, "hi erin").status, 201);
  ASSERT_EQ(Cmd("POST", "/api/v1/conversations/" + to_erin + "/decline", erin).status, 200);
  EXPECT_EQ(Query("/api/v1/conversations/" + to_erin, erin).status, 403);
  EXPECT_TRUE(Items(Query("/api/v1/conversations?folder=requests", erin)).empty());
  EXPECT_EQ(Cmd("POST", "/api/v1/conversations/" + to_erin + "/accept", erin).status, 404);
  // A follower of the sender is written to directly.
  ASSERT_EQ(Cmd("POST", "/api/v1/accounts/" + alice.id + "/follow", erin).status, 200);
  TestUser frank = CreateUser("frank");
  ASSERT_EQ(Cmd("PATCH", "/api/v1/accounts/me", frank, Json{{"private", true}}.dump()).status, 200);
  ASSERT_EQ(Cmd("POST", "/api/v1/accounts/" + alice.id + "/follow", frank).status, 200);
  std::string to_frank = Start(alice, {frank.id});
  ASSERT_EQ(Send(alice, to_frank, "hi frank").status, 201);
  EXPECT_EQ(Items(Query("/api/v1/conversations", frank)).size(), 1u);
}

TEST_P(InboxE2E, GroupsHaveAdminsMembersWhoLeaveAndJoinLater) {
  TestUser alice = CreateUser("alice"), bob = CreateUser("bob"), carol = CreateUser("carol"),
           dave = CreateUser("dave");
  std::string g = Start(alice, {bob.id, carol.id}, 201, "weekend");
  ASSERT_FALSE(g.empty());
  Json conv = Obj(Query("/api/v1/conversations/" + g, bob));
  EXPECT_EQ(Str(conv, "kind"), "group");
  EXPECT_EQ(Str(conv, "name"), "weekend");
  ASSERT_EQ(Send(bob, g, "before dave").status, 201);
  EXPECT_EQ(Cmd("POST", "/api/v1/conversations/" + g + "/members", bob,
                Json{{"member_ids", {dave.id}}}.dump())
                .status,
            403);
  ASSERT_EQ(Cmd("POST", "/api/v1/conversations/" + g + "/members", alice,
                Json{{"member_ids", {dave.id}}}.dump())
                .status,
            200);
  ASSERT_EQ(Send(carol, g, "after dave").status, 201);
  std::vector<Json> seen = Items(Query("/api/v1/conversations/" + g + "/messages", dave));
  ASSERT_EQ(seen.size(), 1u);  // only what was sent since dave joined
  EXPECT_EQ(Str(seen[0], "text"), "after dave");

  // Removed: nothing more of the group.
  ASSERT_EQ(Cmd("DELETE", "/api/v1/conversations/" + g + "/members/" + carol.id, alice).status,
            204);
  EXPECT_EQ(Query("/api/v1/conversations/" + g + "/messages", carol).status, 403);
  EXPECT_TRUE(Items(Query("/api/v1/conversations", carol)).empty());
  EXPECT_EQ(Send(carol, g, "still here?").status, 403);
  // Bob may leave but not remove others; the last admin leaving promotes one.
  EXPECT_EQ(Cmd("DELETE", "/api/v1/conversations/" + g + "/members/" + dave.id, bob).status, 403);
  ASSERT_EQ(Cmd("DELETE", "/api/v1/conversations/" + g + "/members/" + alice.id, alice).status,
            204);
  conv = Obj(Query("/api/v1/conversations/" + g, bob));
  int admins = 0;
  for (const Json& m : conv["members"]) admins += m.value("admin", false) ? 1 : 0;
  EXPECT_EQ(admins, 1) << conv;
  EXPECT_EQ(conv["members"].size(), 2u) << conv;
  // At most 250 members.
  std::vector<std::string> many;
  for (int i = 0; i < 250; ++i) many.push_back(std::to_string(1000000 + i));
  EXPECT_EQ(Cmd("POST", "/api/v1/conversations", alice, Json{{"member_ids", many}}.dump()).status,
            422);
}

TEST_P(InboxE2E, NotificationsAreGroupedWithdrawnAndMarkedRead) {
  TestUser alice = CreateUser("alice"), bob = CreateUser("bob"), carol = CreateUser("carol");
  std::string post = CreatePost(alice, "sunset with @bob");
  ASSERT_EQ(Cmd("POST", "/api/v1/posts/" + post + "/like", bob).status, 200);
  ASSERT_EQ(Cmd("POST", "/api/v1/posts/" + post + "/like", carol).status, 200);
  ASSERT_EQ(Cmd("POST", "/api/v1/posts/" + post + "/like", alice).status, 200);  // own: none
  HttpResult comment =
      Cmd("POST", "/api/v1/posts/" + post + "/comments", carol, Json{{"text", "wow @bob"}}.dump());
  ASSERT_EQ(comment.status, 201);
  ASSERT_EQ(Cmd("POST", "/api/v1/accounts/" + alice.id + "/follow", bob).status, 200);

  std::vector<Json> n = Notifications(alice);
  std::map<std::string, Json> by_type;
  for (const Json& g : n) by_type[Str(g, "type")] = g;
  ASSERT_EQ(n.size(), 3u) << Json(n);
  EXPECT_EQ(by_type["like"]["count"], 2);
  EXPECT_EQ(by_type["like"]["actors"].size(), 2u);
  EXPECT_EQ(Str(by_type["like"]["actors"][0], "username"), "carol");  // most recent first
  EXPECT_EQ(by_type["comment"]["count"], 1);
  EXPECT_EQ(by_type["follow"]["count"], 1);
  EXPECT_EQ(Obj(Query("/api/v1/notifications/unread_count", alice))["unread_count"], 4);
  std::vector<Json> bobs = Notifications(bob);
  EXPECT_EQ(bobs.size(), 2u) << Json(bobs);  // mentioned in the post and in the comment

  // Undo withdraws: unlike, unfollow, a deleted comment.
  ASSERT_EQ(Cmd("DELETE", "/api/v1/posts/" + post + "/like", carol).status, 200);
  ASSERT_EQ(Cmd("DELETE", "/api/v1/accounts/" + alice.id + "/follow", bob).status, 200);
  ASSERT_EQ(Cmd("DELETE", "/api/v1/comments/" + Str(Obj(comment), "id"), carol).status, 204);
  n = Notifications(alice);
  ASSERT_EQ(n.size(), 1u) << Json(n);
  EXPECT_EQ(Str(n[0], "type"), "like");
  EXPECT_EQ(n[0]["count"], 1);
  EXPECT_EQ(Obj(Query("/api/v1/notifications/unread_count", alice))["unread_count"], 1);
  EXPECT_EQ(Notifications(bob).size(), 1u);

  // Read marker.
  ASSERT_EQ(Cmd("POST", "/api/v1/notifications/read", alice, "{}").status, 200);
  EXPECT_EQ(Obj(Query("/api/v1/notifications/unread_count", alice))["unread_count"], 0);
  EXPECT_EQ(Notifications(alice)[0]["read"], true);
  ASSERT_EQ(Cmd("POST", "/api/v1/posts/" + post + "/like", carol).status, 200);
  EXPECT_EQ(Obj(Query("/api/v1/notifications/unread_count", alice))["unread_count"], 1);
  EXPECT_EQ(Cmd("POST", "/api/v1/notifications/read", alice, "{\"up_to\":12}").status, 422);

  // A block withdraws what each had from the other; a deleted post, its own.
  ASSERT_EQ(Cmd("POST", "/api/v1/accounts/" + carol.id + "/block", alice).status, 200);
  n = Notifications(alice);
  ASSERT_EQ(n.size(), 1u) << Json(n);
  EXPECT_EQ(n[0]["count"], 1);
  EXPECT_EQ(Str(n[0]["actors"][0], "username"), "bob");
  ASSERT_EQ(Cmd("DELETE", "/api/v1/posts/" + post, alice).status, 204);
  EXPECT_TRUE(Notifications(alice).empty());
  EXPECT_TRUE(Notifications(bob).empty());
  EXPECT_EQ(Obj(Query("/api/v1/notifications/unread_count", alice))["unread_count"], 0);

  // Follow requests: requested, then accepted.
  ASSERT_EQ(Cmd("PATCH", "/api/v1/accounts/me", alice, Json{{"private", true}}.dump()).status, 200);
  ASSERT_EQ(Cmd("POST", "/api/v1/accounts/" + alice.id + "/follow", bob).status, 200);
  n = Notifications(alice);
  ASSERT_EQ(n.size(), 1u);
  EXPECT_EQ(Str(n[0], "type"), "follow_request");
  ASSERT_EQ(Cmd("POST", "/api/v1/follow-requests/" + bob.id + "/approve", alice).status, 200);
  EXPECT_TRUE(Notifications(alice).empty());
  n = Notifications(bob);
  ASSERT_EQ(n.size(), 1u) << Json(n);
  EXPECT_EQ(Str(n[0], "type"), "follow_accepted");
}

TEST_P(InboxE2E, NotificationPagesWalkEveryGroupOnceNewestFirst) {
  TestUser alice = CreateUser("alice"), bob = CreateUser("bob"), carol = CreateUser("carol");
  // 6 posts, each liked by bob and commented on by carol: 12 groups.
  std::vector<std::string> posts;
  for (int i = 0; i < 6; ++i) {
    posts.push_back(CreatePost(alice, "post " + std::to_string(i)));
    ASSERT_EQ(Cmd("POST", "/api/v1/posts/" + posts.back() + "/like", bob).status, 200);
    ASSERT_EQ(Cmd("POST", "/api/v1/posts/" + posts.back() + "/comments", carol,
                  Json{{"text", "nice " + std::to_string(i)}}.dump())
                  .status,
              201);
  }
  std::vector<Json> all = Items(Query("/api/v1/notifications?limit=100", alice));
  ASSERT_EQ(all.size(), 12u) << Json(all);

  // Pages of 5: 5, 5, 2, and a group that lands meanwhile (newer than the
  // cursor) neither repeats nor shifts what follows.
  std::vector<Json> walked;
  std::string cursor;
  int pages = 0;
  do {
    std::string target = "/api/v1/notifications?limit=5";
    if (!cursor.empty()) target += "&cursor=" + cursor;
    HttpResult r = Query(target, alice);
    ASSERT_EQ(r.status, 200) << r.body;
    std::vector<Json> page = Items(r);
    ++pages;
    ASSERT_LE(page.size(), 5u);
    walked.insert(walked.end(), page.begin(), page.end());
    cursor = Obj(r)["next_cursor"].is_string() ? Str(Obj(r), "next_cursor") : "";
    if (pages == 1) {
      ASSERT_FALSE(cursor.empty());
      std::string late = CreatePost(alice, "late");
      ASSERT_EQ(Cmd("POST", "/api/v1/posts/" + late + "/like", carol).status, 200);
    }
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(walked.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(Str(walked[i], "id"), Str(all[i], "id")) << i;
    EXPECT_EQ(Str(walked[i], "type"), Str(all[i], "type")) << i;
    EXPECT_EQ(Str(walked[i], "post_id"), Str(all[i], "post_id")) << i;
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < walked.size(); ++i) {
    ids.insert(Str(walked[i], "id"));
    if (i > 0) {
      EXPECT_GT(std::stoull(Str(walked[i - 1], "id")), std::stoull(Str(walked[i], "id")))
          << "newest first";
    }
  }
  EXPECT_EQ(ids.size(), walked.size()) << "no group twice";
  // The oldest group is bob's like of the first post.
  EXPECT_EQ(Str(walked.back(), "type"), "like");
  EXPECT_EQ(Str(walked.back(), "post_id"), posts[0]);
  // The late one is on top of a fresh first page.
  std::vector<Json> fresh = Items(Query("/api/v1/notifications?limit=1", alice));
  ASSERT_EQ(fresh.size(), 1u);
  EXPECT_EQ(Str(fresh[0]["actors"][0], "username"), "carol");
  EXPECT_EQ(Str(fresh[0], "type"), "like");
  EXPECT_EQ(Obj(Query("/api/v1/notifications/unread_count", alice))["unread_count"], 13);

  // Bad page parameters are a 400 and change nothing.
  for (const char* bad : {"?limit=0", "?limit=101", "?limit=x", "?cursor=%%%", "?cursor=zz"}) {
    HttpResult r = Query(std::string("/api/v1/notifications") + bad, alice);
    EXPECT_EQ(r.status, 400) << bad << " " << r.body;
    EXPECT_TRUE(Obj(r).contains("error")) << r.body;
  }
  // Another user's pages are their own.
  EXPECT_TRUE(Items(Query("/api/v1/notifications?limit=100", bob)).empty());
}

TEST_P(InboxE2E, LiveStreamsPushNotificationsMessagesAndFeedItemsAndResumeExactly) {
  TestUser alice = CreateUser("alice"), bob = CreateUser("bob"), carol = CreateUser("carol");
  HttpResult followed = Cmd("POST", "/api/v1/accounts/" + alice.id + "/follow", carol);
  ASSERT_EQ(followed.status, 200);
  std::string post = CreatePost(alice, "live");
  // The follow's notification is in alice's inbox before her streams open
  // (a command is acknowledged once the log holds it, not once the read
  // models have it), so that the first thing they push is the like below.
  ASSERT_EQ(
      http()
          .Get("/api/v1/notifications",
               {Bearer(alice.token), {"Consistency-Token", followed.header("consistency-token")}})
          .status,
      200);

  SseClient sse(lens_->port());
  ASSERT_EQ(sse.Connect("/api/v1/stream", {Bearer(alice.token)}), 200) << sse.body();
  WsClient ws(lens_->port());
  ASSERT_TRUE(ws.Connect("/api/v1/stream/ws?access_token=" + alice.token)) << ws.body();
  SseClient bob_stream(lens_->port());
  ASSERT_EQ(bob_stream.Connect("/api/v1/stream", {Bearer(bob.token)}), 200);

  // A like reaches the liked user's open stream within 100 ms.
  auto liked_at = std::chrono::steady_clock::now();
  ASSERT_EQ(Cmd("POST", "/api/v1/posts/" + post + "/like", bob).status, 200);
  auto acked = std::chrono::steady_clock::now();
  std::optional<StreamEvent> e = sse.Next(5000);
  auto arrived = std::chrono::steady_clock::now();
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->event, "notification");
  EXPECT_EQ(Str(e->json(), "type"), "like");
  EXPECT_EQ(Str(e->json()["actor"], "username"), "bob");
  const double push_ms = std::chrono::duration<double, std::milli>(arrived - acked).count();
  EXPECT_LT(push_ms, 100.0) << "command took "
                            << std::chrono::duration<double, std::milli>(acked - liked_at).count()
                            << " ms";
  std::optional<StreamEvent> w = ws.Next(5000);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->event, "notification");
  EXPECT_EQ(Str(w->json(), "id"), Str(e->json(), "id"));  // the same notification
  // Unlike withdraws it, live.
  ASSERT_EQ(Cmd("DELETE", "/api/v1/posts/" + post + "/like", bob).status, 200);
  e = sse.Next(5000);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->event, "notification.removed");
  // A user receives only their own stream.
  EXPECT_FALSE(bob_stream.Next(300).has_value());

  // A new post of someone carol follows reaches carol's stream as a feed item.
  SseClient carol_stream(lens_->port());
  ASSERT_EQ(carol_stream.Connect("/api/v1/stream?access_token=" + carol.token), 200);
  std::string post2 = CreatePost(alice, "for the followers");
  e = carol_stream.Next(5000);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->event, "feed.item");
  EXPECT_EQ(Str(e->json(), "post_id"), post2);

  // Disconnect; what happens meanwhile arrives after a reconnect, exactly once.
  std::string last = sse.last_event_id();
  ASSERT_FALSE(last.empty());
  sse.Close();
  std::string c = Start(bob, {alice.id});
  ASSERT_EQ(Send(bob, c, "while you were away").status, 201);
  ASSERT_EQ(
      Cmd("POST", "/api/v1/posts/" + post + "/comments", bob, Json{{"text", "missed me?"}}.dump())
          .status,
      201);
  SseClient again(lens_->port());
  ASSERT_EQ(again.Connect("/api/v1/stream", {Bearer(alice.token), {"Last-Event-ID", last}}), 200);
  std::multiset<std::string> got;
  while (auto m = again.Next(1500)) got.insert(m->event + ":" + Str(m->json(), "type"));
  EXPECT_EQ(got, (std::multiset<std::string>{"conversation.updated:", "message:",
                                             "notification:message", "notification:comment"}));

  // Refusals: no token, a forged cursor.
  SseClient anonymous(lens_->port());
  EXPECT_EQ(anonymous.Connect("/api/v1/stream"), 401);
  SseClient forged(lens_->port());
  EXPECT_EQ(forged.Connect("/api/v1/stream", {Bearer(alice.token), {"Last-Event-ID", "x:1"}}), 400);
  WsClient ws_anonymous(lens_->port());
  EXPECT_FALSE(ws_anonymous.Connect("/api/v1/stream/ws"));
  EXPECT_EQ(ws_anonymous.status(), 401);
}

// Celebrities' posts are not fanned out, so no follower's stream log holds
// them: each follower's stream reads them from the celebrities it follows,
// live, resumable by the same cursors, and only while it follows them.
TEST_P(InboxE2E, LiveStreamsCarryTheFollowedCelebritiesPosts) {
  StartLens({"--celebrity-threshold", "2"});
  TestUser alice = CreateUser("alice"), bob = CreateUser("bob"), carol = CreateUser("carol"),
           erin = CreateUser("erin"), fan = CreateUser("fan");
  // A follow is acknowledged once the log holds it, and the home feeds'
  // projection reads the partitions of follows and posts independently:
  // the test waits (Consistency-Token) until the follow is applied there,
  // so that whether the next post is a celebrity's is not a race.
  auto follow = [&](const TestUser& who, const TestUser& whom) {
    HttpResult r = Cmd("POST", "/api/v1/accounts/" + whom.id + "/follow", who);
    ASSERT_EQ(r.status, 200);
    ASSERT_EQ(http()
                  .Get("/api/v1/feed",
                       {Bearer(who.token), {"Consistency-Token", r.header("consistency-token")}})
                  .status,
              200);
  };
  follow(alice, bob);
  follow(alice, carol);
  follow(fan, carol);
  follow(fan, erin);
  ASSERT_FALSE(HasFailure());
  auto feed_items = [](SseClient& s, size_t n) {
    std::multiset<std::string> got;
    while (got.size() < n) {
      std::optional<StreamEvent> e = s.Next(5000);
      if (!e) break;
      if (e->event == "feed.item") got.insert(Str(e->json(), "post_id"));
    }
    return got;
  };
  // The feed items that come within `ms` (other events, such as a follow
  // notification applied after the stream opened, are not the point here).
  auto feed_items_within = [](SseClient& s, int ms) {
    std::multiset<std::string> got;
    while (std::optional<StreamEvent> e = s.Next(ms))
      if (e->event == "feed.item") got.insert(Str(e->json(), "post_id"));
    return got;
  };

  SseClient stream(lens_->port());
  ASSERT_EQ(stream.Connect("/api/v1/stream", {Bearer(alice.token)}), 200) << stream.body();
  SseClient carols_own(lens_->port());
  ASSERT_EQ(carols_own.Connect("/api/v1/stream", {Bearer(carol.token)}), 200);
  // carol has two followers: her first post makes her a celebrity, and
  // alice's open stream starts reading her.
  std::string c1 = CreatePost(carol, "one"), b1 = CreatePost(bob, "ordinary");
  std::string c2 = CreatePost(carol, "two");
  EXPECT_EQ(feed_items(stream, 3), (std::multiset<std::string>{c1, b1, c2}));
  // Not pushed to the author herself.
  EXPECT_TRUE(feed_items_within(carols_own, 300).empty());

  // erin is a celebrity alice does not follow yet: nothing of hers, until
  // alice follows her. From then on, without a reconnect, the stream has
  // what her home feed has: erin's posts since the stream's cursor too.
  std::string e1 = CreatePost(erin, "before");  // erin: one follower, fanned out to fan
  follow(bob, erin);
  std::string e2 = CreatePost(erin, "a celebrity now");
  EXPECT_TRUE(feed_items_within(stream, 300).empty());
  follow(alice, erin);
  std::string e3 = CreatePost(erin, "alice follows");
  EXPECT_EQ(feed_items(stream, 2), (std::multiset<std::string>{e2, e3}));

  // Disconnected: what came meanwhile, exactly once after a reconnect.
  std::string last = stream.last_event_id();
  ASSERT_NE(last.find(";c:"), std::string::npos) << last;
  stream.Close();
  std::string c3 = CreatePost(carol, "while away"), e4 = CreatePost(erin, "also while away");
  SseClient again(lens_->port());
  ASSERT_EQ(again.Connect("/api/v1/stream", {Bearer(alice.token), {"Last-Event-ID", last}}), 200);
  EXPECT_EQ(feed_items(again, 2), (std::multiset<std::string>{c3, e4}));
  EXPECT_TRUE(feed_items_within(again, 300).empty());

  // Unfollowed: her posts stop at once.
  HttpResult unfollowed = Cmd("DELETE", "/api/v1/accounts/" + carol.id + "/follow", alice);
  ASSERT_EQ(unfollowed.status, 200);
  ASSERT_EQ(
      http()
          .Get("/api/v1/feed",
               {Bearer(alice.token), {"Consistency-Token", unfollowed.header("consistency-token")}})
          .status,
      200);
  std::string c4 = CreatePost(carol, "alice left"), e5 = CreatePost(erin, "still followed");
  EXPECT_EQ(feed_items(again, 1), (std::multiset<std::string>{e5}));
  EXPECT_TRUE(feed_items_within(again, 300).empty());

  // A cursor sent before this source existed (no "c" part) still resumes.
  SseClient older(lens_->port());
  const std::string without_c = last.substr(0, last.find(";c:"));
  EXPECT_EQ(older.Connect("/api/v1/stream", {Bearer(alice.token), {"Last-Event-ID", without_c}}),
            200)
      << older.body();
  (void)e1, (void)c4;
}

INSTANTIATE_TEST_SUITE_P(Backends, InboxE2E, ::testing::Values("embedded", "kafka"), BackendName);

}  // namespace
}  // namespace lens::testing
