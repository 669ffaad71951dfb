// Workload: the social-app workload every benchmark in bench/ runs, for lens
// and for its peers alike, deterministic from a seed and scaled by a factor.
//
//   scale 1  ("S"):  10,000 users, ≈ 1M commands of set-up
//   scale 10 ("M"): 100,000 users, ≈ 10M
//
// The set-up is a history in four phases, each of which may be replayed in
// parallel (nothing in a phase depends on another item of the same phase):
//   1. users register;
//   2. the follow graph: out-degrees log-normal (most users follow tens to
//      hundreds), followees chosen by a Zipf law over popularity ranks, so a
//      few celebrities are followed by a large share of everyone;
//   3. posts, more from popular users, with captions holding hashtags and
//      @mentions;
//   4. likes and comments, skewed towards popular authors and recent posts.
// Users are numbered 0..users-1 (user i is "user<i>"); posts 0..posts-1 in
// creation order. A driver maps them to the ids its system assigns.
//
// The steady-state mix (a Mix per load thread) is what a running app sends:
// mostly home-feed reads, then likes, comments, posts and follows.
#ifndef LENS_BENCH_WORKLOAD_WORKLOAD_H_
#define LENS_BENCH_WORKLOAD_WORKLOAD_H_

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace lens::bench {

struct WorkloadSpec {
  uint64_t seed = 42;
  double scale = 1.0;
};

struct FollowOp {
  uint32_t follower, followee;
};
struct PostOp {
  uint32_t author;
  std::string caption;
};
struct EngageOp {
  bool comment;  // else a like
  uint32_t user;
  uint32_t post;  // index into Posts()
  std::string text;  // comments only
};

class Workload {
 public:
  explicit Workload(WorkloadSpec spec);

  uint32_t users() const { return users_; }
  static std::string Username(uint32_t user) { return "user" + std::to_string(user); }
  static std::string Password() { return "bench-password-1"; }

  const std::vector<FollowOp>& follows() const { return follows_; }
  const std::vector<PostOp>& posts() const { return posts_; }
  const std::vector<EngageOp>& engagements() const { return engagements_; }
  // Followers of each user (from follows()), for checks and fan-out.
  std::vector<uint32_t> FollowerCounts() const;
  // Users by popularity, most followed first.
  const std::vector<uint32_t>& by_popularity() const { return by_rank_; }
  // Commands in the set-up: registrations, follows, posts, engagements.
  uint64_t setup_commands() const {
    return users_ + follows_.size() + posts_.size() + engagements_.size();
  }

  // The steady-state mix for one load thread.
  class Mix {
   public:
    enum class Kind { kFeedRead, kLike, kComment, kPost, kFollow };
    struct Op {
      Kind kind;
      uint32_t user;    // who acts (the viewer of a feed read)
      uint32_t target;  // post index (like, comment) or user (follow)
      std::string text;
    };
    // `read_share` of the operations are feed reads (0..1).
    Mix(const Workload* w, uint64_t stream, double read_share);
    Op Next();

   private:
    const Workload* w_;
    std::mt19937_64 rng_;
    double read_share_;
  };

  // Samplers shared by the set-up and the mix.
  uint32_t PopularUser(std::mt19937_64& rng) const;  // Zipf over popularity ranks
  uint32_t AnyUser(std::mt19937_64& rng) const;
  uint32_t SkewedPost(std::mt19937_64& rng, uint32_t newest) const;  // recent and popular
  std::string Caption(std::mt19937_64& rng, uint32_t author) const;

 private:
  uint32_t users_;
  std::vector<uint32_t> by_rank_;      // rank -> user
  std::vector<double> zipf_cdf_;       // over ranks
  std::vector<FollowOp> follows_;
  std::vector<PostOp> posts_;
  std::vector<EngageOp> engagements_;
};

}  // namespace lens::bench

#endif  // LENS_BENCH_WORKLOAD_WORKLOAD_H_
