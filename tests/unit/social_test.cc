// Unit tests of the pure social parts of commands/ and events/: caption
// parsing (hashtags, mentions), the social deciders (posts, likes, comments,
// follows, requests, blocks) and the social event payloads.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/strong_id.h"
#include "commands/caption.h"
#include "commands/decision_state.h"
#include "commands/social_decider.h"
#include "events/event.h"
#include "events/social_events.h"
#include "events/upcasters.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/http_message.h"

namespace lens {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

// The HTTP rendering of an error: what a client sees.
struct Rendered {
  int status;
  std::string code;
};
Rendered Render(const absl::Status& s) {
  HttpResponse r = HttpResponse::FromStatus(s);
  Json e = Json::parse(r.body)["error"];
  return {r.status, e.value("code", "")};
}

// Asserts that `got` failed with the given HTTP status and error code.
#define EXPECT_API_ERROR(got, http, err_code)                 \
  do {                                                        \
    const auto& got_ = (got);                                 \
    ASSERT_FALSE(got_.ok()) << "expected " #err_code;         \
    Rendered r_ = Render(got_.status());                      \
    EXPECT_EQ(r_.status, (http)) << got_.status();            \
    EXPECT_EQ(r_.code, (err_code)) << got_.status();          \
  } while (0)

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// Checks the envelope fields the decider is responsible for.
void ExpectEnvelope(const Event& e, std::string_view type, const std::string& key) {
  EXPECT_EQ(e.type, type);
  EXPECT_EQ(e.v, CurrentVersion(type)) << type;
  EXPECT_EQ(e.key, key) << type;
}

std::string UKey(uint64_t id) { return "user:" + std::to_string(id); }
std::string PKey(uint64_t id) { return "post:" + std::to_string(id); }

FollowEdge Edge(const Event& e) {
  auto f = FollowEdge::FromJson(e.data);
  EXPECT_TRUE(f.has_value()) << e.data.dump();
  return f.value_or(FollowEdge{});
}

constexpr UserId kAlice{11};
constexpr UserId kBob{22};
constexpr UserId kCarol{33};
constexpr PostId kPost{1001};
constexpr CommentId kComment{5005};

PostRecord Post(PostId id, UserId author, bool deleted = false) {
  PostRecord p;
  p.id = id;
  p.author_id = author;
  p.deleted = deleted;
  p.caption = "old caption #old @old";
  p.hashtags = {"old"};
  p.mentions = {"old"};
  p.media_ids = {"m1", "m2"};
  return p;
}

Relationship Visible() { return Relationship{.self = false, .author_private = false}; }
Relationship PrivateNotFollowed() {
  return Relationship{.self = false, .author_private = true, .follows = false};
}
Relationship Blocked() { return Relationship{.self = false, .author_private = false, .blocked = true}; }

// ============================================================ ParseHashtags

TEST(ParseHashtagsTest, LowerCasesAndDeduplicatesInOrder) {
  EXPECT_THAT(ParseHashtags("#cats and #Cats"), ElementsAre("cats"));
  EXPECT_THAT(ParseHashtags("#b #a #B #c #A"), ElementsAre("b", "a", "c"));
  EXPECT_THAT(ParseHashtags("#CATS"), ElementsAre("cats"));
}

TEST(ParseHashtagsTest, NoTagsInPlainText) {
  EXPECT_THAT(ParseHashtags(""), IsEmpty());
  EXPECT_THAT(ParseHashtags("no tags here"), IsEmpty());
}

TEST(ParseHashtagsTest, UnicodeTagsAreKeptAndLowerCasedWithUnicodeRules) {
  EXPECT_THAT(ParseHashtags("#café"), ElementsAre("café"));
  EXPECT_THAT(ParseHashtags("#日本 trip"), ElementsAre("日本"));
  EXPECT_THAT(ParseHashtags("#ÉTÉ"), ElementsAre("été"));
  EXPECT_THAT(ParseHashtags("#Été #été #ÉTÉ"), ElementsAre("été"));
  EXPECT_THAT(ParseHashtags("#ΑΘΗΝΑ"), ElementsAre("αθηνα"));
  EXPECT_THAT(ParseHashtags("#Москва"), ElementsAre("москва"));
  // Combining marks stay part of the tag (e + U+0301).
  EXPECT_THAT(ParseHashtags("#Cafe\xCC\x81!"), ElementsAre("cafe\xCC\x81"));
}

TEST(ParseHashtagsTest, DigitsAndUnderscoreArePartOfTags) {
  EXPECT_THAT(ParseHashtags("#2024 #top_10 #_x_ #a1b2"), ElementsAre("2024", "top_10", "_x_", "a1b2"));
  // Non-ASCII decimal digits (Nd) count as digits.
  EXPECT_THAT(ParseHashtags("#٣٤"), ElementsAre("٣٤"));
}

TEST(ParseHashtagsTest, HashGluedToAWordIsNotATag) {
  EXPECT_THAT(ParseHashtags("a#b"), IsEmpty());
  EXPECT_THAT(ParseHashtags("C#"), IsEmpty());
  EXPECT_THAT(ParseHashtags("x_#y 1#z é#w"), IsEmpty());
  EXPECT_THAT(ParseHashtags("#cats#dogs"), ElementsAre("cats"));
}

TEST(ParseHashtagsTest, BareHashYieldsNothing) {
  EXPECT_THAT(ParseHashtags("#"), IsEmpty());
  EXPECT_THAT(ParseHashtags("# x"), IsEmpty());
  EXPECT_THAT(ParseHashtags("#!"), IsEmpty());
  EXPECT_THAT(ParseHashtags("a # b #"), IsEmpty());
  // The first '#' of "##x" is bare; the second is preceded by '#', not by a
  // word character, and starts the tag "x". No empty tag either way.
  auto tags = ParseHashtags("##x");
  for (const std::string& t : tags) EXPECT_FALSE(t.empty());
  EXPECT_THAT(tags, ElementsAre("x"));
}

TEST(ParseHashtagsTest, TagsEndAtPunctuationAndWhitespace) {
  EXPECT_THAT(ParseHashtags("#cats!"), ElementsAre("cats"));
  EXPECT_THAT(ParseHashtags("#cats, #dogs."), ElementsAre("cats", "dogs"));
  EXPECT_THAT(ParseHashtags("#cats,#dogs"), ElementsAre("cats", "dogs"));
  EXPECT_THAT(ParseHashtags("(#cats)"), ElementsAre("cats"));
  EXPECT_THAT(ParseHashtags("#a-b"), ElementsAre("a"));
  EXPECT_THAT(ParseHashtags("#a.b"), ElementsAre("a"));
  EXPECT_THAT(ParseHashtags("#a'b"), ElementsAre("a"));
  EXPECT_THAT(ParseHashtags("line one\n#cats\n#dogs\t#birds"), ElementsAre("cats", "dogs", "birds"));
  EXPECT_THAT(ParseHashtags("#cats🐱"), ElementsAre("cats"));
}

TEST(ParseHashtagsTest, LongTagsAreTruncatedTo100CodePoints) {
  EXPECT_THAT(ParseHashtags("#" + std::string(100, 'a')), ElementsAre(std::string(100, 'a')));
  EXPECT_THAT(ParseHashtags("#" + std::string(150, 'a') + " #next"),
              ElementsAre(std::string(100, 'a'), "next"));
  // Counted in code points, not bytes: 150 'É' -> 100 'é' (200 bytes).
  auto tags = ParseHashtags("#" + Repeat("É", 150));
  ASSERT_THAT(tags, SizeIs(1));
  EXPECT_EQ(tags[0], Repeat("é", 100));
  // The rest of a long tag is consumed, not re-read as another tag.
  EXPECT_THAT(ParseHashtags("#" + std::string(100, 'a') + "bbb"), ElementsAre(std::string(100, 'a')));
  // Two tags that only differ after the 100th code point collapse into one.
  EXPECT_THAT(ParseHashtags("#" + std::string(100, 'a') + "x #" + std::string(100, 'a') + "y"),
              ElementsAre(std::string(100, 'a')));
}

TEST(ParseHashtagsTest, DoesNotCapTheNumberOfTags) {
  // The 30-tag limit is enforced by the command API, which needs the count.
  std::string caption;
  for (int i = 0; i < 35; ++i) caption += "#t" + std::to_string(i) + " ";
  EXPECT_THAT(ParseHashtags(caption), SizeIs(35));
}

// ============================================================ ParseMentions

TEST(ParseMentionsTest, LowerCasesAndDeduplicatesInOrder) {
  EXPECT_THAT(ParseMentions("@Bob hi @bob"), ElementsAre("bob"));
  EXPECT_THAT(ParseMentions("@carol @Alice @CAROL @bob"), ElementsAre("carol", "alice", "bob"));
}

TEST(ParseMentionsTest, NoMentionsInPlainText) {
  EXPECT_THAT(ParseMentions(""), IsEmpty());
  EXPECT_THAT(ParseMentions("hello world"), IsEmpty());
  EXPECT_THAT(ParseMentions("@"), IsEmpty());
  EXPECT_THAT(ParseMentions("@ bob"), IsEmpty());
  EXPECT_THAT(ParseMentions("@!"), IsEmpty());
}

TEST(ParseMentionsTest, AtGluedToAWordIsNotAMention) {
  EXPECT_THAT(ParseMentions("mail me at a@b.com"), IsEmpty());
  EXPECT_THAT(ParseMentions("x_@bob 9@bob Z@bob a.@bob"), IsEmpty());
}

TEST(ParseMentionsTest, AtGluedToANonAsciiLetterIsNotAMention) {
  EXPECT_THAT(ParseMentions("write to josé@example.com"), IsEmpty());
  EXPECT_THAT(ParseMentions("日本@bob"), IsEmpty());
}

TEST(ParseMentionsTest, MentionsEndAtPunctuationAndWhitespace) {
  EXPECT_THAT(ParseMentions("hi @bob, @carol!"), ElementsAre("bob", "carol"));
  EXPECT_THAT(ParseMentions("(@bob)"), ElementsAre("bob"));
  EXPECT_THAT(ParseMentions("@bob-smith"), ElementsAre("bob"));
  EXPECT_THAT(ParseMentions("@bob\n@carol"), ElementsAre("bob", "carol"));
  EXPECT_THAT(ParseMentions("@bobé"), ElementsAre("bob"));
  EXPECT_THAT(ParseMentions("@@bob"), ElementsAre("bob"));
}

TEST(ParseMentionsTest, TrailingDotsAreDropped) {
  EXPECT_THAT(ParseMentions("@bob."), ElementsAre("bob"));
  EXPECT_THAT(ParseMentions("thanks @bob..."), ElementsAre("bob"));
  EXPECT_THAT(ParseMentions("@bob. @Bob"), ElementsAre("bob"));
  EXPECT_THAT(ParseMentions("@."), IsEmpty());
}

TEST(ParseMentionsTest, DotsAndUnderscoresInsideAreKept) {
  EXPECT_THAT(ParseMentions("@bob_smith.jr"), ElementsAre("bob_smith.jr"));
  EXPECT_THAT(ParseMentions("@a.b_c.d!"), ElementsAre("a.b_c.d"));
  EXPECT_THAT(ParseMentions("@_x_ @user2"), ElementsAre("_x_", "user2"));
}

TEST(ParseMentionsTest, NamesOver30CharactersAreIgnored) {
  EXPECT_THAT(ParseMentions("@" + std::string(30, 'a')), ElementsAre(std::string(30, 'a')));
  EXPECT_THAT(ParseMentions("@" + std::string(30, 'a') + "."), ElementsAre(std::string(30, 'a')));
  // Ignored entirely: no 30-char prefix, no tail read as another name.
  EXPECT_THAT(ParseMentions("@" + std::string(31, 'a')), IsEmpty());
  EXPECT_THAT(ParseMentions("@" + std::string(31, 'A') + " @bob"), ElementsAre("bob"));
  EXPECT_THAT(ParseMentions("@" + std::string(60, 'a')), IsEmpty());
}

TEST(ParseMentionsTest, DoesNotCapTheNumberOfMentions) {
  std::string caption;
  for (int i = 0; i < 25; ++i) caption += "@user" + std::to_string(i) + " ";
  EXPECT_THAT(ParseMentions(caption), SizeIs(25));
}

// ============================================================ CanSee

TEST(CanSeeTest, EveryCombination) {
  for (bool self : {false, true})
    for (bool priv : {false, true})
      for (bool follows : {false, true})
        for (bool blocked : {false, true}) {
          Relationship r{.self = self, .author_private = priv, .follows = follows, .blocked = blocked};
          bool want = self || (!blocked && (!priv || follows));
          EXPECT_EQ(CanSee(r), want) << "self=" << self << " private=" << priv
                                     << " follows=" << follows << " blocked=" << blocked;
        }
}

TEST(CanSeeTest, NamedCases) {
  EXPECT_TRUE(CanSee(Relationship{}));  // public author, stranger
  EXPECT_FALSE(CanSee(PrivateNotFollowed()));
  EXPECT_TRUE(CanSee(Relationship{.author_private = true, .follows = true}));
  EXPECT_FALSE(CanSee(Blocked()));
  EXPECT_FALSE(CanSee(Relationship{.author_private = true, .follows = true, .blocked = true}));
  EXPECT_TRUE(CanSee(Relationship{.self = true, .author_private = true, .blocked = true}));
}

// ============================================================ Posts

PostContent Content(std::string caption, std::vector<std::string> media = {}) {
  PostContent c;
  c.post_id = kPost;
  c.author_id = kAlice;
  c.caption = std::move(caption);
  c.hashtags = ParseHashtags(c.caption);
  c.mentions = ParseMentions(c.caption);
  c.media_ids = std::move(media);
  return c;
}

TEST(DecideCreatePostTest, EmptyPostIs422EmptyPost) {
  auto got = DecideCreatePost(Content(""));
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_API_ERROR(got, 422, "empty_post");
  HttpResponse r = HttpResponse::FromStatus(got.status());
  EXPECT_EQ(Json::parse(r.body)["error"].value("field", ""), "caption");
}

TEST(DecideCreatePostTest, CaptionOnlyCreatesOnePostCreated) {
  PostContent c = Content("Hello #Cats @Bob");
  auto got = DecideCreatePost(c);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  const Event& e = (*got)[0];
  ExpectEnvelope(e, kPostCreated, PKey(kPost.value()));
  EXPECT_EQ(e.key, PostKey(kPost));
  auto back = PostContent::FromJson(e.data);
  ASSERT_TRUE(back.has_value()) << e.data.dump();
  EXPECT_EQ(back->post_id, kPost);
  EXPECT_EQ(back->author_id, kAlice);
  EXPECT_EQ(back->caption, "Hello #Cats @Bob");
  EXPECT_THAT(back->hashtags, ElementsAre("cats"));
  EXPECT_THAT(back->mentions, ElementsAre("bob"));
  EXPECT_THAT(back->media_ids, IsEmpty());
}

TEST(DecideCreatePostTest, MediaOnlyIsAPost) {
  auto got = DecideCreatePost(Content("", {"m1", "m2"}));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  const Event& e = (*got)[0];
  ExpectEnvelope(e, kPostCreated, PKey(kPost.value()));
  auto back = PostContent::FromJson(e.data);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->caption, "");
  EXPECT_THAT(back->media_ids, ElementsAre("m1", "m2"));
  EXPECT_EQ(e.data["media_ids"], Json::array({"m1", "m2"}));
}

