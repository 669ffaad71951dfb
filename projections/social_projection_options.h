// SocialProjectionOptions: how the home feeds are shaped. Its own small
// header, so that the node's and lensctl's flags take their defaults from
// here (a rebuild must use the node's settings) without the projection's
// RocksDB-laden header.
#ifndef LENS_PROJECTIONS_SOCIAL_PROJECTION_OPTIONS_H_
#define LENS_PROJECTIONS_SOCIAL_PROJECTION_OPTIONS_H_

#include <cstddef>
#include <cstdint>

namespace lens {

struct SocialProjectionOptions {
  size_t feed_cap = 800;                // feed entries kept per user
  // Followers from which an author's posts are merged at read time. Each
  // post of an author under it costs one feed insert per follower: with
  // the bench workload at 100,000 users, 1,000 means 59 inserts per post
  // and 16 celebrities followed per viewer (a lookup each per page); 10,000
  // meant 384 per post, more than two cores apply while taking commands.
  int64_t celebrity_threshold = 1000;
  // A celebrity's newest post ids kept in one key, which a feed page reads
  // instead of a Seek into the celebrity's posts; a page older than them
  // still Seeks. Any value gives the same pages.
  size_t celebrity_recent_posts = 100;
};

}  // namespace lens

#endif  // LENS_PROJECTIONS_SOCIAL_PROJECTION_OPTIONS_H_
