// The "messages" projection: conversations, members and read markers,
// messages, inboxes ordered by last activity, unread counts, and the
// members' live streams (see readmodels/messages_model.h for the schema).
// Every change is guarded by the state it changes (a message already
// stored is not stored again), so a replay builds the same model.
#ifndef LENS_PROJECTIONS_MESSAGES_PROJECTION_H_
#define LENS_PROJECTIONS_MESSAGES_PROJECTION_H_

#include "projections/stream_appender.h"
#include "projector/projection.h"
#include "readmodels/messages_model.h"

namespace lens {

class MessagesProjection : public Projection {
 public:
  explicit MessagesProjection(ChangeNotifier* notifier = nullptr) : stream_(notifier) {}
  std::string_view name() const override { return "messages"; }
  std::vector<std::string> column_families() const override;
  std::map<std::string, int64_t> expiring_families_ms() const override;
  bool Handles(std::string_view event_type) const override;
  absl::Status Apply(const Event& event, const LogPosition& pos, ApplyContext& ctx) override;
  void OnCommitted() override { stream_.Flush(); }

 private:
  absl::Status ApplyEvent(const Event& e, ApplyContext& ctx);
  absl::Status OnMembers(const Event& e, ApplyContext& ctx);
  absl::Status OnRemoved(const Event& e, ApplyContext& ctx);
  absl::Status OnMessage(const Event& e, ApplyContext& ctx);
  absl::Status OnAnswer(const Event& e, ApplyContext& ctx);
  absl::Status OnRead(const Event& e, ApplyContext& ctx);

  absl::StatusOr<std::vector<StoredMember>> LoadMembers(uint64_t conversation, ApplyContext& ctx);
  void SaveMember(uint64_t conversation, const StoredMember& m, ApplyContext& ctx);
  // Puts the conversation in `folder` of the user's inbox at `activity`
  // (moving it from wherever it was); folder 0 takes it out.
  absl::Status PlaceInInbox(uint64_t user, uint64_t conversation, char folder, uint64_t activity,
                            ApplyContext& ctx);
  absl::StatusOr<char> FolderOf(uint64_t user, uint64_t conversation, ApplyContext& ctx);
  // Sets the member's unread count of a conversation, keeping the totals.
  absl::Status SetUnread(uint64_t user, uint64_t conversation, int64_t unread, bool in_totals,
                         ApplyContext& ctx);
  void Push(ApplyContext& ctx, const std::vector<StoredMember>& members, std::string_view type,
            const Json& data);

  StreamAppender stream_;
};

}  // namespace lens

#endif  // LENS_PROJECTIONS_MESSAGES_PROJECTION_H_