TEST(DecideEditPostTest, UnknownOrDeletedIs404) {
  EXPECT_API_ERROR(DecideEditPost(kAlice, std::nullopt, Content("x")), 404, "post_not_found");
  EXPECT_API_ERROR(DecideEditPost(kAlice, Post(kPost, kAlice, /*deleted=*/true), Content("x")), 404,
                   "post_not_found");
  // Deleted beats "not yours": nobody learns whose deleted post it was.
  EXPECT_API_ERROR(DecideEditPost(kBob, Post(kPost, kAlice, /*deleted=*/true), Content("x")), 404,
                   "post_not_found");
}

TEST(DecideEditPostTest, SomeoneElsesPostIs403) {
  PostContent edit = Content("mine now");
  edit.author_id = kBob;
  EXPECT_API_ERROR(DecideEditPost(kBob, Post(kPost, kAlice), edit), 403, "forbidden");
}

TEST(DecideEditPostTest, EmitsPostEditedWithoutMediaAndWithTheRecordsAuthor) {
  PostContent edit = Content("new #Caption @Carol", {"should", "be", "dropped"});
  edit.author_id = UserId(999);  // whatever the caller put there, the record wins
  auto got = DecideEditPost(kAlice, Post(kPost, kAlice), edit);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  const Event& e = (*got)[0];
  ExpectEnvelope(e, kPostEdited, PKey(kPost.value()));
  EXPECT_FALSE(e.data.contains("media_ids")) << e.data.dump();
  auto back = PostContent::FromJson(e.data);
  ASSERT_TRUE(back.has_value()) << e.data.dump();
  EXPECT_EQ(back->post_id, kPost);
  EXPECT_EQ(back->author_id, kAlice);
  EXPECT_EQ(back->caption, "new #Caption @Carol");
  EXPECT_THAT(back->hashtags, ElementsAre("caption"));
  EXPECT_THAT(back->mentions, ElementsAre("carol"));
  EXPECT_THAT(back->media_ids, IsEmpty());
}

