// ChangeNotifier: who wants to know, right away, that a user's read models
// changed — the live streams of connected users. Projections collect the
// users a batch touched and call Notify once the batch is committed; a
// subscriber's waker then reads what is new from the store itself, so a
// notification carries no data and a missed or extra one costs nothing
// but a read.
//
// Thread-safety: all methods from any thread. Wakers run on the notifying
// thread (the projector's) and must be cheap and must not call back into
// the notifier.
#ifndef LENS_PROJECTOR_CHANGE_NOTIFIER_H_
#define LENS_PROJECTOR_CHANGE_NOTIFIER_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace lens {

class ChangeNotifier {
 public:
  using Waker = std::function<void()>;

  // Returns a handle for Unsubscribe.
  uint64_t Subscribe(uint64_t user, Waker waker);
  void Unsubscribe(uint64_t user, uint64_t handle);
  // Wakes every subscriber of each user in `users` (duplicates allowed).
  void Notify(const std::vector<uint64_t>& users);
  size_t subscriber_count() const;

 private:
  struct Subscriber {
    uint64_t handle;
    Waker waker;
  };
  mutable absl::Mutex mu_;
  uint64_t next_handle_ ABSL_GUARDED_BY(mu_) = 1;
  size_t count_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<uint64_t, std::vector<Subscriber>> by_user_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lens

#endif  // LENS_PROJECTOR_CHANGE_NOTIFIER_H_
