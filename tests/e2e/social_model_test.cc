// Model test of the social features (docs/social-api.md).
//
// A seeded random sequence of a few thousand commands — follows, unfollows,
// blocks, unblocks, approvals and rejections of follow requests, privacy
// switches, posts, edits, deletes, likes, unlikes, comments and comment
// deletes, valid and invalid — goes one at a time to the real `lens serve`
// over HTTP and to a plain in-memory reference model written from the
// contract. Every answer's status must be what the model expects. At the end
// every user's feed (all pages), followers, following, posts, follow requests
// and profile counts, and every live post's counts, likers and comments must
// equal the model's; then the read models are deleted, rebuilt from offset 0,
// and compared again.
//
// lens runs with a tiny feed cap and celebrity threshold so that the deep
// pages of capped feeds and the read-time merge of popular authors (who cross
// the threshold both ways as follows come and go) are part of what is checked.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tests/e2e/lens_fixture.h"

namespace lens::testing {
namespace {

constexpr int kUsers = 250;
constexpr int kCommands = 3000;
constexpr int kPrivatePercent = 20;
constexpr int kPopular = 12;  // users who draw a large share of the follows: the celebrities
constexpr int kFeedCap = 6;
constexpr int kCelebrityThreshold = 6;
constexpr int kMaxMismatches = 10;
constexpr uint32_t kSeed = 20240607;

std::vector<std::string> LensFlags() {
  return {"--feed-cap", std::to_string(kFeedCap), "--celebrity-threshold",
          std::to_string(kCelebrityThreshold), "--no-fsync"};
}

// ---------------------------------------------------------------------------
// The reference model: the contract as plain data. Users, posts and comments
// are indexes into vectors; the server's ids are kept to talk to it and to
// order things the way the contract does (by id).

struct MPost {
  std::string id;
  uint64_t num = 0;
  int author = 0;
  std::string caption;
  bool edited = false;
  bool deleted = false;
  std::set<int> likers;
};

struct MComment {
  std::string id;
  uint64_t num = 0;
  int post = 0;
  int author = 0;
  bool deleted = false;
};

struct Model {
  std::vector<uint64_t> user_num;
  std::vector<bool> priv;
  std::set<std::pair<int, int>> follows;   // (follower, followee), approved
  std::set<std::pair<int, int>> requests;  // (requester, target), pending
  std::set<std::pair<int, int>> blocks;    // (blocker, blocked)
  std::vector<MPost> posts;
  std::vector<MComment> comments;

  bool Follows(int a, int b) const { return follows.count({a, b}) > 0; }
  bool Requested(int a, int b) const { return requests.count({a, b}) > 0; }
  bool Blocks(int a, int b) const { return blocks.count({a, b}) > 0; }
  bool EitherBlocks(int a, int b) const { return Blocks(a, b) || Blocks(b, a); }

  // The visibility rule: own post, or a public author, or an approved follow;
  // and no block either way.
  bool CanSee(int viewer, int post) const {
    const MPost& p = posts[post];
    if (p.author == viewer) return true;
    if (EitherBlocks(viewer, p.author)) return false;
    return !priv[p.author] || Follows(viewer, p.author);
  }
  bool Live(int viewer, int post) const { return !posts[post].deleted && CanSee(viewer, post); }

  // A block ends follows and follow requests in both directions.
  void Block(int a, int b) {
    blocks.insert({a, b});
    follows.erase({a, b});
    follows.erase({b, a});
    requests.erase({a, b});
    requests.erase({b, a});
  }

  // Going public approves every pending request.
  void MakePublic(int u) {
    priv[u] = false;
    for (auto it = requests.begin(); it != requests.end();) {
      if (it->second == u) {
        follows.insert(*it);
        it = requests.erase(it);
      } else {
        ++it;
      }
    }
  }

  std::vector<int> ByUserId(std::vector<int> v) const {
    std::sort(v.begin(), v.end(), [&](int a, int b) { return user_num[a] < user_num[b]; });
    return v;
  }
  std::vector<int> NewestFirst(std::vector<int> v) const {
    std::sort(v.begin(), v.end(), [&](int a, int b) { return posts[a].num > posts[b].num; });
    return v;
  }