TEST(DecideDeletePostTest, UnknownOrDeletedIs404) {
  EXPECT_API_ERROR(DecideDeletePost(kAlice, std::nullopt), 404, "post_not_found");
  EXPECT_API_ERROR(DecideDeletePost(kAlice, Post(kPost, kAlice, /*deleted=*/true)), 404,
                   "post_not_found");
}

TEST(DecideDeletePostTest, SomeoneElsesPostIs403) {
  EXPECT_API_ERROR(DecideDeletePost(kBob, Post(kPost, kAlice)), 403, "forbidden");
}

TEST(DecideDeletePostTest, EmitsPostDeleted) {
  auto got = DecideDeletePost(kAlice, Post(kPost, kAlice));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  const Event& e = (*got)[0];
  ExpectEnvelope(e, kPostDeleted, PKey(kPost.value()));
  auto ref = PostRef::FromJson(e.data);
  ASSERT_TRUE(ref.has_value()) << e.data.dump();
  EXPECT_EQ(ref->post_id, kPost);
  EXPECT_EQ(ref->author_id, kAlice);
}

// ============================================================ Likes

void ExpectLikeEvent(const Event& e, std::string_view type, UserId liker) {
  ExpectEnvelope(e, type, PKey(kPost.value()));
  auto like = Like::FromJson(e.data);
  ASSERT_TRUE(like.has_value()) << e.data.dump();
  EXPECT_EQ(like->post_id, kPost);
  EXPECT_EQ(like->user_id, liker);
  EXPECT_EQ(like->author_id, kAlice);
}

