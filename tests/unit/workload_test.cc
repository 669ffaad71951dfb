// The benchmark workload: deterministic from its seed, and shaped like a
// social app (power-law follows, unique likes, skew towards recent posts).
#include <algorithm>
#include <set>

#include "bench/workload/workload.h"
#include "gtest/gtest.h"

namespace lens::bench {
namespace {

TEST(WorkloadTest, SameSeedSameWorkloadOtherSeedAnother) {
  Workload a({.seed = 7, .scale = 0.1}), b({.seed = 7, .scale = 0.1}), c({.seed = 8, .scale = 0.1});
  ASSERT_EQ(a.users(), 1000u);
  ASSERT_EQ(a.follows().size(), b.follows().size());
  for (size_t i = 0; i < a.follows().size(); ++i) {
    ASSERT_EQ(a.follows()[i].follower, b.follows()[i].follower);
    ASSERT_EQ(a.follows()[i].followee, b.follows()[i].followee);
  }
  ASSERT_EQ(a.posts().size(), b.posts().size());
  for (size_t i = 0; i < a.posts().size(); ++i) ASSERT_EQ(a.posts()[i].caption, b.posts()[i].caption);
  Workload::Mix ma(&a, 3, 0.8), mb(&b, 3, 0.8);
  for (int i = 0; i < 1000; ++i) {
    auto x = ma.Next(), y = mb.Next();
    ASSERT_EQ(x.user, y.user);
    ASSERT_EQ(x.target, y.target);
    ASSERT_EQ(x.text, y.text);
  }
  EXPECT_NE(a.posts()[0].caption + a.posts()[1].caption, c.posts()[0].caption + c.posts()[1].caption);
}

TEST(WorkloadTest, ShapedLikeASocialApp) {
  Workload w({.seed = 42, .scale = 0.2});
  const uint32_t n = w.users();
  std::vector<uint32_t> followers = w.FollowerCounts();
  std::vector<uint32_t> sorted = followers;
  std::sort(sorted.rbegin(), sorted.rend());
  // A celebrity followed by a large share of everyone; most users by few.
  EXPECT_GT(sorted[0], n / 2);
  EXPECT_LT(sorted[n / 2], 60u);
  EXPECT_EQ(followers[w.by_popularity()[0]], sorted[0]);
  // Out-degrees: most users follow tens to hundreds.
  std::vector<uint32_t> out(n, 0);
  std::set<std::pair<uint32_t, uint32_t>> edges;
  for (const FollowOp& f : w.follows()) {
    ++out[f.follower];
    EXPECT_NE(f.follower, f.followee);
    EXPECT_TRUE(edges.insert({f.follower, f.followee}).second) << "duplicate follow";
  }
  std::sort(out.begin(), out.end());
  EXPECT_GE(out[n / 2], 20u);
  EXPECT_LE(out[n / 2], 100u);
  // Likes unique per (user, post); comments carry text; recent posts favoured.
  std::set<std::pair<uint32_t, uint32_t>> likes;
  uint64_t recent = 0;
  const uint32_t posts = static_cast<uint32_t>(w.posts().size());
  for (const EngageOp& e : w.engagements()) {
    if (e.comment) {
      EXPECT_FALSE(e.text.empty());
    } else {
      EXPECT_TRUE(likes.insert({e.user, e.post}).second);
    }
    if (e.post >= posts - posts / 10) ++recent;
  }
  EXPECT_GT(recent, w.engagements().size() / 2) << "the newest 10% of posts get most attention";
  EXPECT_GT(w.setup_commands(), 20u * n);
}

}  // namespace
}  // namespace lens::bench
