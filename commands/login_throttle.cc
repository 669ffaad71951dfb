#include "commands/login_throttle.h"

namespace lens {

int64_t LoginThrottle::RetryAfterMs(const std::string& who, int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(who);
  if (it == entries_.end()) return 0;
  const Entry& e = it->second;
  if (now_ms - e.window_start_ms >= window_ms_) return 0;
  if (e.failures < max_failures_) return 0;
  return e.window_start_ms + window_ms_ - now_ms;
}

void LoginThrottle::RecordFailure(const std::string& who, int64_t now_ms) {
  absl::MutexLock lock(&mu_);
  if (entries_.size() >= kMaxEntries) {
    // Forget expired windows; if all are live, forget everything rather
    // than grow without bound.
    for (auto it = entries_.begin(); it != entries_.end();) {
      auto cur = it++;
      if (now_ms - cur->second.window_start_ms >= window_ms_) entries_.erase(cur);
    }
    if (entries_.size() >= kMaxEntries) entries_.clear();
  }
  Entry& e = entries_[who];
  if (now_ms - e.window_start_ms >= window_ms_) {
    e.failures = 0;
    e.window_start_ms = now_ms;
  }
  ++e.failures;
}

void LoginThrottle::RecordSuccess(const std::string& who) {
  absl::MutexLock lock(&mu_);
  entries_.erase(who);
}

}  // namespace lens