TEST(DecideLikeTest, LikesAVisiblePost) {
  auto got = DecideLike(kBob, Post(kPost, kAlice), Visible(), /*already_liked=*/false);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  ExpectLikeEvent((*got)[0], kPostLiked, kBob);
}

TEST(DecideLikeTest, FollowerLikesAPrivatePostAndAuthorLikesOwn) {
  Relationship follower{.author_private = true, .follows = true};
  auto got = DecideLike(kBob, Post(kPost, kAlice), follower, false);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  ExpectLikeEvent((*got)[0], kPostLiked, kBob);

  Relationship self{.self = true, .author_private = true};
  got = DecideLike(kAlice, Post(kPost, kAlice), self, false);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  ExpectLikeEvent((*got)[0], kPostLiked, kAlice);
}

TEST(DecideLikeTest, InvisibleUnknownOrDeletedIs404) {
  EXPECT_API_ERROR(DecideLike(kBob, Post(kPost, kAlice), PrivateNotFollowed(), false), 404,
                   "post_not_found");
  EXPECT_API_ERROR(DecideLike(kBob, Post(kPost, kAlice), Blocked(), false), 404, "post_not_found");
  EXPECT_API_ERROR(DecideLike(kBob, Post(kPost, kAlice, true), Visible(), false), 404, "post_not_found");
  EXPECT_API_ERROR(DecideLike(kBob, std::nullopt, Visible(), false), 404, "post_not_found");
  // Even an existing like does not reveal an invisible post.
  EXPECT_API_ERROR(DecideLike(kBob, Post(kPost, kAlice), Blocked(), true), 404, "post_not_found");
}

TEST(DecideLikeTest, AlreadyLikedAppendsNothing) {
  auto got = DecideLike(kBob, Post(kPost, kAlice), Visible(), /*already_liked=*/true);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, IsEmpty());
}

TEST(DecideUnlikeTest, UnlikesALikedPost) {
  auto got = DecideUnlike(kBob, Post(kPost, kAlice), Visible(), /*liked=*/true);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  ExpectLikeEvent((*got)[0], kPostUnliked, kBob);
}

TEST(DecideUnlikeTest, NotLikedAppendsNothing) {
  auto got = DecideUnlike(kBob, Post(kPost, kAlice), Visible(), /*liked=*/false);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, IsEmpty());
}

TEST(DecideUnlikeTest, AllowedOnAPostThatBecameInvisibleButWasLiked) {
  for (const Relationship& rel : {PrivateNotFollowed(), Blocked()}) {
    auto got = DecideUnlike(kBob, Post(kPost, kAlice), rel, /*liked=*/true);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_THAT(*got, SizeIs(1));
    ExpectLikeEvent((*got)[0], kPostUnliked, kBob);
  }
}

TEST(DecideUnlikeTest, InvisibleNotLikedUnknownOrDeletedIs404) {
  EXPECT_API_ERROR(DecideUnlike(kBob, Post(kPost, kAlice), PrivateNotFollowed(), false), 404,
                   "post_not_found");
  EXPECT_API_ERROR(DecideUnlike(kBob, Post(kPost, kAlice), Blocked(), false), 404, "post_not_found");
  EXPECT_API_ERROR(DecideUnlike(kBob, std::nullopt, Visible(), false), 404, "post_not_found");
  EXPECT_API_ERROR(DecideUnlike(kBob, Post(kPost, kAlice, true), Visible(), true), 404, "post_not_found");
  EXPECT_API_ERROR(DecideUnlike(kBob, Post(kPost, kAlice, true), Visible(), false), 404,
                   "post_not_found");
}

// ============================================================ Comments

CommentData NewComment(UserId by, std::string text) {
  CommentData c;
  c.comment_id = kComment;
  c.post_id = kPost;
  c.user_id = by;
  c.post_author_id = UserId(999);  // the decider takes it from the post record
  c.text = std::move(text);
  return c;
}

CommentRecord Comment(UserId author, UserId post_author, bool deleted = false) {
  CommentRecord c;
  c.id = kComment;
  c.post_id = kPost;
  c.author_id = author;
  c.post_author_id = post_author;
  c.deleted = deleted;
  return c;
}