  std::vector<int> Followers(int u) const {
    std::vector<int> out;
    for (const auto& [a, b] : follows)
      if (b == u) out.push_back(a);
    return ByUserId(out);
  }
  std::vector<int> Following(int u) const {
    std::vector<int> out;
    for (const auto& [a, b] : follows)
      if (a == u) out.push_back(b);
    return ByUserId(out);
  }
  std::vector<int> Requesters(int u) const {
    std::vector<int> out;
    for (const auto& [a, b] : requests)
      if (b == u) out.push_back(a);
    return ByUserId(out);
  }
  std::vector<int> PostsOf(int u) const {
    std::vector<int> out;
    for (int i = 0; i < static_cast<int>(posts.size()); ++i)
      if (!posts[i].deleted && posts[i].author == u) out.push_back(i);
    return NewestFirst(out);
  }
  // Own posts and the posts of approved followees, newest first.
  std::vector<int> Feed(int u) const {
    std::vector<int> out;
    for (int i = 0; i < static_cast<int>(posts.size()); ++i)
      if (!posts[i].deleted && (posts[i].author == u || Follows(u, posts[i].author)))
        out.push_back(i);
    return NewestFirst(out);
  }
  // Live comments of a post, oldest first.
  std::vector<int> CommentsOf(int post) const {
    std::vector<int> out;
    for (int i = 0; i < static_cast<int>(comments.size()); ++i)
      if (!comments[i].deleted && comments[i].post == post) out.push_back(i);
    std::sort(out.begin(), out.end(),
              [&](int a, int b) { return comments[a].num < comments[b].num; });
    return out;
  }
  int CommentCount(int post) const { return static_cast<int>(CommentsOf(post).size()); }
};

// ---------------------------------------------------------------------------

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

std::string Abbrev(const std::string& body) {
  return body.size() > 300 ? body.substr(0, 300) + "..." : body;
}

enum Kind {
  kFollow,
  kUnfollow,
  kApprove,
  kReject,
  kBlock,
  kUnblock,
  kTogglePrivate,
  kPost,
  kEditPost,
  kDeletePost,
  kLike,
  kUnlike,
  kComment,
  kDeleteComment,
  kInvalid,
  kKinds
};

// Percent of the commands of each kind (sums to 100).
constexpr int kWeights[kKinds] = {20, 6, 3, 1, 3, 2, 1, 14, 3, 3, 18, 5, 13, 5, 3};
constexpr const char* kKindNames[kKinds] = {
    "follow", "unfollow", "approve", "reject", "block",   "unblock",        "privacy", "post",
    "edit",   "delete",   "like",    "unlike", "comment", "delete comment", "invalid"};

class SocialModelTest : public LensFixture {
 protected:
  int Rand(size_t n) { return static_cast<int>(rng_() % n); }
  bool Chance(int percent) { return Rand(100) < percent; }

  // --- talking to lens -----------------------------------------------------

  HttpResult Send(const std::string& method, const std::string& target, int actor,
                  const std::string& body = "") {
    HttpResult r = http().Request(method, target, body, {Bearer(users_[actor].token)});
    Remember(r);
    return r;
  }

  HttpResult Query(const std::string& target, int viewer) {
    return http().Get(target, ReadHeaders(users_[viewer]));
  }

