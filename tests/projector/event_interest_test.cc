// The runner skips, undecoded, the records of event types a projection
// says it ignores (Projection::Handles), reading the type off the
// envelope's tail (PeekEventType). Both must be exact: a type read wrong,
// or a type a projection acts on but does not declare, would silently
// leave the read model without those events.
#include <memory>
#include <string>
#include <vector>

#include "events/account_events.h"
#include "events/event_codec.h"
#include "events/message_events.h"
#include "events/social_events.h"
#include "events/upcasters.h"
#include "gtest/gtest.h"
#include "projections/accounts_projection.h"
#include "projections/messages_projection.h"
#include "projections/notifications_projection.h"
#include "projections/search_projection.h"
#include "projections/social_projection.h"
#include "projector/apply_context.h"
#include "store/store.h"
#include "tests/support/temp_dir.h"

namespace lens::testing {
namespace {

// Every event type lens writes (events/*_events.h).
const std::vector<std::string_view>& AllEventTypes() {
  static const std::vector<std::string_view> kAll = {
      kAccountRegistered, kProfileUpdated, kPasswordChanged, kSessionStarted,
      kSessionRevoked, kConversationStarted, kConversationMembersAdded,
      kConversationMemberRemoved, kConversationRenamed, kMessageSent, kMessageRequestAccepted,
      kMessageRequestDeclined, kConversationRead, kNotificationsRead, kPostCreated, kPostEdited,
      kPostDeleted, kPostLiked, kPostUnliked, kCommentAdded, kCommentDeleted, kUserFollowed,
      kUserUnfollowed, kFollowRequested, kFollowRequestApproved, kFollowRequestRejected,
      kFollowRequestWithdrawn, kUserBlocked, kUserUnblocked};
  return kAll;
}

Event Make(std::string_view type, Json data) {
  Event e;
  e.id = EventId(7291847362816);
  e.type = std::string(type);
  e.v = CurrentVersion(type);
  e.key = "user:1";
  e.ts_ms = 1764000000000;
  e.actor = "7291800000000";
  e.cmd = "c0a8f6d2";
  e.data = std::move(data);
  return e;
}

TEST(PeekEventTypeTest, ReadsTheTypeOfEveryEnvelopeLensWrites) {
  for (std::string_view type : AllEventTypes()) {
    // Data with members named like the envelope's must not confuse it.
    Event e = Make(type, Json{{"type", "Nested"}, {"v", 3}, {"x", Json{{"type", "Deeper"}}}});
    auto peeked = PeekEventType(EncodeEvent(e));
    ASSERT_TRUE(peeked.has_value()) << EncodeEvent(e);
    EXPECT_EQ(*peeked, type);
    auto decoded = DecodeEvent(EncodeEvent(e));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->type, *peeked);
  }
}

TEST(PeekEventTypeTest, GivesUpOnAnyOtherForm) {
  for (std::string_view record : {
           std::string_view(""),
           std::string_view("{}"),
           std::string_view(R"({"type":"PostLiked","v":1} )"),      // trailing space
           std::string_view("{\"type\":\"PostLiked\",\"v\":1}\n"),  // trailing newline
           std::string_view(R"({"type": "PostLiked", "v": 1})"),    // spaced
           std::string_view(R"({"v":1,"type":"PostLiked"})"),      // other key order
           std::string_view(R"({"type":"Post\"Liked","v":1})"),     // an escape in the type
           std::string_view(R"({"type":"","v":1})"),                // empty type
           std::string_view(R"({"type":"PostLiked","v":})"),        // no version
           std::string_view(R"({"data":{"type":"PostLiked","v":1}})"),   // only nested
           std::string_view(R"({"xtype":"PostLiked","v":1})"),      // another key
           std::string_view(R"({"a":"\"type\":\"PostLiked","v":1})"),  // inside a string
       }) {
    EXPECT_FALSE(PeekEventType(record).has_value()) << record;
  }
  EXPECT_EQ(PeekEventType(R"({"type":"PostLiked","v":12})"), "PostLiked");
}

struct Subject {
  std::string name;
  std::unique_ptr<Projection> projection;
};

std::vector<Subject> AllProjections() {
  std::vector<Subject> out;
  out.push_back({"accounts", std::make_unique<AccountsProjection>()});
  out.push_back({"social", std::make_unique<SocialProjection>(SocialProjectionOptions{}, nullptr)});
  out.push_back({"notifications", std::make_unique<NotificationsProjection>(nullptr)});
  out.push_back({"messages", std::make_unique<MessagesProjection>(nullptr)});
  out.push_back({"search", std::make_unique<SearchProjection>()});
  return out;
}

// A type a projection does not declare must be one its Apply does nothing
// with: applied with empty data (which every handler refuses as malformed
// or acts on), it succeeds and writes nothing.
TEST(HandlesTest, AProjectionIgnoresExactlyTheTypesItDoesNotDeclare) {
  TempDir dir;
  for (Subject& s : AllProjections()) {
    StoreOptions so;
    so.path = dir.Sub(s.name);
    so.column_families = s.projection->column_families();
    auto store = Store::Open(so);
    ASSERT_TRUE(store.ok()) << store.status();
    int ignored = 0;
    for (std::string_view type : AllEventTypes()) {
      if (s.projection->Handles(type)) continue;
      ++ignored;
      ApplyContext ctx(store->get());
      absl::Status st = s.projection->Apply(Make(type, Json::object()), {0, 0}, ctx);
      EXPECT_TRUE(st.ok()) << s.name << " acts on " << type << " but does not declare it: " << st;
      EXPECT_EQ(ctx.count(), 0u) << s.name << " writes for " << type
                                 << " but does not declare it";
    }
    EXPECT_GT(ignored, 0) << s.name << " declares every type: nothing to skip";
    // And the declared ones are all acted on: empty data is malformed for each.
    for (std::string_view type : AllEventTypes()) {
      if (!s.projection->Handles(type)) continue;
      ApplyContext ctx(store->get());
      absl::Status st = s.projection->Apply(Make(type, Json::object()), {0, 0}, ctx);
      EXPECT_TRUE(!st.ok() || ctx.count() > 0)
          << s.name << " declares " << type << " yet ignores a malformed one";
    }
  }
}

}  // namespace
}  // namespace lens::testing