TEST(DecideAddCommentTest, EmitsCommentAddedWithThePostAuthorFromTheRecord) {
  auto got = DecideAddComment(NewComment(kBob, "nice #pic"), Post(kPost, kAlice), Visible());
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  const Event& e = (*got)[0];
  ExpectEnvelope(e, kCommentAdded, PKey(kPost.value()));
  auto c = CommentData::FromJson(e.data);
  ASSERT_TRUE(c.has_value()) << e.data.dump();
  EXPECT_EQ(c->comment_id, kComment);
  EXPECT_EQ(c->post_id, kPost);
  EXPECT_EQ(c->user_id, kBob);
  EXPECT_EQ(c->post_author_id, kAlice);
  EXPECT_EQ(c->text, "nice #pic");
  EXPECT_FALSE(c->deleted_by.valid());
  EXPECT_FALSE(e.data.contains("deleted_by"));
}

TEST(DecideAddCommentTest, InvisibleUnknownOrDeletedIs404) {
  EXPECT_API_ERROR(DecideAddComment(NewComment(kBob, "x"), std::nullopt, Visible()), 404,
                   "post_not_found");
  EXPECT_API_ERROR(DecideAddComment(NewComment(kBob, "x"), Post(kPost, kAlice, true), Visible()), 404,
                   "post_not_found");
  EXPECT_API_ERROR(DecideAddComment(NewComment(kBob, "x"), Post(kPost, kAlice), PrivateNotFollowed()),
                   404, "post_not_found");
  EXPECT_API_ERROR(DecideAddComment(NewComment(kBob, "x"), Post(kPost, kAlice), Blocked()), 404,
                   "post_not_found");
}

void ExpectCommentDeleted(const absl::StatusOr<std::vector<Event>>& got, UserId by) {
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  const Event& e = (*got)[0];
  ExpectEnvelope(e, kCommentDeleted, PKey(kPost.value()));
  auto c = CommentData::FromJson(e.data);
  ASSERT_TRUE(c.has_value()) << e.data.dump();
  EXPECT_EQ(c->comment_id, kComment);
  EXPECT_EQ(c->post_id, kPost);
  EXPECT_EQ(c->user_id, kBob);
  EXPECT_EQ(c->post_author_id, kAlice);
  EXPECT_EQ(c->deleted_by, by);
  EXPECT_EQ(c->text, "");
}

TEST(DecideDeleteCommentTest, ByTheCommentsAuthor) {
  ExpectCommentDeleted(DecideDeleteComment(kBob, Comment(kBob, kAlice)), kBob);
}

TEST(DecideDeleteCommentTest, ByThePostsAuthor) {
  ExpectCommentDeleted(DecideDeleteComment(kAlice, Comment(kBob, kAlice)), kAlice);
}

TEST(DecideDeleteCommentTest, ByAThirdUserIs403) {
  EXPECT_API_ERROR(DecideDeleteComment(kCarol, Comment(kBob, kAlice)), 403, "forbidden");
}

TEST(DecideDeleteCommentTest, UnknownOrDeletedIs404) {
  EXPECT_API_ERROR(DecideDeleteComment(kBob, std::nullopt), 404, "comment_not_found");
  EXPECT_API_ERROR(DecideDeleteComment(kBob, Comment(kBob, kAlice, true)), 404, "comment_not_found");
  EXPECT_API_ERROR(DecideDeleteComment(kCarol, Comment(kBob, kAlice, true)), 404, "comment_not_found");
}

// ============================================================ Follows

// Viewer Alice, target Bob throughout.
PairState Existing() { return PairState{.target_exists = true}; }

void ExpectFollowEvent(const Event& e, std::string_view type, UserId follower, UserId followee) {
  ExpectEnvelope(e, type, UKey(followee.value()));
  EXPECT_EQ(e.key, UserKey(followee));
  FollowEdge f = Edge(e);
  EXPECT_EQ(f.follower_id, follower) << type;
  EXPECT_EQ(f.followee_id, followee) << type;
}

TEST(DecideFollowTest, SelfIs422) {
  PairState s = Existing();
  EXPECT_API_ERROR(DecideFollow(kAlice, kAlice, s), 422, "cannot_follow_self");
}

TEST(DecideFollowTest, UnknownIs404) {
  EXPECT_API_ERROR(DecideFollow(kAlice, kBob, PairState{}), 404, "account_not_found");
}

TEST(DecideFollowTest, TargetBlocksViewerIs404) {
  PairState s = Existing();
  s.target_blocks_viewer = true;
  EXPECT_API_ERROR(DecideFollow(kAlice, kBob, s), 404, "account_not_found");
  s.viewer_blocks_target = true;  // both ways: still hidden
  EXPECT_API_ERROR(DecideFollow(kAlice, kBob, s), 404, "account_not_found");
}

TEST(DecideFollowTest, ViewerBlocksTargetIs403) {
  PairState s = Existing();
  s.viewer_blocks_target = true;
  EXPECT_API_ERROR(DecideFollow(kAlice, kBob, s), 403, "blocked");
  s.target_private = true;
  EXPECT_API_ERROR(DecideFollow(kAlice, kBob, s), 403, "blocked");
}

TEST(DecideFollowTest, AlreadyFollowingOrRequestedAppendsNothing) {
  for (bool priv : {false, true}) {
    PairState s = Existing();
    s.target_private = priv;
    s.viewer_follows_target = true;
    auto got = DecideFollow(kAlice, kBob, s);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_THAT(*got, IsEmpty());

    s.viewer_follows_target = false;
    s.viewer_requested_target = true;
    got = DecideFollow(kAlice, kBob, s);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_THAT(*got, IsEmpty());
  }
}

TEST(DecideFollowTest, PublicTargetIsFollowed) {
  PairState s = Existing();
  s.target_follows_viewer = true;  // irrelevant
  auto got = DecideFollow(kAlice, kBob, s);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  ExpectFollowEvent((*got)[0], kUserFollowed, kAlice, kBob);
}

TEST(DecideFollowTest, PrivateTargetGetsARequest) {
  PairState s = Existing();
  s.target_private = true;
  auto got = DecideFollow(kAlice, kBob, s);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  ExpectFollowEvent((*got)[0], kFollowRequested, kAlice, kBob);
}