  // Polls /readyz until lens is ready and every projection has applied the
  // whole log (bounded).
  bool WaitCaughtUp(std::string* last) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (std::chrono::steady_clock::now() < deadline) {
      HttpResult r = http().Get("/readyz");
      *last = r.body;
      Json j = Obj(r);
      bool done = r.status == 200 && j.contains("projections") && j["projections"].is_object();
      if (done)
        for (const auto& [name, p] : j["projections"].items())
          if (!p.is_object() || !p.contains("lag") || p["lag"] != 0) done = false;
      if (done) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // --- reporting -----------------------------------------------------------

  void Mismatch(const std::string& what) {
    ++mismatches_;
    if (mismatches_ <= kMaxMismatches) ADD_FAILURE() << what;
  }
  bool TooMany() const { return mismatches_ >= kMaxMismatches; }

  std::string U(int u) const { return users_[u].username + (m_.priv[u] ? "(private)" : ""); }
  std::string P(int p) const {
    const MPost& post = m_.posts[p];
    return "post " + post.id + " of " + U(post.author) + (post.deleted ? " [deleted]" : "");
  }
  // How a and b stand, for messages.
  std::string Rel(int a, int b) const {
    std::string s = users_[a].username + "->" + users_[b].username + ": ";
    s += m_.Follows(a, b) ? "follows" : m_.Requested(a, b) ? "requested" : "no follow";
    s += m_.Follows(b, a) ? ", followed back" : "";
    if (m_.Blocks(a, b)) s += ", " + users_[a].username + " blocks " + users_[b].username;
    if (m_.Blocks(b, a)) s += ", " + users_[b].username + " blocks " + users_[a].username;
    return s;
  }
  // A readable name for an id: a username for a user, author and state for a post.
  std::string Label(const std::string& id) const {
    if (auto it = user_index_.find(id); it != user_index_.end()) return users_[it->second].username;
    if (auto it = post_index_.find(id); it != post_index_.end()) {
      const MPost& p = m_.posts[it->second];
      return id + "/" + users_[p.author].username + (p.deleted ? "[deleted]" : "");
    }
    return id;
  }
  std::string Labels(const std::vector<std::string>& ids) const {
    std::string s = "[";
    for (size_t i = 0; i < ids.size(); ++i) s += (i ? " " : "") + Label(ids[i]);
    return s + "]";
  }

  // Checks the status of a command's answer against the statuses the model
  // allows; reports and returns false otherwise.
  bool Expect(int step, const std::string& what, const HttpResult& r, std::vector<int> allowed) {
    ++total_;
    ++statuses_[kind_][r.status];
    if (std::find(allowed.begin(), allowed.end(), r.status) != allowed.end()) {
      if (r.status >= 400) ++rejected_;
      return true;
    }
    std::string want;
    for (int s : allowed) want += (want.empty() ? "" : " or ") + std::to_string(s);
    Mismatch("command #" + std::to_string(step) + " " + what + "\n  expected status " + want +
             ", got " + std::to_string(r.status) + " " + Abbrev(r.body));
    return false;
  }
  void ExpectBody(int step, const std::string& what, const HttpResult& r, const Json& want) {
    if (Obj(r) != want)
      Mismatch("command #" + std::to_string(step) + " " + what + "\n  expected body " +
               want.dump() + ", got " + Abbrev(r.body));
  }

  void CompareIds(const std::string& what, const std::vector<std::string>& want,
                  const std::vector<std::string>& got) {
    if (want == got) return;
    std::set<std::string> w(want.begin(), want.end()), g(got.begin(), got.end());
    std::vector<std::string> missing, extra;
    for (const auto& id : want)
      if (!g.count(id)) missing.push_back(id);
    for (const auto& id : got)
      if (!w.count(id)) extra.push_back(id);
    Mismatch(what + "\n  expected (" + std::to_string(want.size()) + "): " + Labels(want) +
             "\n  got      (" + std::to_string(got.size()) + "): " + Labels(got) +
             "\n  missing: " + Labels(missing) + "  extra: " + Labels(extra) +
             (missing.empty() && extra.empty() ? "  (order differs)" : ""));
  }

  void CompareValue(const std::string& what, const Json& want, const Json& got) {
    if (want != got) Mismatch(what + ": expected " + want.dump() + ", got " + got.dump());
  }

  // --- set-up --------------------------------------------------------------

  void RegisterUsers() {
    m_.user_num.resize(kUsers);
    m_.priv.assign(kUsers, false);
    for (int i = 0; i < kUsers; ++i) {
      char name[16];
      std::snprintf(name, sizeof(name), "user%03d", i);
      TestUser u{"", name, std::string("pw-") + name + "-secret", ""};
      HttpResult r = http().Post("/api/v1/accounts", Json{{"username", u.username},
                                                          {"email", u.username + "@example.com"},
                                                          {"password", u.password}}
                                                         .dump());
      ASSERT_EQ(r.status, 201) << r.body;
      Remember(r);
      u.id = Str(Obj(r), "id");
      HttpResult s = http().Post("/api/v1/sessions",
                                 Json{{"username", u.username}, {"password", u.password}}.dump());
      ASSERT_EQ(s.status, 201) << s.body;
      Remember(s);
      u.token = Str(Obj(s), "token");
      m_.user_num[i] = std::stoull(u.id);
      user_index_[u.id] = i;
      users_.push_back(u);
    }
    for (int i = 0; i < kUsers; ++i) {
      if (!Chance(kPrivatePercent)) continue;
      HttpResult r = Send("PATCH", "/api/v1/accounts/me", i, R"({"private":true})");
      ASSERT_EQ(r.status, 200) << r.body;
      m_.priv[i] = true;
    }
  }

  // --- the random commands -------------------------------------------------

  Kind PickKind() {
    int r = Rand(100);
    for (int k = 0; k < kKinds; ++k) {
      if (r < kWeights[k]) return static_cast<Kind>(k);
      r -= kWeights[k];
    }
    return kPost;
  }

  int OtherUser(int a) {
    for (;;) {
      int t = Chance(40) ? Rand(kPopular) : Rand(kUsers);
      if (t != a) return t;
    }
  }

  // Mostly a post the actor can act on, sometimes any post (deleted or
  // invisible ones included): those must be refused.
  int PickPost(int actor) {
    if (m_.posts.empty()) return -1;
    if (Chance(75)) {
      std::vector<int> live;
      for (int i = 0; i < static_cast<int>(m_.posts.size()); ++i)
        if (m_.Live(actor, i)) live.push_back(i);
      if (!live.empty()) return live[Rand(live.size())];
    }
    return Rand(m_.posts.size());
  }

  std::string Caption() {
    static const char* kWords[] = {"sunset",  "coffee",  "Cats", "beach", "city",
                                   "friends", "morning", "rain", "food",  "lens"};
    std::string s;
    int n = 1 + Rand(6);
    for (int i = 0; i < n; ++i) {
      if (i) s += ' ';
      int r = Rand(10);
      if (r == 0) {
        s += std::string("#") + kWords[Rand(10)];
      } else if (r == 1) {
        s += "@" + users_[Rand(kUsers)].username;
      } else {
        s += kWords[Rand(10)];
      }
    }
    return s;
  }

  void Step(int step) {
    Kind kind = PickKind();
    kind_ = kind;
    int a = Rand(kUsers);
    switch (kind) {
      case kFollow: {
        int b = OtherUser(a);
        // Now and then across a block, either way: those follows are refused.
        std::vector<int> blocked;
        for (const auto& [x, y] : m_.blocks)
          if (x == a || y == a) blocked.push_back(x == a ? y : x);
        if (!blocked.empty() && Chance(20)) b = blocked[Rand(blocked.size())];
        std::string what = "follow " + U(a) + " -> " + U(b) + " (" + Rel(a, b) + ")";
        HttpResult r = Send("POST", "/api/v1/accounts/" + users_[b].id + "/follow", a);
        if (m_.Blocks(b, a) && m_.Blocks(a, b)) {
          Expect(step, what, r, {403, 404});
        } else if (m_.Blocks(b, a)) {
          Expect(step, what, r, {404});
        } else if (m_.Blocks(a, b)) {
          Expect(step, what, r, {403});
        } else {
          if (!m_.Follows(a, b) && !m_.Requested(a, b)) {
            if (m_.priv[b]) {
              m_.requests.insert({a, b});
            } else {
              m_.follows.insert({a, b});
            }
          }
          if (Expect(step, what, r, {200}))
            ExpectBody(step, what, r,
                       {{"following", m_.Follows(a, b)}, {"requested", m_.Requested(a, b)}});
        }
        return;
      }
      case kUnfollow: {
        std::vector<int> mine;
        for (const auto& [x, y] : m_.follows)
          if (x == a) mine.push_back(y);
        for (const auto& [x, y] : m_.requests)
          if (x == a) mine.push_back(y);
        int b = !mine.empty() && Chance(75) ? mine[Rand(mine.size())] : OtherUser(a);
        std::string what = "unfollow " + U(a) + " -> " + U(b) + " (" + Rel(a, b) + ")";
        HttpResult r = Send("DELETE", "/api/v1/accounts/" + users_[b].id + "/follow", a);
        if (m_.EitherBlocks(a, b)) {
          // Nothing to undo; the contract leaves open whether a blocked pair sees a no-op or a
          // 404/403.
          Expect(step, what, r, {200, 403, 404});
          return;
        }
        m_.follows.erase({a, b});
        m_.requests.erase({a, b});
        if (Expect(step, what, r, {200}))
          ExpectBody(step, what, r, {{"following", false}, {"requested", false}});
        return;
      }
      case kApprove:
      case kReject: {
        int target = a, requester = -1;
        if (!m_.requests.empty() && Chance(60)) {
          auto it = m_.requests.begin();
          std::advance(it, Rand(m_.requests.size()));
          requester = it->first;
          target = it->second;
        } else {
          requester = OtherUser(target);
        }
        bool approve = kind == kApprove;
        std::string what = std::string(approve ? "approve" : "reject") + " by " + U(target) +
                           " of " + U(requester) + " (" + Rel(requester, target) + ")";
        HttpResult r = Send(
            "POST",
            "/api/v1/follow-requests/" + users_[requester].id + (approve ? "/approve" : "/reject"),
            target);
        if (!m_.Requested(requester, target)) {
          Expect(step, what, r, {404});
          return;
        }
        m_.requests.erase({requester, target});
        if (approve) m_.follows.insert({requester, target});
        if (Expect(step, what, r, {200}))
          ExpectBody(step, what, r, approve ? Json{{"approved", true}} : Json{{"rejected", true}});
        return;
      }
      case kBlock: {
        int b = OtherUser(a);
        std::string what = "block " + U(a) + " -> " + U(b) + " (" + Rel(a, b) + ")";
        HttpResult r = Send("POST", "/api/v1/accounts/" + users_[b].id + "/block", a);
        if (m_.Blocks(b, a) && !m_.Blocks(a, b)) {
          // Blocking back someone who blocked you: open in the contract (200, or 404 as the
          // profile is hidden); the model follows the answer.
          if (Expect(step, what, r, {200, 404}) && r.status == 200) m_.Block(a, b);
          return;
        }
        m_.Block(a, b);
        if (Expect(step, what, r, {200})) ExpectBody(step, what, r, {{"blocking", true}});
        return;
      }
      case kUnblock: {
        int b;
        if (!m_.blocks.empty() && Chance(75)) {
          auto it = m_.blocks.begin();
          std::advance(it, Rand(m_.blocks.size()));
          a = it->first;
          b = it->second;
        } else {
          b = OtherUser(a);
        }
        std::string what = "unblock " + U(a) + " -> " + U(b) + " (" + Rel(a, b) + ")";
        HttpResult r = Send("DELETE", "/api/v1/accounts/" + users_[b].id + "/block", a);
        if (!m_.Blocks(a, b) && m_.Blocks(b, a)) {
          Expect(step, what, r, {200, 404});  // a no-op either way
          return;
        }
        m_.blocks.erase({a, b});
        if (Expect(step, what, r, {200})) ExpectBody(step, what, r, {{"blocking", false}});
        return;
      }
      case kTogglePrivate: {
        bool to_private = !m_.priv[a];
        std::string what = "make " + U(a) + (to_private ? " private" : " public");
        HttpResult r =
            Send("PATCH", "/api/v1/accounts/me", a, Json{{"private", to_private}}.dump());
        Expect(step, what, r, {200});
        if (to_private) {
          m_.priv[a] = true;
        } else {
          m_.MakePublic(a);
        }
        return;
      }
      case kPost: {
        std::string caption = Caption();
        HttpResult r = Send("POST", "/api/v1/posts", a, Json{{"caption", caption}}.dump());
        if (!Expect(step, "post by " + U(a), r, {201})) return;
        MPost p;
        p.id = Str(Obj(r), "id");
        if (p.id.empty() || p.id.find_first_not_of("0123456789") != std::string::npos) {
          Mismatch("command #" + std::to_string(step) + " post: no id in " + Abbrev(r.body));
          return;
        }
        p.num = std::stoull(p.id);
        p.author = a;
        p.caption = caption;
        post_index_[p.id] = static_cast<int>(m_.posts.size());
        m_.posts.push_back(p);
        return;
      }
      case kEditPost:
      case kDeletePost: {
        if (m_.posts.empty()) return;
        int p = -1;
        std::vector<int> own = m_.PostsOf(a), own_deleted;
        for (int i = 0; i < static_cast<int>(m_.posts.size()); ++i)
          if (m_.posts[i].author == a && m_.posts[i].deleted) own_deleted.push_back(i);
        int pick = Rand(100);
        if (pick < 75 && !own.empty()) {
          p = own[Rand(own.size())];
        } else if (pick < 85 && !own_deleted.empty()) {
          p = own_deleted[Rand(own_deleted.size())];
        } else {
          p = Rand(m_.posts.size());
        }
        MPost& post = m_.posts[p];
        bool edit = kind == kEditPost;
        std::string caption = Caption();
        std::string what = std::string(edit ? "edit" : "delete") + " by " + U(a) + " of " + P(p) +
                           " (" + Rel(a, post.author) + ")";
        HttpResult r =
            edit ? Send("PATCH", "/api/v1/posts/" + post.id, a, Json{{"caption", caption}}.dump())
                 : Send("DELETE", "/api/v1/posts/" + post.id, a);
        if (post.author != a) {
          // Someone else's post is 403; a deleted or invisible one may instead be 404.
          if (post.deleted || !m_.CanSee(a, p)) {
            Expect(step, what, r, {403, 404});
          } else {
            Expect(step, what, r, {403});
          }
          return;
        }
        if (post.deleted) {
          Expect(step, what, r, {404});
          return;
        }
        Expect(step, what, r, {edit ? 200 : 204});
        if (edit) {
          post.caption = caption;
          post.edited = true;
        } else {
          post.deleted = true;
        }
        return;
      }
      case kLike:
      case kUnlike: {
        bool like = kind == kLike;
        int p = -1;
        if (!like && Chance(70)) {
          std::vector<int> liked;
          for (int i = 0; i < static_cast<int>(m_.posts.size()); ++i)
            if (m_.posts[i].likers.count(a) && !m_.posts[i].deleted) liked.push_back(i);
          if (!liked.empty()) p = liked[Rand(liked.size())];
        }
        if (p < 0) p = PickPost(a);
        if (p < 0) return;
        std::string what = std::string(like ? "like" : "unlike") + " by " + U(a) + " of " + P(p) +
                           " (" + Rel(a, m_.posts[p].author) + ", " +
                           (m_.posts[p].likers.count(a) ? "liked" : "not liked") + ")";
        HttpResult r =
            Send(like ? "POST" : "DELETE", "/api/v1/posts/" + m_.posts[p].id + "/like", a);
        if (!like && !m_.posts[p].deleted && !m_.CanSee(a, p) && m_.posts[p].likers.count(a)) {
          // Taking back one's like of a post one no longer sees: the contract is silent (lens
          // allows it); the model follows the answer.
          if (Expect(step, what, r, {200, 404}) && r.status == 200) m_.posts[p].likers.erase(a);
          return;
        }
        if (!m_.Live(a, p)) {
          Expect(step, what, r, {404});
          return;
        }
        if (like) {
          m_.posts[p].likers.insert(a);
        } else {
          m_.posts[p].likers.erase(a);
        }
        if (Expect(step, what, r, {200})) ExpectBody(step, what, r, {{"liked", like}});
        return;
      }
      case kComment: {
        int p = PickPost(a);
        if (p < 0) return;
        std::string what =
            "comment by " + U(a) + " on " + P(p) + " (" + Rel(a, m_.posts[p].author) + ")";
        HttpResult r = Send("POST", "/api/v1/posts/" + m_.posts[p].id + "/comments", a,
                            Json{{"text", "c" + std::to_string(step) + " " + Caption()}}.dump());
        if (!m_.Live(a, p)) {
          Expect(step, what, r, {404});
          return;
        }
        if (!Expect(step, what, r, {201})) return;
        MComment c;
        c.id = Str(Obj(r), "id");
        if (c.id.empty() || c.id.find_first_not_of("0123456789") != std::string::npos) {
          Mismatch("command #" + std::to_string(step) + " comment: no id in " + Abbrev(r.body));
          return;
        }
        c.num = std::stoull(c.id);
        c.post = p;
        c.author = a;
        m_.comments.push_back(c);
        return;
      }
      case kDeleteComment: {
        if (m_.comments.empty()) return;
        int c = -1;
        if (Chance(85)) {
          std::vector<int> live;
          for (int i = 0; i < static_cast<int>(m_.comments.size()); ++i)
            if (!m_.comments[i].deleted && !m_.posts[m_.comments[i].post].deleted)
              live.push_back(i);
          if (!live.empty()) c = live[Rand(live.size())];
        }
        if (c < 0) c = Rand(m_.comments.size());
        MComment& comment = m_.comments[c];
        const MPost& post = m_.posts[comment.post];
        int who = Rand(100);
        a = who < 45 ? comment.author : who < 75 ? post.author : a;
        std::string what = "delete comment " + comment.id + (comment.deleted ? " [deleted]" : "") +
                           " of " + U(comment.author) + " by " + U(a) + " on " + P(comment.post) +
                           " (" + Rel(a, post.author) + ")";
        HttpResult r = Send("DELETE", "/api/v1/comments/" + comment.id, a);
        if (comment.deleted) {
          Expect(step, what, r, {404});
        } else if (post.deleted) {
          // The post is gone, and with it what the model compares.
          if (Expect(step, what, r, {404, 403, 204}) && r.status == 204) comment.deleted = true;
        } else if (a == post.author) {
          Expect(step, what, r, {204});
          comment.deleted = true;
        } else if (a == comment.author) {
          if (m_.CanSee(a, comment.post)) {
            Expect(step, what, r, {204});
            comment.deleted = true;
          } else if (Expect(step, what, r, {204, 404}) && r.status == 204) {
            // Own comment on a post no longer visible: the contract leaves this open.
            comment.deleted = true;
          }
        } else {
          Expect(step, what, r,
                 m_.CanSee(a, comment.post) ? std::vector<int>{403} : std::vector<int>{403, 404});
        }
        return;
      }
      case kInvalid: {
        switch (Rand(7)) {
          case 0:
            Expect(step, "follow self " + U(a),
                   Send("POST", "/api/v1/accounts/" + users_[a].id + "/follow", a), {422});
            return;
          case 1:
            Expect(step, "block self " + U(a),
                   Send("POST", "/api/v1/accounts/" + users_[a].id + "/block", a), {422});
            return;
          case 2:
            Expect(step, "empty post by " + U(a),
                   Send("POST", "/api/v1/posts", a, R"({"caption":""})"), {422});
            return;
          case 3:
          case 4: {
            int p = PickPost(a);
            if (p < 0) return;
            std::string text = Rand(2) ? "" : std::string(2201, 'x');
            std::string what = "comment of " + std::to_string(text.size()) + " characters by " +
                               U(a) + " on " + P(p) + " (" + Rel(a, m_.posts[p].author) + ")";
            HttpResult r = Send("POST", "/api/v1/posts/" + m_.posts[p].id + "/comments", a,
                                Json{{"text", text}}.dump());
            Expect(step, what, r,
                   m_.Live(a, p) ? std::vector<int>{422} : std::vector<int>{404, 422});
            return;
          }
          case 5:
            Expect(step, "like of an unknown post by " + U(a),
                   Send("POST", "/api/v1/posts/1/like", a), {404});
            return;
          default:
            Expect(step, "follow of an unknown account by " + U(a),
                   Send("POST", "/api/v1/accounts/2/follow", a), {404});
            return;
        }
      }
      case kKinds:
        return;
    }
  }

  // --- comparing -----------------------------------------------------------

  // Every page of a list, `limit` items at a time; a refused or malformed page,
  // an item seen twice or a cursor chain that does not end is a mismatch.
  std::vector<Json> ReadAll(const std::string& path, int viewer, int limit) {
    std::vector<Json> items;
    std::set<std::string> seen;
    std::string cursor;
    const char* sep = path.find('?') == std::string::npos ? "?" : "&";
    for (int page = 0; page < 1000; ++page) {
      std::string target = path + sep + "limit=" + std::to_string(limit);
      if (!cursor.empty()) target += "&cursor=" + UrlEncode(cursor);
      HttpResult r = Query(target, viewer);
      Json j = Obj(r);
      if (r.status != 200 || !j.contains("items") || !j["items"].is_array() ||
          !j.contains("next_cursor") || j["items"].size() > static_cast<size_t>(limit)) {
        Mismatch("GET " + target + " as " + U(viewer) + " -> " + std::to_string(r.status) + " " +
                 Abbrev(r.body));
        return items;
      }
      for (const Json& it : j["items"]) {
        if (!seen.insert(Str(it, "id")).second) {
          Mismatch(path + " as " + U(viewer) + ": " + Label(Str(it, "id")) + " repeated on page " +
                   std::to_string(page + 1));
        }
        items.push_back(it);
      }
      if (j["next_cursor"].is_null()) return items;
      if (!j["next_cursor"].is_string()) {
        Mismatch(path + ": next_cursor is neither null nor a string: " + Abbrev(r.body));
        return items;
      }
      cursor = j["next_cursor"].get<std::string>();
    }
    Mismatch(path + " as " + U(viewer) + ": the cursor chain did not end");
    return items;
  }

  static std::vector<std::string> Ids(const std::vector<Json>& items) {
    std::vector<std::string> ids;
    for (const Json& it : items) ids.push_back(Str(it, "id"));
    return ids;
  }
  std::vector<std::string> UserIds(const std::vector<int>& v) const {
    std::vector<std::string> ids;
    for (int u : v) ids.push_back(users_[u].id);
    return ids;
  }
  std::vector<std::string> PostIds(const std::vector<int>& v) const {
    std::vector<std::string> ids;
    for (int p : v) ids.push_back(m_.posts[p].id);
    return ids;
  }

  // A post as a viewer gets it (feed item, posts-list item or GET /posts/{id}).
  void CompareHydrated(const std::string& where, int viewer, const Json& item) {
    auto it = post_index_.find(Str(item, "id"));
    if (it == post_index_.end()) return;  // reported by the id comparison
    const MPost& p = m_.posts[it->second];
    std::string what = where + ", " + P(it->second);
    CompareValue(what + " author.id", users_[p.author].id,
                 item.contains("author") ? item["author"].value("id", Json()) : Json());
    CompareValue(what + " like_count", static_cast<int>(p.likers.size()),
                 item.value("like_count", Json()));
    CompareValue(what + " comment_count", m_.CommentCount(it->second),
                 item.value("comment_count", Json()));
    CompareValue(what + " liked", p.likers.count(viewer) > 0, item.value("liked", Json()));
  }

  void Compare(const std::string& phase) {
    for (int u = 0; u < kUsers && !TooMany(); ++u) {
      const std::string who = phase + ": " + U(u);
      const std::string base = "/api/v1/accounts/" + users_[u].id;

      HttpResult profile = Query(base, u);
      Json prof = Obj(profile);
      if (profile.status != 200) {
        Mismatch(who + " GET " + base + " -> " + std::to_string(profile.status) + " " +
                 Abbrev(profile.body));
        continue;
      }
      CompareValue(who + " followers_count", static_cast<int>(m_.Followers(u).size()),
                   prof.value("followers_count", Json()));
      CompareValue(who + " following_count", static_cast<int>(m_.Following(u).size()),
                   prof.value("following_count", Json()));
      CompareValue(who + " posts_count", static_cast<int>(m_.PostsOf(u).size()),
                   prof.value("posts_count", Json()));
      CompareValue(who + " private", static_cast<bool>(m_.priv[u]), prof.value("private", Json()));

      CompareIds(who + " followers", UserIds(m_.Followers(u)),
                 Ids(ReadAll(base + "/followers", u, 10)));
      CompareIds(who + " following", UserIds(m_.Following(u)),
                 Ids(ReadAll(base + "/following", u, 10)));
      std::vector<std::string> requests = Ids(ReadAll("/api/v1/follow-requests", u, 10));
      std::sort(requests.begin(), requests.end());
      std::vector<std::string> want_requests = UserIds(m_.Requesters(u));
      std::sort(want_requests.begin(), want_requests.end());
      CompareIds(who + " follow requests (as a set)", want_requests, requests);

      std::vector<Json> posts = ReadAll(base + "/posts", u, 10);
      CompareIds(who + " posts", PostIds(m_.PostsOf(u)), Ids(posts));
      for (const Json& item : posts) CompareHydrated(who + " posts list", u, item);

      std::vector<Json> feed = ReadAll("/api/v1/feed", u, 7);
      CompareIds(who + " feed (" + std::to_string(m_.Following(u).size()) + " followees)",
                 PostIds(m_.Feed(u)), Ids(feed));
      for (const Json& item : feed) CompareHydrated(who + " feed", u, item);
    }

    for (int p = 0; p < static_cast<int>(m_.posts.size()) && !TooMany(); ++p) {
      const MPost& post = m_.posts[p];
      if (post.deleted) continue;
      // The author always sees their own post; likers and commenters on
      // either side of a block with the author may or may not be listed to
      // them (the contract does not say), so they are left out of the
      // list comparisons, not out of the counts.
      const int viewer = post.author;
      const std::string what = phase + ": " + P(p);
      HttpResult r = Query("/api/v1/posts/" + post.id, viewer);
      if (r.status != 200) {
        Mismatch(what + " GET -> " + std::to_string(r.status) + " " + Abbrev(r.body));
        continue;
      }
      Json j = Obj(r);
      CompareHydrated(what + " GET", viewer, j);
      CompareValue(what + " caption", post.caption, j.value("caption", Json()));
      CompareValue(what + " edited", post.edited,
                   j.contains("edited_at") && j["edited_at"].is_string());

      auto ambiguous = [&](const std::string& user_id) {
        auto it = user_index_.find(user_id);
        return it != user_index_.end() && m_.EitherBlocks(it->second, viewer);
      };
      std::vector<std::string> want_likers, got_likers;
      for (int u : m_.ByUserId({post.likers.begin(), post.likers.end()}))
        if (!m_.EitherBlocks(u, viewer)) want_likers.push_back(users_[u].id);
      for (const std::string& id : Ids(ReadAll("/api/v1/posts/" + post.id + "/likes", viewer, 25)))
        if (!ambiguous(id)) got_likers.push_back(id);
      CompareIds(what + " likers", want_likers, got_likers);

      std::vector<std::string> want_comments, got_comments;
      for (int c : m_.CommentsOf(p))
        if (!m_.EitherBlocks(m_.comments[c].author, viewer))
          want_comments.push_back(m_.comments[c].id);
      for (const Json& c : ReadAll("/api/v1/posts/" + post.id + "/comments", viewer, 25)) {
        std::string author =
            c.contains("author") && c["author"].is_object() ? Str(c["author"], "id") : "";
        if (!ambiguous(author)) got_comments.push_back(Str(c, "id"));
      }
      CompareIds(what + " comments (oldest first)", want_comments, got_comments);
    }
  }

  std::mt19937 rng_{kSeed};
  Model m_;
  std::vector<TestUser> users_;
  std::unordered_map<std::string, int> user_index_, post_index_;
  int mismatches_ = 0;
  int total_ = 0;
  int rejected_ = 0;
  Kind kind_ = kKinds;
  std::map<int, std::map<int, int>> statuses_;  // kind -> HTTP status -> answers
};

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

TEST_P(SocialModelTest, RandomCommandsAgreeWithTheReferenceModelBeforeAndAfterReplay) {
  StartLens(LensFlags());
  std::string readyz;
  ASSERT_TRUE(WaitCaughtUp(&readyz)) << readyz;

  auto t0 = std::chrono::steady_clock::now();
  RegisterUsers();
  ASSERT_FALSE(HasFailure());
  for (int step = 0; step < kCommands; ++step) {
    Step(step);
    if (TooMany()) FAIL() << "stopped after " << mismatches_ << " mismatches at command #" << step;
  }
  const double run_s = SecondsSince(t0);

  // What the sequence exercised: refusals, celebrities and capped feeds.
  int live_posts = 0, celebrities = 0, deep_feeds = 0, likes = 0, live_comments = 0;
  for (const MPost& p : m_.posts)
    if (!p.deleted) {
      ++live_posts;
      likes += static_cast<int>(p.likers.size());
    }
  for (const MComment& c : m_.comments) live_comments += c.deleted ? 0 : 1;
  for (int u = 0; u < kUsers; ++u) {
    celebrities += static_cast<int>(m_.Followers(u).size()) > kCelebrityThreshold;
    deep_feeds += static_cast<int>(m_.Feed(u).size()) > kFeedCap;
  }
  std::cout << "[ model    ] " << GetParam() << ": " << kCommands << " commands, " << total_
            << " answers checked (" << rejected_ << " refusals) in " << run_s << " s; "
            << live_posts << "/" << m_.posts.size() << " live posts, " << likes << " likes, "
            << live_comments << " live comments, " << m_.follows.size() << " follows, "
            << m_.requests.size() << " pending requests, " << m_.blocks.size() << " blocks, "
            << celebrities << " celebrities, " << deep_feeds << " feeds beyond the cap"
            << std::endl;
  EXPECT_GT(rejected_, kCommands / 20) << "the sequence should include refused commands";
  EXPECT_GT(celebrities, 0) << "no author crossed the celebrity threshold";
  EXPECT_GT(deep_feeds, 0) << "no feed went beyond the cap";
  EXPECT_GT(m_.blocks.size(), 0u);
  EXPECT_GT(m_.requests.size(), 0u);
  // Every kind of command was accepted, and those the generator aims at
  // refusals were refused, so that no rule went unexercised.
  std::string tally;
  for (int k = 0; k < kKinds; ++k) {
    int ok = 0, refused = 0;
    tally += std::string(k ? ", " : "") + kKindNames[k] + " {";
    for (const auto& [status, n] : statuses_[k]) {
      (status < 400 ? ok : refused) += n;
      tally += " " + std::to_string(status) + ":" + std::to_string(n);
    }
    tally += " }";
    if (k != kInvalid) {
      EXPECT_GT(ok, 0) << kKindNames[k] << " was never accepted";
    }
    // Kinds with a way to be refused that the generator aims at.
    if (k == kFollow || k == kApprove || k == kReject || k == kEditPost || k == kDeletePost ||
        k == kLike || k == kComment || k == kDeleteComment || k == kInvalid) {
      EXPECT_GT(refused, 0) << kKindNames[k] << " was never refused";
    }
  }
  std::cout << "[ model    ] statuses per command: " << tally << std::endl;

  auto t1 = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitCaughtUp(&readyz)) << readyz;
  Compare("live");
  const double compare_s = SecondsSince(t1);
  if (TooMany()) FAIL() << "stopped after " << mismatches_ << " mismatches";

  // Rebuild every read model from offset 0 and compare again.
  auto t2 = std::chrono::steady_clock::now();
  EXPECT_EQ(lens_->Stop(), 0);
  std::error_code ec;
  std::filesystem::remove_all(dir_.Sub("node") + "/readmodels", ec);
  ASSERT_FALSE(ec) << ec.message();
  StartLens(LensFlags());
  ASSERT_TRUE(WaitCaughtUp(&readyz)) << "read models did not catch up after the replay: " << readyz;
  const double replay_s = SecondsSince(t2);
  Compare("after replay from offset 0");
  std::cout << "[ model    ] " << GetParam() << ": compare " << compare_s << " s; replay "
            << replay_s << " s; compare after replay " << SecondsSince(t2) - replay_s
            << " s; mismatches " << mismatches_ << std::endl;
  if (TooMany()) FAIL() << "stopped after " << mismatches_ << " mismatches";
}

INSTANTIATE_TEST_SUITE_P(Backends, SocialModelTest, ::testing::Values("embedded", "kafka"),
                         BackendName);

}  // namespace
}  // namespace lens::testing
