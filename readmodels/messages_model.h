// The direct-messages read model, written by the "messages" projection:
// conversations, members with read markers, messages, each user's inbox
// (and message-request folder) ordered by last activity, unread counts.
//
//   conversations BE64(conv)                 -> JSON {group, name, created_at, last_message, activity}
//   members       BE64(conv) BE64(user)      -> JSON {admin, state, since, read_up_to}
//   inbox         BE64(user) F BE64(~activity) -> BE64(conv)   F: 'i' inbox, 'r' requests
//   inbox_pos     BE64(user) BE64(conv)      -> F BE64(activity)
//   messages      BE64(conv) BE64(~message)  -> JSON {sender, text, media_ids, client_id, ts}
//   counters      BE64(user) BE64(conv)      -> unread messages (int64)
//                 BE64(user) "unread"        -> unread messages in the inbox folder
//                 BE64(user) "unread_conversations" -> inbox conversations with unread messages
//   stream        see readmodels/stream_log.h
//
// A member sees the messages sent since they joined (`since`: the id of
// the event that added them), and nothing once removed or gone.
#ifndef LENS_READMODELS_MESSAGES_MODEL_H_
#define LENS_READMODELS_MESSAGES_MODEL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/json.h"
#include "store/store_slot.h"

namespace lens {

namespace messages_model {
inline constexpr char kConversations[] = "conversations";
inline constexpr char kMembers[] = "members";
inline constexpr char kInbox[] = "inbox";
inline constexpr char kInboxPos[] = "inbox_pos";
inline constexpr char kMessages[] = "messages";
inline constexpr char kCounters[] = "counters";
inline constexpr char kInboxFolder = 'i';
inline constexpr char kRequestsFolder = 'r';
std::vector<std::string> ColumnFamilies();
std::string Pair(uint64_t a, uint64_t b);
std::string TotalKey(uint64_t user, std::string_view name);
}  // namespace messages_model

struct StoredMember {
  uint64_t user = 0;
  bool admin = false;
  std::string state;
  uint64_t since = 0;
  uint64_t read_up_to = 0;
  Json ToJson() const;
  static std::optional<StoredMember> FromJson(uint64_t user, std::string_view text);
};

struct StoredMessage {
  uint64_t id = 0;
  uint64_t conversation = 0;
  uint64_t sender = 0;
  std::string text;
  std::vector<std::string> media_ids;
  std::string client_id;
  int64_t ts_ms = 0;
  Json ToJson() const;     // storage form
  Json ApiJson() const;    // as the API and live streams show it (views' MessageView)
  static std::optional<StoredMessage> FromJson(uint64_t conversation, uint64_t id,
                                               std::string_view text);
};

struct InboxEntry {
  uint64_t conversation = 0;
  uint64_t activity = 0;
};

class MessagesReader {
 public:
  explicit MessagesReader(const StoreSlot* slot) : slot_(slot) {}

  absl::StatusOr<std::optional<Json>> GetConversation(uint64_t conversation) const;
  absl::StatusOr<std::optional<StoredMember>> GetMember(uint64_t conversation, uint64_t user) const;
  absl::StatusOr<std::vector<StoredMember>> Members(uint64_t conversation) const;
  // A folder of `user`'s inbox, most recent activity first, activity < `before`.
  absl::StatusOr<std::vector<InboxEntry>> Inbox(uint64_t user, char folder, uint64_t before,
                                                size_t limit) const;
  // Messages newest first with ids in [since, before).
  absl::StatusOr<std::vector<StoredMessage>> Messages(uint64_t conversation, uint64_t since,
                                                      uint64_t before, size_t limit) const;
  absl::StatusOr<int64_t> Counter(const std::string& key) const;

 private:
  const StoreSlot* slot_;
};

}  // namespace lens

#endif  // LENS_READMODELS_MESSAGES_MODEL_H_