TEST(DecideUnfollowTest, FollowingIsUnfollowed) {
  PairState s = Existing();
  s.viewer_follows_target = true;
  auto got = DecideUnfollow(kAlice, kBob, s);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  ExpectFollowEvent((*got)[0], kUserUnfollowed, kAlice, kBob);
}

TEST(DecideUnfollowTest, RequestedIsWithdrawn) {
  PairState s = Existing();
  s.target_private = true;
  s.viewer_requested_target = true;
  auto got = DecideUnfollow(kAlice, kBob, s);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  ExpectFollowEvent((*got)[0], kFollowRequestWithdrawn, kAlice, kBob);
}

TEST(DecideUnfollowTest, NeitherAppendsNothing) {
  PairState s = Existing();
  s.target_follows_viewer = true;  // the other direction does not count
  s.target_requested_viewer = true;
  auto got = DecideUnfollow(kAlice, kBob, s);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, IsEmpty());
}

TEST(DecideUnfollowTest, UnknownIs404) {
  EXPECT_API_ERROR(DecideUnfollow(kAlice, kBob, PairState{}), 404, "account_not_found");
}

// ============================================================ Requests

// Owner Bob (viewer), requester Alice (target).
TEST(DecideApproveRequestTest, NoPendingRequestIs404) {
  PairState s = Existing();
  s.viewer_requested_target = true;  // wrong direction
  EXPECT_API_ERROR(DecideApproveRequest(kBob, kAlice, s), 404, "request_not_found");
  EXPECT_API_ERROR(DecideApproveRequest(kBob, kAlice, PairState{}), 404, "request_not_found");
}

TEST(DecideApproveRequestTest, EmitsFollowRequestApproved) {
  PairState s = Existing();
  s.target_requested_viewer = true;
  auto got = DecideApproveRequest(kBob, kAlice, s);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  ExpectFollowEvent((*got)[0], kFollowRequestApproved, /*follower=*/kAlice, /*followee=*/kBob);
}

TEST(DecideRejectRequestTest, NoPendingRequestIs404) {
  PairState s = Existing();
  s.viewer_requested_target = true;
  EXPECT_API_ERROR(DecideRejectRequest(kBob, kAlice, s), 404, "request_not_found");
  EXPECT_API_ERROR(DecideRejectRequest(kBob, kAlice, PairState{}), 404, "request_not_found");
}

TEST(DecideRejectRequestTest, EmitsFollowRequestRejected) {
  PairState s = Existing();
  s.target_requested_viewer = true;
  auto got = DecideRejectRequest(kBob, kAlice, s);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  ExpectFollowEvent((*got)[0], kFollowRequestRejected, /*follower=*/kAlice, /*followee=*/kBob);
}

TEST(ApproveAllTest, OneApprovalPerRequester) {
  auto events = ApproveAll(kBob, {kAlice, kCarol, UserId(44)});
  ASSERT_THAT(events, SizeIs(3));
  ExpectFollowEvent(events[0], kFollowRequestApproved, kAlice, kBob);
  ExpectFollowEvent(events[1], kFollowRequestApproved, kCarol, kBob);
  ExpectFollowEvent(events[2], kFollowRequestApproved, UserId(44), kBob);
  EXPECT_THAT(ApproveAll(kBob, {}), IsEmpty());
}

// ============================================================ Blocks

void ExpectBlockEvent(const Event& e, std::string_view type, UserId blocker, UserId blocked) {
  ExpectEnvelope(e, type, UKey(blocker.value()));
  auto b = BlockEdge::FromJson(e.data);
  ASSERT_TRUE(b.has_value()) << e.data.dump();
  EXPECT_EQ(b->blocker_id, blocker);
  EXPECT_EQ(b->blocked_id, blocked);
}

TEST(DecideBlockTest, SelfIs422) {
  EXPECT_API_ERROR(DecideBlock(kAlice, kAlice, Existing()), 422, "cannot_block_self");
}

TEST(DecideBlockTest, UnknownIs404) {
  EXPECT_API_ERROR(DecideBlock(kAlice, kBob, PairState{}), 404, "account_not_found");
}

TEST(DecideBlockTest, AlreadyBlockingAppendsNothing) {
  PairState s = Existing();
  s.viewer_blocks_target = true;
  s.target_follows_viewer = true;  // cannot happen, but must not produce events
  auto got = DecideBlock(kAlice, kBob, s);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, IsEmpty());
}

TEST(DecideBlockTest, NoEdgesOnlyBlocks) {
  auto got = DecideBlock(kAlice, kBob, Existing());
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  ExpectBlockEvent((*got)[0], kUserBlocked, kAlice, kBob);
}

TEST(DecideBlockTest, BlockedByTargetCanStillBlockBack) {
  PairState s = Existing();
  s.target_blocks_viewer = true;
  auto got = DecideBlock(kAlice, kBob, s);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  ExpectBlockEvent((*got)[0], kUserBlocked, kAlice, kBob);
}

// Every combination of the four edges: the block plus exactly one ending
// event per existing edge, each keyed by its followee.
TEST(DecideBlockTest, EndsExactlyTheExistingEdgesBothWays) {
  for (int mask = 0; mask < 16; ++mask) {
    PairState s = Existing();
    s.viewer_follows_target = mask & 1;
    s.target_follows_viewer = mask & 2;
    s.viewer_requested_target = mask & 4;
    s.target_requested_viewer = mask & 8;
    SCOPED_TRACE("mask=" + std::to_string(mask));
    auto got = DecideBlock(kAlice, kBob, s);
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_FALSE(got->empty());
    ExpectBlockEvent((*got)[0], kUserBlocked, kAlice, kBob);
    EXPECT_EQ(static_cast<int>(got->size()), 1 + __builtin_popcount(mask));

    int unfollow_ab = 0, unfollow_ba = 0, withdrawn_ab = 0, rejected_ba = 0, other = 0;
    for (size_t i = 1; i < got->size(); ++i) {
      const Event& e = (*got)[i];
      FollowEdge f = Edge(e);
      EXPECT_EQ(e.v, CurrentVersion(e.type));
      EXPECT_EQ(e.key, UserKey(f.followee_id)) << e.type;
      bool ab = f.follower_id == kAlice && f.followee_id == kBob;
      bool ba = f.follower_id == kBob && f.followee_id == kAlice;
      if (e.type == kUserUnfollowed && ab) ++unfollow_ab;
      else if (e.type == kUserUnfollowed && ba) ++unfollow_ba;
      else if (e.type == kFollowRequestWithdrawn && ab) ++withdrawn_ab;
      else if (e.type == kFollowRequestRejected && ba) ++rejected_ba;
      else ++other;
    }
    EXPECT_EQ(unfollow_ab, s.viewer_follows_target ? 1 : 0);
    EXPECT_EQ(unfollow_ba, s.target_follows_viewer ? 1 : 0);
    EXPECT_EQ(withdrawn_ab, s.viewer_requested_target ? 1 : 0);
    EXPECT_EQ(rejected_ba, s.target_requested_viewer ? 1 : 0);
    EXPECT_EQ(other, 0);
  }
}

