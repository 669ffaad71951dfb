// The pure message deciders (commands/message_decider.h) and the message
// events' round trip.
#include "commands/message_decider.h"

#include "gtest/gtest.h"

namespace lens {
namespace {

const UserId kAlice(11), kBob(22), kCarol(33), kDave(44);

ConversationRecord Group(std::vector<std::pair<UserId, ConversationMemberRecord>> members) {
  ConversationRecord c;
  c.id = ConversationId(500);
  c.group = true;
  c.members = std::move(members);
  return c;
}

ConversationMemberRecord Admin() { return {true, std::string(kMemberActive)}; }
ConversationMemberRecord Member(std::string_view state = kMemberActive) {
  return {false, std::string(state)};
}

TEST(MessageDeciderTest, StartingMarksRequestsAndRefusesBlocks) {
  auto events = DecideStartConversation(ConversationId(9), kAlice, false, "",
                                        {MemberCheck{kBob, true, false, true}});
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  auto d = ConversationMembers::FromJson((*events)[0].data);
  ASSERT_TRUE(d.has_value());
  EXPECT_FALSE(d->group);
  ASSERT_EQ(d->members.size(), 2u);
  EXPECT_EQ(d->members[0].state, kMemberActive);
  EXPECT_EQ(d->members[1].state, kMemberRequested);
  EXPECT_EQ((*events)[0].key, "conversation:9");

  auto blocked = DecideStartConversation(ConversationId(9), kAlice, false, "",
                                         {MemberCheck{kBob, true, true, false}});
  EXPECT_EQ(blocked.status().code(), absl::StatusCode::kPermissionDenied);
  auto unknown = DecideStartConversation(ConversationId(9), kAlice, true, "x",
                                         {MemberCheck{kBob, false, false, false}});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  std::vector<MemberCheck> many(250, MemberCheck{kBob, true, false, false});
  EXPECT_EQ(DecideStartConversation(ConversationId(9), kAlice, true, "", many).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(MessageDeciderTest, SendingNeedsMembershipAndAcceptsARequestByReplying) {
  NewMessage m{MessageId(77), "hi", {}, ""};
  ConversationRecord c = Group({{kAlice, Admin()}, {kBob, Member(kMemberRequested)},
                                {kCarol, Member()}});
  EXPECT_EQ(DecideSendMessage(std::nullopt, kAlice, m, false).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(DecideSendMessage(c, kDave, m, false).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(DecideSendMessage(c, kAlice, NewMessage{MessageId(78), "", {}, ""}, false)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  auto from_alice = DecideSendMessage(c, kAlice, m, false);
  ASSERT_TRUE(from_alice.ok());
  ASSERT_EQ(from_alice->size(), 1u);
  auto sent = MessageSent::FromJson((*from_alice)[0].data);
  ASSERT_TRUE(sent.has_value());
  EXPECT_EQ(sent->recipient_ids, std::vector<UserId>{kCarol});  // not the pending request
  auto from_bob = DecideSendMessage(c, kBob, m, false);
  ASSERT_TRUE(from_bob.ok());
  ASSERT_EQ(from_bob->size(), 2u);
  EXPECT_EQ((*from_bob)[0].type, kMessageRequestAccepted);
  EXPECT_EQ(DecideSendMessage(c, kAlice, m, true).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(MessageDeciderTest, AdminsManageMembersAndTheLastAdminLeavingPromotesOne) {
  ConversationRecord c = Group({{kAlice, Admin()}, {kBob, Member()}, {kCarol, Member()}});
  EXPECT_EQ(DecideAddMembers(c, kBob, {MemberCheck{kDave, true, false, false}}).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto added = DecideAddMembers(c, kAlice, {MemberCheck{kDave, true, false, false},
                                            MemberCheck{kBob, true, false, false}});
  ASSERT_TRUE(added.ok());
  ASSERT_EQ(added->size(), 1u);
  EXPECT_EQ(ConversationMembers::FromJson((*added)[0].data)->members.size(), 1u);  // bob is in
  EXPECT_EQ(DecideRemoveMember(c, kBob, kCarol).status().code(),
            absl::StatusCode::kPermissionDenied);
  auto leave = DecideRemoveMember(c, kAlice, kAlice);
  ASSERT_TRUE(leave.ok());
  auto r = MemberRemoved::FromJson((*leave)[0].data);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->new_admin_id, kBob);
  ConversationRecord direct = c;
  direct.group = false;
  EXPECT_EQ(DecideRemoveMember(direct, kAlice, kAlice).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(MessageDeciderTest, ReadMarkersOnlyMoveForward) {
  ConversationRecord c = Group({{kAlice, Admin()}, {kBob, Member()}});
  c.last_message = MessageId(900);
  auto read = DecideReadConversation(c, kBob, 0, 0);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ(ConversationRead::FromJson((*read)[0].data)->up_to, MessageId(900));
  EXPECT_TRUE(DecideReadConversation(c, kBob, 800, 900)->empty());
  EXPECT_EQ(DecideReadConversation(c, kDave, 0, 0).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(DecideReadNotifications(kBob, 5, 5)->empty());
  auto n = DecideReadNotifications(kBob, 6, 5);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ((*n)[0].key, "user:22");
}

}  // namespace
}  // namespace lens
