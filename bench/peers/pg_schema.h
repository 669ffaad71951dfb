// The relational design peer_bench measures lens against: the schema a
// PostgreSQL-backed Instagram clone starts from, and every statement its
// request handlers run. Text only; PgSocial prepares and runs them.
//
// Counters (like_count, comment_count) are denormalised into posts and kept
// in the same transaction as the like or comment, so a feed page needs no
// COUNT(*). The home feed is pulled at read time from the follow graph.
#ifndef LENS_BENCH_PEERS_PG_SCHEMA_H_
#define LENS_BENCH_PEERS_PG_SCHEMA_H_

namespace lens::bench::peers {

// Drops what an earlier run left and creates the tables and indexes.
inline constexpr const char* kSchemaSql = R"sql(
SET client_min_messages = warning;  -- no NOTICE for the tables not there yet
DROP TABLE IF EXISTS comments, likes, follows, posts, users CASCADE;

CREATE TABLE users (
  id         bigserial PRIMARY KEY,
  username   text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE follows (
  follower_id bigint NOT NULL REFERENCES users (id),
  followee_id bigint NOT NULL REFERENCES users (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (follower_id, followee_id)  -- whom a viewer follows: the pull feed
);
-- Who follows an author: the fan-out on write.
CREATE INDEX follows_by_followee ON follows (followee_id, follower_id);

CREATE TABLE posts (
  id            bigserial PRIMARY KEY,
  author_id     bigint NOT NULL REFERENCES users (id),
  caption       text NOT NULL,
  like_count    integer NOT NULL DEFAULT 0,
  comment_count integer NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now()
);
-- An author's newest posts first; carries id so the feed's per-author top-N
-- is an index-only scan.
CREATE INDEX posts_by_author_time ON posts (author_id, created_at DESC, id DESC);

CREATE TABLE likes (
  post_id    bigint NOT NULL REFERENCES posts (id),
  user_id    bigint NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (post_id, user_id)  -- a user likes a post once; "did the viewer like it"
);

CREATE TABLE comments (
  id         bigserial PRIMARY KEY,
  post_id    bigint NOT NULL REFERENCES posts (id),
  user_id    bigint NOT NULL REFERENCES users (id),
  text       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_by_post_time ON comments (post_id, created_at);
)sql";

struct Statement {
  const char* name;
  const char* sql;
};

// Prepared once per connection.
inline constexpr Statement kStatements[] = {
    {"register", "INSERT INTO users (username) VALUES ($1) RETURNING id"},
    {"follow",
     "INSERT INTO follows (follower_id, followee_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"},
    {"post", "INSERT INTO posts (author_id, caption) VALUES ($1, $2) RETURNING id"},
    {"like_insert", "INSERT INTO likes (post_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"},
    {"like_count", "UPDATE posts SET like_count = like_count + 1 WHERE id = $1"},
    {"comment_insert", "INSERT INTO comments (post_id, user_id, text) VALUES ($1, $2, $3)"},
    {"comment_count", "UPDATE posts SET comment_count = comment_count + 1 WHERE id = $1"},
    {"followers", "SELECT follower_id FROM follows WHERE followee_id = $1"},
    // The pull feed: posts of the viewer's followees and the viewer's own,
    // newest first, $2 of them, hydrated. Written the way a careful
    // engineer would (a LATERAL top-N per author over the author/time index,
    // then the overall top-N), so each author contributes at most $2 index
    // entries instead of all their posts being sorted.
    {"pull_feed", R"sql(
WITH authors AS (
  SELECT followee_id AS id FROM follows WHERE follower_id = $1
  UNION ALL SELECT $1::bigint
), top AS (
  SELECT t.id, t.created_at
  FROM authors a
  CROSS JOIN LATERAL (
    SELECT p.id, p.created_at FROM posts p
    WHERE p.author_id = a.id
    ORDER BY p.created_at DESC, p.id DESC
    LIMIT $2) t
  ORDER BY t.created_at DESC, t.id DESC
  LIMIT $2
)
SELECT p.id, u.username, p.caption, p.like_count, p.comment_count,
       EXISTS (SELECT 1 FROM likes l WHERE l.post_id = p.id AND l.user_id = $1) AS liked
FROM top
JOIN posts p ON p.id = top.id
JOIN users u ON u.id = p.author_id
ORDER BY top.created_at DESC, top.id DESC)sql"},
    // Hydrates the post ids of a Redis timeline page ($2, a bigint[]), in
    // one query; the caller restores the timeline's order.
    {"hydrate", R"sql(
SELECT p.id, u.username, p.caption, p.like_count, p.comment_count,
       EXISTS (SELECT 1 FROM likes l WHERE l.post_id = p.id AND l.user_id = $1) AS liked
FROM posts p
JOIN users u ON u.id = p.author_id
WHERE p.id = ANY ($2::bigint[]))sql"},
};

}  // namespace lens::bench::peers

#endif  // LENS_BENCH_PEERS_PG_SCHEMA_H_