TEST(DecideBlockTest, KeysOfTheEndingEvents) {
  PairState s = Existing();
  s.viewer_follows_target = true;
  s.target_follows_viewer = true;
  s.viewer_requested_target = true;
  s.target_requested_viewer = true;
  auto got = DecideBlock(kAlice, kBob, s);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(5));
  ExpectBlockEvent((*got)[0], kUserBlocked, kAlice, kBob);
  ExpectFollowEvent((*got)[1], kUserUnfollowed, kAlice, kBob);
  ExpectFollowEvent((*got)[2], kUserUnfollowed, kBob, kAlice);
  ExpectFollowEvent((*got)[3], kFollowRequestWithdrawn, kAlice, kBob);
  ExpectFollowEvent((*got)[4], kFollowRequestRejected, kBob, kAlice);
}

TEST(DecideUnblockTest, NotBlockingAppendsNothing) {
  PairState s = Existing();
  s.target_blocks_viewer = true;  // the other direction is not ours to lift
  auto got = DecideUnblock(kAlice, kBob, s);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, IsEmpty());
}

TEST(DecideUnblockTest, EmitsUserUnblocked) {
  PairState s = Existing();
  s.viewer_blocks_target = true;
  auto got = DecideUnblock(kAlice, kBob, s);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_THAT(*got, SizeIs(1));
  ExpectBlockEvent((*got)[0], kUserUnblocked, kAlice, kBob);
}

TEST(DecideUnblockTest, UnknownIs404) {
  EXPECT_API_ERROR(DecideUnblock(kAlice, kBob, PairState{}), 404, "account_not_found");
}

// ============================================================ Event payloads

TEST(SocialKeysTest, PostKeyAndUserKey) {
  EXPECT_EQ(PostKey(PostId(42)), "post:42");
  EXPECT_EQ(UserKey(UserId(7)), "user:7");
}

TEST(PostContentTest, RoundTrips) {
  PostContent p;
  p.post_id = PostId(18446744073709551615ull);
  p.author_id = kAlice;
  p.caption = "line 1\nline 2 #Été @bob \"quoted\" 日本";
  p.hashtags = {"été", "x"};
  p.mentions = {"bob"};
  p.media_ids = {"1", "2", "3"};
  Json j = p.ToJson();
  EXPECT_EQ(j["post_id"], "18446744073709551615");
  EXPECT_EQ(j["author_id"], "11");
  auto back = PostContent::FromJson(Json::parse(j.dump()));
  ASSERT_TRUE(back.has_value()) << j.dump();
  EXPECT_EQ(back->post_id, p.post_id);
  EXPECT_EQ(back->author_id, p.author_id);
  EXPECT_EQ(back->caption, p.caption);
  EXPECT_EQ(back->hashtags, p.hashtags);
  EXPECT_EQ(back->mentions, p.mentions);
  EXPECT_EQ(back->media_ids, p.media_ids);
}

TEST(PostContentTest, EmptyListsAndOptionalLists) {
  PostContent p;
  p.post_id = kPost;
  p.author_id = kAlice;
  Json j = p.ToJson();
  EXPECT_FALSE(j.contains("media_ids"));
  auto back = PostContent::FromJson(j);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->caption, "");
  EXPECT_THAT(back->hashtags, IsEmpty());
  EXPECT_THAT(back->mentions, IsEmpty());
  EXPECT_THAT(back->media_ids, IsEmpty());
  // hashtags and mentions may be missing altogether.
  auto minimal = PostContent::FromJson(Json{{"post_id", "1"}, {"author_id", "2"}, {"caption", "c"}});
  ASSERT_TRUE(minimal.has_value());
  EXPECT_EQ(minimal->caption, "c");
}

TEST(PostContentTest, RejectsMissingOrIllTyped) {
  const Json good = Content("x #y", {"m"}).ToJson();
  ASSERT_TRUE(PostContent::FromJson(good).has_value());
  for (const char* k : {"post_id", "author_id", "caption"}) {
    Json j = good;
    j.erase(k);
    EXPECT_FALSE(PostContent::FromJson(j).has_value()) << "missing " << k;
  }
  const std::vector<std::pair<std::string, Json>> bad = {
      {"post_id", 1001},          {"post_id", "0"},        {"post_id", "-1"},
      {"post_id", "01"},          {"post_id", "abc"},      {"post_id", ""},
      {"post_id", nullptr},       {"author_id", 11},       {"author_id", " 11"},
      {"caption", 5},             {"caption", nullptr},    {"hashtags", "cats"},
      {"hashtags", Json::array({1})}, {"mentions", Json::object()},
      {"media_ids", Json::array({"m", nullptr})},
  };
  for (const auto& [k, v] : bad) {
    Json j = good;
    j[k] = v;
    EXPECT_FALSE(PostContent::FromJson(j).has_value()) << j.dump();
  }
  EXPECT_FALSE(PostContent::FromJson(Json::array()).has_value());
  EXPECT_FALSE(PostContent::FromJson(Json("x")).has_value());
  EXPECT_FALSE(PostContent::FromJson(Json()).has_value());
}

