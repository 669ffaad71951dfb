// DecisionState: what the command side knows when it decides, kept as a
// projection of the event log in its own RocksDB store (rebuilt from
// offset 0 on a fresh node). Column families:
//   users     BE64(user id) -> UserRecord JSON
//   usernames username      -> BE64(user id)
//   emails    email         -> BE64(user id)
//   sessions  BE64(session) -> SessionRecord JSON
//   commands  command id    -> the events an idempotent command appended
//   posts     BE64(post)    -> PostRecord JSON
//   post_counts BE64(post) + 'l' | 'c' -> likes, comments (int64, merged)
//   likes     BE64(post) BE64(user)          -> ""
//   comments  BE64(comment) -> CommentRecord JSON
//   follows   BE64(follower) BE64(followee)  -> ""
//   requests  BE64(followee) BE64(follower)  -> ""   (pending follow requests)
//   blocks    BE64(blocker) BE64(blocked)    -> ""
//   conversations      BE64(conversation) -> ConversationRecord JSON
//   direct_pairs       BE64(low user) BE64(high user) -> BE64(conversation)
//   client_messages    BE64(conversation) BE64(sender) client id -> BE64(message)
//   conversation_reads BE64(conversation) BE64(user) -> BE64(read up to)
//   notification_reads BE64(user) -> BE64(read up to)
//
// Reads see what the ProjectorRunner has applied; the CommandBus waits for
// its own appends to be applied before it lets the next command on the
// same key decide. Thread-safety: reads from any thread; Apply from the
// runner's thread only.
#ifndef LENS_COMMANDS_DECISION_STATE_H_
#define LENS_COMMANDS_DECISION_STATE_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/authenticator.h"
#include "commands/account_decider.h"
#include "eventlog/log_position.h"
#include "events/message_events.h"
#include "events/social_events.h"
#include "projector/projection.h"
#include "store/store.h"

namespace lens {

// What an idempotent command (one sent with an Idempotency-Key) appended.
struct CommandRecord {
  int64_t ts_ms = 0;
  std::vector<Event> events;
  ConsistencyToken token;
};

struct PostRecord {
  PostId id;
  UserId author_id;
  bool deleted = false;
  std::string caption;
  std::vector<std::string> hashtags;
  std::vector<std::string> mentions;
  std::vector<std::string> media_ids;
  int64_t created_at_ms = 0;
  int64_t edited_at_ms = 0;
  int64_t like_count = 0;  // filled by GetPost from post_counts
  int64_t comment_count = 0;
};

// The record a PostCreated event with `content`, appended at `ts_ms`,
// makes (what the decision state holds once it has applied the event).
PostRecord NewPostRecord(const PostContent& content, int64_t ts_ms);

struct CommentRecord {
  CommentId id;
  PostId post_id;
  UserId author_id;
  UserId post_author_id;
  bool deleted = false;
};

struct ConversationMemberRecord {
  bool admin = false;
  std::string state;  // kMemberActive, kMemberRequested, kMemberDeclined
};

struct ConversationRecord {
  ConversationId id;
  bool group = false;
  std::string name;
  // Current members (removed ones and those who left are not here), in the
  // order they joined.
  std::vector<std::pair<UserId, ConversationMemberRecord>> members;
  MessageId last_message;  // invalid before the first message
  const ConversationMemberRecord* Find(UserId user) const;
};

// Command ids of commands sent with an Idempotency-Key start with this.
inline constexpr std::string_view kIdempotentCommandPrefix = "k:";

// How long the record of an idempotent command answers its retries.
inline constexpr int64_t kIdempotencyWindowMs = int64_t{24} * 3600 * 1000;
// How long it is kept: compactions drop it an hour after the window ends
// (the hour absorbs clock differences between command nodes), so the
// records of a node that has taken commands for years are a day's worth.
inline constexpr int64_t kCommandRecordRetentionMs = kIdempotencyWindowMs + 3600 * 1000;

class DecisionState : public Projection, public SessionRevocations {
 public:
  static std::vector<std::string> ColumnFamilies();

  explicit DecisionState(Store* store) : store_(store) {}

  std::string_view name() const override { return "decision"; }
  std::vector<std::string> column_families() const override { return ColumnFamilies(); }
  // The like and comment counts: every like or comment command reads its
  // post's, so the merge operands of a popular post are folded (else each
  // read walks all of them in the memtable).
  static std::vector<std::string> HotCounterFamilies();
  std::vector<std::string> hot_counter_families() const override { return HotCounterFamilies(); }
  // The idempotency records, kept kCommandRecordRetentionMs.
  static std::map<std::string, int64_t> ExpiringFamiliesMs();
  std::map<std::string, int64_t> expiring_families_ms() const override {
    return ExpiringFamiliesMs();
  }
  absl::Status Apply(const Event& event, const LogPosition& pos, ApplyContext& ctx) override;

  absl::StatusOr<std::optional<UserRecord>> GetUser(UserId id) const;
  absl::StatusOr<std::optional<UserId>> FindByUsername(std::string_view username) const;
  absl::StatusOr<std::optional<UserId>> FindByEmail(std::string_view email) const;
  absl::StatusOr<std::optional<SessionRecord>> GetSession(SessionId id) const;
  absl::StatusOr<std::optional<CommandRecord>> GetCommand(std::string_view cmd_id) const;

  absl::StatusOr<bool> IsRevoked(const TokenClaims& claims) override;

  absl::StatusOr<std::optional<PostRecord>> GetPost(PostId id) const;
  absl::StatusOr<std::optional<CommentRecord>> GetComment(CommentId id) const;
  absl::StatusOr<bool> HasLiked(PostId post, UserId user) const;
  absl::StatusOr<bool> Follows(UserId follower, UserId followee) const;
  absl::StatusOr<bool> HasRequested(UserId follower, UserId followee) const;
  absl::StatusOr<bool> Blocks(UserId blocker, UserId blocked) const;
  // Followers waiting for `followee` to approve them.
  absl::StatusOr<std::vector<UserId>> PendingRequests(UserId followee) const;

  absl::StatusOr<std::optional<ConversationRecord>> GetConversation(ConversationId id) const;
  // The 1:1 conversation of two users, if they have one.
  absl::StatusOr<std::optional<ConversationId>> FindDirect(UserId a, UserId b) const;
  // The message a sender already sent with `client_id`, if any.
  absl::StatusOr<std::optional<MessageId>> FindClientMessage(ConversationId conversation,
                                                             UserId sender,
                                                             std::string_view client_id) const;
  absl::StatusOr<uint64_t> ConversationReadUpTo(ConversationId conversation, UserId user) const;
  absl::StatusOr<uint64_t> NotificationsReadUpTo(UserId user) const;

 private:
  absl::Status ApplySocial(const Event& event, ApplyContext& ctx);
  static bool IsMessageEvent(std::string_view type);
  absl::Status ApplyMessages(const Event& event, ApplyContext& ctx);
  absl::StatusOr<bool> Exists(std::string_view cf, std::string_view key) const;
  absl::StatusOr<std::optional<std::string>> Read(std::string_view cf, std::string_view key) const;
  Store* store_;
};

}  // namespace lens

#endif  // LENS_COMMANDS_DECISION_STATE_H_
