#include "projector/change_notifier.h"

#include <algorithm>

namespace lens {

uint64_t ChangeNotifier::Subscribe(uint64_t user, Waker waker) {
  absl::MutexLock lock(&mu_);
  uint64_t handle = next_handle_++;
  by_user_[user].push_back(Subscriber{handle, std::move(waker)});
  ++count_;
  return handle;
}

void ChangeNotifier::Unsubscribe(uint64_t user, uint64_t handle) {
  absl::MutexLock lock(&mu_);
  auto it = by_user_.find(user);
  if (it == by_user_.end()) return;
  size_t before = it->second.size();
  std::erase_if(it->second, [&](const Subscriber& s) { return s.handle == handle; });
  count_ -= before - it->second.size();
  if (it->second.empty()) by_user_.erase(it);
}

void ChangeNotifier::Notify(const std::vector<uint64_t>& users) {
  if (users.empty()) return;
  // Wakers are copied out so that none runs under the lock.
  std::vector<Waker> wake;
  {
    absl::MutexLock lock(&mu_);
    if (by_user_.empty()) return;
    for (uint64_t u : users) {
      auto it = by_user_.find(u);
      if (it == by_user_.end()) continue;
      for (const Subscriber& s : it->second) wake.push_back(s.waker);
    }
  }
  for (const Waker& w : wake) w();
}

size_t ChangeNotifier::subscriber_count() const {
  absl::MutexLock lock(&mu_);
  return count_;
}

}  // namespace lens