TEST(PostRefTest, RoundTripsAndRejects) {
  PostRef r{kPost, kAlice};
  auto back = PostRef::FromJson(r.ToJson());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->post_id, kPost);
  EXPECT_EQ(back->author_id, kAlice);
  for (const char* k : {"post_id", "author_id"}) {
    Json j = r.ToJson();
    j.erase(k);
    EXPECT_FALSE(PostRef::FromJson(j).has_value()) << k;
    j[k] = 12;
    EXPECT_FALSE(PostRef::FromJson(j).has_value()) << k;
    j[k] = "0";
    EXPECT_FALSE(PostRef::FromJson(j).has_value()) << k;
  }
}

TEST(LikeTest, RoundTripsAndRejects) {
  Like l{kPost, kBob, kAlice};
  Json j = l.ToJson();
  EXPECT_EQ(j, (Json{{"post_id", "1001"}, {"user_id", "22"}, {"author_id", "11"}}));
  auto back = Like::FromJson(j);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->post_id, kPost);
  EXPECT_EQ(back->user_id, kBob);
  EXPECT_EQ(back->author_id, kAlice);
  for (const char* k : {"post_id", "user_id", "author_id"}) {
    Json bad = j;
    bad.erase(k);
    EXPECT_FALSE(Like::FromJson(bad).has_value()) << k;
    bad[k] = true;
    EXPECT_FALSE(Like::FromJson(bad).has_value()) << k;
    bad[k] = "x1";
    EXPECT_FALSE(Like::FromJson(bad).has_value()) << k;
  }
}

TEST(CommentDataTest, RoundTripsWithText) {
  CommentData c;
  c.comment_id = kComment;
  c.post_id = kPost;
  c.user_id = kBob;
  c.post_author_id = kAlice;
  c.text = "so good\n#yum";
  Json j = c.ToJson();
  EXPECT_EQ(j["text"], "so good\n#yum");
  EXPECT_FALSE(j.contains("deleted_by"));
  auto back = CommentData::FromJson(j);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->comment_id, kComment);
  EXPECT_EQ(back->post_id, kPost);
  EXPECT_EQ(back->user_id, kBob);
  EXPECT_EQ(back->post_author_id, kAlice);
  EXPECT_EQ(back->text, c.text);
  EXPECT_FALSE(back->deleted_by.valid());
}

TEST(CommentDataTest, RoundTripsWithDeletedBy) {
  CommentData c;
  c.comment_id = kComment;
  c.post_id = kPost;
  c.user_id = kBob;
  c.post_author_id = kAlice;
  c.deleted_by = kAlice;
  Json j = c.ToJson();
  EXPECT_FALSE(j.contains("text"));
  EXPECT_EQ(j["deleted_by"], "11");
  auto back = CommentData::FromJson(j);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->deleted_by, kAlice);
  EXPECT_EQ(back->text, "");
}

TEST(CommentDataTest, RejectsMissingOrIllTyped) {
  CommentData c;
  c.comment_id = kComment;
  c.post_id = kPost;
  c.user_id = kBob;
  c.post_author_id = kAlice;
  const Json good = c.ToJson();
  for (const char* k : {"comment_id", "post_id", "user_id", "post_author_id"}) {
    Json j = good;
    j.erase(k);
    EXPECT_FALSE(CommentData::FromJson(j).has_value()) << "missing " << k;
    j[k] = 5;
    EXPECT_FALSE(CommentData::FromJson(j).has_value()) << "number " << k;
    j[k] = "0";
    EXPECT_FALSE(CommentData::FromJson(j).has_value()) << "zero " << k;
  }
  // Optional fields, when present, must be well typed.
  for (const auto& [k, v] : std::vector<std::pair<std::string, Json>>{
           {"text", 1}, {"text", nullptr}, {"deleted_by", 11}, {"deleted_by", "0"},
           {"deleted_by", "bob"}, {"deleted_by", nullptr}}) {
    Json j = good;
    j[k] = v;
    EXPECT_FALSE(CommentData::FromJson(j).has_value()) << j.dump();
  }
}

TEST(FollowEdgeTest, RoundTripsAndRejects) {
  FollowEdge f{kAlice, kBob};
  Json j = f.ToJson();
  EXPECT_EQ(j, (Json{{"follower_id", "11"}, {"followee_id", "22"}}));
  auto back = FollowEdge::FromJson(j);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->follower_id, kAlice);
  EXPECT_EQ(back->followee_id, kBob);
  for (const char* k : {"follower_id", "followee_id"}) {
    Json bad = j;
    bad.erase(k);
    EXPECT_FALSE(FollowEdge::FromJson(bad).has_value()) << k;
    bad[k] = 22;
    EXPECT_FALSE(FollowEdge::FromJson(bad).has_value()) << k;
    bad[k] = "99999999999999999999999";
    EXPECT_FALSE(FollowEdge::FromJson(bad).has_value()) << k;
  }
}

TEST(BlockEdgeTest, RoundTripsAndRejects) {
  BlockEdge b{kAlice, kBob};
  Json j = b.ToJson();
  EXPECT_EQ(j, (Json{{"blocker_id", "11"}, {"blocked_id", "22"}}));
  auto back = BlockEdge::FromJson(j);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->blocker_id, kAlice);
  EXPECT_EQ(back->blocked_id, kBob);
  for (const char* k : {"blocker_id", "blocked_id"}) {
    Json bad = j;
    bad.erase(k);
    EXPECT_FALSE(BlockEdge::FromJson(bad).has_value()) << k;
    bad[k] = Json::array({"11"});
    EXPECT_FALSE(BlockEdge::FromJson(bad).has_value()) << k;
    bad[k] = "1.5";
    EXPECT_FALSE(BlockEdge::FromJson(bad).has_value()) << k;
  }
}

}  // namespace
}  // namespace lens
