// The notifications read model, written by the "notifications" projection.
//
// A notification is what one event did to one user (a like of their post,
// a follow, a mention...). It is identified by its source — what produced
// it, so that undoing the action withdraws exactly it — and shown in a
// group ("alice and 12 others liked your post"). Ids are the producing
// event's id: time-ordered, and unique per user (an event notifies a user
// at most once).
//
//   groups        BE64(user) G               -> group JSON {type, count, latest, latest_ts, post, comment, conversation}
//   group_order   BE64(user) BE64(~latest)   -> G           (newest group first)
//   group_members BE64(user) G BE64(~id)     -> BE64(actor) BE64(ts) S
//   sources       BE64(user) S               -> BE64(id) BE64(actor) G [BE64(subject)...]
//   by_id         BE64(user) BE64(id)        -> S           (read-marker arithmetic)
//   by_actor      BE64(user) BE64(actor) S   -> ""          (a block withdraws them)
//   by_subject    BE64(subject) BE64(user) S -> ""          (a deleted post or comment)
//   blocks        BE64(blocker) BE64(blocked) -> ""
//   meta          BE64(user) 'r'             -> BE64(read up to)
//   counters      BE64(user) "unread"        -> int64
//   stream        see readmodels/stream_log.h
//
// G (9 bytes) = group type + BE64(target); S (17 bytes) = source kind +
// BE64 + BE64.
#ifndef LENS_READMODELS_NOTIFICATIONS_MODEL_H_
#define LENS_READMODELS_NOTIFICATIONS_MODEL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "base/json.h"
#include "store/store_slot.h"

namespace lens {

namespace notifications_model {
inline constexpr char kGroups[] = "groups";
inline constexpr char kGroupOrder[] = "group_order";
inline constexpr char kGroupMembers[] = "group_members";
inline constexpr char kSources[] = "sources";
inline constexpr char kById[] = "by_id";
inline constexpr char kByActor[] = "by_actor";
inline constexpr char kBySubject[] = "by_subject";
inline constexpr char kBlocks[] = "blocks";
inline constexpr char kMeta[] = "meta";
inline constexpr char kCounters[] = "counters";
std::vector<std::string> ColumnFamilies();

// Group types (the first byte of G) and their API names.
inline constexpr char kLikeGroup = 'L';
inline constexpr char kCommentGroup = 'C';
inline constexpr char kFollowGroup = 'F';          // target: the UTC day
inline constexpr char kFollowRequestGroup = 'R';   // target: the requester
inline constexpr char kFollowAcceptedGroup = 'A';  // target: who accepted
inline constexpr char kMentionGroup = 'M';         // target: the post or comment
inline constexpr char kMessageGroup = 'S';         // target: the conversation
std::string_view TypeName(char group_type);

std::string Group(char type, uint64_t target);                   // G
std::string Source(char kind, uint64_t a, uint64_t b = 0);       // S
std::string MarkerKey(uint64_t user);
std::string UnreadKey(uint64_t user);
}  // namespace notifications_model

struct NotificationGroup {
  std::string type;  // "like", "comment", "follow", "follow_request", ...
  uint64_t latest = 0;
  int64_t latest_ts_ms = 0;
  int64_t count = 0;
  std::vector<uint64_t> actors;  // up to 3, most recent first, distinct
  uint64_t post = 0, comment = 0, conversation = 0;
};

struct NotificationPage {
  std::vector<NotificationGroup> groups;
  std::optional<uint64_t> next;  // latest id of the last group, when more may follow
};

class NotificationsReader {
 public:
  explicit NotificationsReader(const StoreSlot* slot) : slot_(slot) {}
  // Groups newest first, with latest id < `before`.
  absl::StatusOr<NotificationPage> Page(uint64_t user, uint64_t before, size_t limit) const;
  absl::StatusOr<int64_t> UnreadCount(uint64_t user) const;
  absl::StatusOr<uint64_t> ReadUpTo(uint64_t user) const;

 private:
  const StoreSlot* slot_;
};

}  // namespace lens

#endif  // LENS_READMODELS_NOTIFICATIONS_MODEL_H_
