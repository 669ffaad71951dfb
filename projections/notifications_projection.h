// The "notifications" projection: a user's notifications (likes, comments,
// follows, follow requests and acceptances, mentions, messages), grouped
// for display, with a read marker, an unread count and a live stream (see
// readmodels/notifications_model.h for the schema).
//
// Rules: never for one's own action; never from an account blocked either
// way (a block also withdraws what each had from the other); undoing the
// action (unlike, unfollow, a deleted comment or post, a withdrawn or
// answered follow request, reading the conversation) withdraws the
// notification. Every change is guarded by the state it changes, so a
// replay builds the same model and the unread count stays exact.
#ifndef LENS_PROJECTIONS_NOTIFICATIONS_PROJECTION_H_
#define LENS_PROJECTIONS_NOTIFICATIONS_PROJECTION_H_

#include <cstdint>
#include <initializer_list>

#include "projections/stream_appender.h"
#include "projector/projection.h"

namespace lens {

class NotificationsProjection : public Projection {
 public:
  explicit NotificationsProjection(ChangeNotifier* notifier = nullptr) : stream_(notifier) {}
  std::string_view name() const override { return "notifications"; }
  std::vector<std::string> column_families() const override;
  std::map<std::string, int64_t> expiring_families_ms() const override;
  // The unread counts: a popular account's gains an operand per like.
  std::vector<std::string> hot_counter_families() const override;
  bool Handles(std::string_view event_type) const override;
  absl::Status Apply(const Event& event, const LogPosition& pos, ApplyContext& ctx) override;
  void OnCommitted() override { stream_.Flush(); }

 private:
  struct Notice {
    uint64_t user = 0;   // the recipient
    uint64_t actor = 0;  // who acted
    std::string source;  // S
    char group = 0;
    uint64_t target = 0;
    std::vector<uint64_t> subjects;  // posts, comments, conversations it is about
    uint64_t post = 0, comment = 0, conversation = 0;
  };
  absl::Status ApplyEvent(const Event& e, ApplyContext& ctx);
  absl::Status Add(const Event& e, const Notice& n, ApplyContext& ctx);
  absl::Status Withdraw(uint64_t user, const std::string& source, ApplyContext& ctx);
  absl::Status WithdrawSubject(uint64_t subject, ApplyContext& ctx);
  absl::Status WithdrawFromActor(uint64_t user, uint64_t actor, ApplyContext& ctx);
  // Message notifications of a conversation for `user`, up to a message id.
  absl::Status WithdrawMessages(uint64_t user, uint64_t conversation, uint64_t up_to,
                                ApplyContext& ctx);
  absl::Status MarkRead(const Event& e, uint64_t user, uint64_t up_to, ApplyContext& ctx);
  absl::StatusOr<uint64_t> Marker(uint64_t user, ApplyContext& ctx);

  StreamAppender stream_;
};

}  // namespace lens

#endif  // LENS_PROJECTIONS_NOTIFICATIONS_PROJECTION_H_
