#include "bench/workload/workload.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

namespace lens::bench {
namespace {

// Uniform in [0, 1) from 53 random bits (the same on every platform, unlike
// std::uniform_real_distribution).
double Uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

uint32_t Below(std::mt19937_64& rng, uint32_t n) { return static_cast<uint32_t>(Uniform(rng) * n); }

// Standard normal by Box-Muller.
double Normal(std::mt19937_64& rng) {
  double u1 = std::max(Uniform(rng), 1e-300), u2 = Uniform(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

constexpr uint32_t kHashtags = 1000;
constexpr const char* kWords[] = {"sunset", "coffee", "city",  "friends", "beach", "trail",
                                  "dinner", "music",  "later", "today",   "again", "finally"};

}  // namespace

Workload::Workload(WorkloadSpec spec) {
  users_ = std::max<uint32_t>(10, static_cast<uint32_t>(std::llround(10000 * spec.scale)));
  std::mt19937_64 rng(spec.seed);

  by_rank_.resize(users_);
  for (uint32_t i = 0; i < users_; ++i) by_rank_[i] = i;
  std::shuffle(by_rank_.begin(), by_rank_.end(), rng);
  // Zipf (s = 1) over popularity ranks.
  zipf_cdf_.resize(users_);
  double sum = 0;
  for (uint32_t r = 0; r < users_; ++r) zipf_cdf_[r] = (sum += 1.0 / (r + 1));
  for (double& c : zipf_cdf_) c /= sum;

  // 2. Follows: log-normal out-degree (median 40), Zipf followees.
  const uint32_t max_degree = std::min<uint32_t>(users_ - 1, 2000);
  for (uint32_t u = 0; u < users_; ++u) {
    uint32_t degree = static_cast<uint32_t>(std::clamp(40.0 * std::exp(0.8 * Normal(rng)), 1.0,
                                                       static_cast<double>(max_degree)));
    std::unordered_set<uint32_t> chosen;
    for (uint32_t tries = 0; chosen.size() < degree && tries < degree * 20; ++tries) {
      // Mostly by popularity, some uniformly (friends of friends, locals).
      uint32_t v = Uniform(rng) < 0.7 ? PopularUser(rng) : AnyUser(rng);
      if (v != u) chosen.insert(v);
    }
    std::vector<uint32_t> sorted(chosen.begin(), chosen.end());
    std::sort(sorted.begin(), sorted.end());  // unordered_set order is not portable
    for (uint32_t v : sorted) follows_.push_back({u, v});
  }
  std::shuffle(follows_.begin(), follows_.end(), rng);

  // 3. Posts: ten per user on average, more from popular users.
  const uint64_t post_count = static_cast<uint64_t>(users_) * 10;
  posts_.reserve(post_count);
  for (uint64_t i = 0; i < post_count; ++i) {
    uint32_t author = Uniform(rng) < 0.4 ? PopularUser(rng) : AnyUser(rng);
    posts_.push_back({author, Caption(rng, author)});
  }

  // 4. Likes (30 per user) and comments (10 per user), towards popular and
  // recent posts; a user likes a post once.
  const uint64_t likes = static_cast<uint64_t>(users_) * 30, comments = static_cast<uint64_t>(users_) * 10;
  std::unordered_set<uint64_t> liked;
  engagements_.reserve(likes + comments);
  const uint32_t newest = static_cast<uint32_t>(posts_.size() - 1);
  for (uint64_t i = 0; i < likes + comments; ++i) {
    const bool comment = Below(rng, static_cast<uint32_t>(likes + comments)) < comments;
    uint32_t user = AnyUser(rng);
    uint32_t post = SkewedPost(rng, newest);
    if (!comment) {
      for (int tries = 0; tries < 8 && !liked.insert((uint64_t{user} << 32) | post).second; ++tries)
        post = SkewedPost(rng, newest);
    }
    engagements_.push_back({comment, user, post, comment ? Caption(rng, user) : std::string()});
  }
  // A like that collided eight times is dropped: keep likes unique.
  std::unordered_set<uint64_t> seen;
  std::vector<EngageOp> unique;
  unique.reserve(engagements_.size());
  for (EngageOp& e : engagements_)
    if (e.comment || seen.insert((uint64_t{e.user} << 32) | e.post).second) unique.push_back(std::move(e));
  engagements_ = std::move(unique);
}

uint32_t Workload::PopularUser(std::mt19937_64& rng) const {
  double x = Uniform(rng);
  auto it = std::lower_bound(zipf_cdf_.begin(), zipf_cdf_.end(), x);
  uint32_t rank = static_cast<uint32_t>(std::min<size_t>(it - zipf_cdf_.begin(), users_ - 1));
  return by_rank_[rank];
}

uint32_t Workload::AnyUser(std::mt19937_64& rng) const { return Below(rng, users_); }

uint32_t Workload::SkewedPost(std::mt19937_64& rng, uint32_t newest) const {
  // Recency: an exponential age with a mean of 5% of all posts.
  double age = -std::log(std::max(Uniform(rng), 1e-12)) * 0.05 * (newest + 1);
  if (Uniform(rng) < 0.5) age *= 0.1;  // half the attention on the very newest
  return newest - std::min<uint32_t>(newest, static_cast<uint32_t>(age));
}

std::string Workload::Caption(std::mt19937_64& rng, uint32_t author) const {
  std::string c = kWords[Below(rng, 12)];
  c += " ";
  c += kWords[Below(rng, 12)];
  // Hashtags: Zipf-ish over a small vocabulary (squared uniform favours low ids).
  for (uint32_t n = Below(rng, 3); n > 0; --n) {
    double u = Uniform(rng);
    c += " #tag" + std::to_string(static_cast<uint32_t>(u * u * kHashtags));
  }
  if (Uniform(rng) < 0.3) {
    uint32_t m = PopularUser(rng);
    if (m != author) c += " @" + Username(m);
  }
  return c;
}

std::vector<uint32_t> Workload::FollowerCounts() const {
  std::vector<uint32_t> counts(users_, 0);
  for (const FollowOp& f : follows_) ++counts[f.followee];
  return counts;
}

Workload::Mix::Mix(const Workload* w, uint64_t stream, double read_share)
    : w_(w), rng_(0x9E3779B97F4A7C15ull * (stream + 1)), read_share_(read_share) {}

Workload::Mix::Op Workload::Mix::Next() {
  Op op{};
  op.user = w_->AnyUser(rng_);
  double x = Uniform(rng_);
  if (x < read_share_) {
    op.kind = Kind::kFeedRead;
    return op;
  }
  x = (x - read_share_) / (1.0 - read_share_);
  const uint32_t newest = static_cast<uint32_t>(w_->posts_.size() - 1);
  if (x < 0.5) {
    op.kind = Kind::kLike;
    op.target = w_->SkewedPost(rng_, newest);
  } else if (x < 0.7) {
    op.kind = Kind::kComment;
    op.target = w_->SkewedPost(rng_, newest);
    op.text = w_->Caption(rng_, op.user);
  } else if (x < 0.9) {
    op.kind = Kind::kPost;
    op.text = w_->Caption(rng_, op.user);
  } else {
    op.kind = Kind::kFollow;
    op.target = w_->PopularUser(rng_);
  }
  return op;
}

}  // namespace lens::bench
