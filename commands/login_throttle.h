// LoginThrottle: slows down password guessing. After `max_failures` failed
// logins for one account identifier within `window`, further attempts are
// refused (429) until the window has passed. In memory, per process: a
// restart forgets, which only ever lets a guesser start over, never locks
// a user out for longer. Thread-safe.
#ifndef LENS_COMMANDS_LOGIN_THROTTLE_H_
#define LENS_COMMANDS_LOGIN_THROTTLE_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace lens {

class LoginThrottle {
 public:
  LoginThrottle(int max_failures, int64_t window_ms)
      : max_failures_(max_failures), window_ms_(window_ms) {}

  // 0 when an attempt may go ahead; otherwise the milliseconds to wait.
  int64_t RetryAfterMs(const std::string& who, int64_t now_ms);
  void RecordFailure(const std::string& who, int64_t now_ms);
  void RecordSuccess(const std::string& who);

 private:
  struct Entry {
    int failures = 0;
    int64_t window_start_ms = 0;
  };
  static constexpr size_t kMaxEntries = 1 << 20;  // bounded memory
  const int max_failures_;
  const int64_t window_ms_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lens

#endif  // LENS_COMMANDS_LOGIN_THROTTLE_H_
