#include "readmodels/notifications_model.h"

#include <algorithm>
#include <memory>

#include "base/big_endian.h"
#include "store/rocksdb_status.h"

namespace lens {
namespace notifications_model {

std::vector<std::string> ColumnFamilies() {
  return {kGroups, kGroupOrder, kGroupMembers, kSources, kById,    kByActor,
          kBySubject, kBlocks,  kMeta,         kCounters, "stream"};
}

std::string_view TypeName(char group_type) {
  switch (group_type) {
    case kLikeGroup: return "like";
    case kCommentGroup: return "comment";
    case kFollowGroup: return "follow";
    case kFollowRequestGroup: return "follow_request";
    case kFollowAcceptedGroup: return "follow_accepted";
    case kMentionGroup: return "mention";
    case kMessageGroup: return "message";
  }
  return "unknown";
}

std::string Group(char type, uint64_t target) {
  std::string g(1, type);
  AppendBigEndian64(&g, target);
  return g;
}

std::string Source(char kind, uint64_t a, uint64_t b) {
  std::string s(1, kind);
  AppendBigEndian64(&s, a);
  AppendBigEndian64(&s, b);
  return s;
}

std::string MarkerKey(uint64_t user) { return BigEndian64(user) + "r"; }
std::string UnreadKey(uint64_t user) { return BigEndian64(user) + "unread"; }

}  // namespace notifications_model

using namespace notifications_model;

absl::StatusOr<NotificationPage> NotificationsReader::Page(uint64_t user, uint64_t before,
                                                           size_t limit) const {
  std::shared_ptr<Store> store = slot_->Get();
  NotificationPage page;
  std::string start = BigEndian64(user);
  AppendBigEndian64(&start, ~(before - 1));  // first group with latest < before
  std::string upper = BigEndian64(user + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(store->db()->NewIterator(ro, store->cf(kGroupOrder)));
  std::vector<std::string> groups;
  for (it->Seek(start); it->Valid() && groups.size() <= limit; it->Next()) {
    std::string_view k = it->key().ToStringView();
    if (k.size() != 16 || ReadBigEndian64(k) != user) break;
    groups.push_back(it->value().ToString());
  }
  if (!it->status().ok()) return FromRocks(it->status());
  bool more = groups.size() > limit;
  if (more) groups.resize(limit);
  for (const std::string& g : groups) {
    if (g.size() != 9) return absl::DataLossError("corrupt notification group key");
    auto v = store->Get(kGroups, BigEndian64(user) + g);
    if (!v.ok()) return v.status();
    if (!*v) continue;  // withdrawn between the two reads
    auto j = ParseJsonObject(**v);
    if (!j.ok()) return absl::DataLossError("corrupt notification group");
    NotificationGroup n;
    n.type = std::string(TypeName(g[0]));
    n.latest = j->value("latest", uint64_t{0});
    n.latest_ts_ms = j->value("latest_ts", int64_t{0});
    n.count = j->value("count", int64_t{0});
    n.post = j->value("post", uint64_t{0});
    n.comment = j->value("comment", uint64_t{0});
    n.conversation = j->value("conversation", uint64_t{0});
    // The most recent distinct actors, from a bounded walk of the members.
    std::string prefix = BigEndian64(user) + g;
    std::string member_upper = prefix + std::string(8, '\xff');
    rocksdb::Slice member_upper_slice(member_upper);
    rocksdb::ReadOptions mro;
    mro.iterate_upper_bound = &member_upper_slice;
    std::unique_ptr<rocksdb::Iterator> m(store->db()->NewIterator(mro, store->cf(kGroupMembers)));
    int walked = 0;
    for (m->Seek(prefix); m->Valid() && n.actors.size() < 3 && walked < 50; m->Next(), ++walked) {
      std::string_view v = m->value().ToStringView();
      if (v.size() < 8) continue;
      uint64_t actor = ReadBigEndian64(v);
      if (std::find(n.actors.begin(), n.actors.end(), actor) == n.actors.end())
        n.actors.push_back(actor);
    }
    if (!m->status().ok()) return FromRocks(m->status());
    page.groups.push_back(std::move(n));
  }
  if (more && !page.groups.empty()) page.next = page.groups.back().latest;
  return page;
}

absl::StatusOr<int64_t> NotificationsReader::UnreadCount(uint64_t user) const {
  auto v = slot_->Get()->Get(kCounters, UnreadKey(user));
  if (!v.ok()) return v.status();
  return *v ? std::max<int64_t>(0, DecodeCounter(**v)) : 0;
}

absl::StatusOr<uint64_t> NotificationsReader::ReadUpTo(uint64_t user) const {
  auto v = slot_->Get()->Get(kMeta, MarkerKey(user));
  if (!v.ok()) return v.status();
  return *v && (*v)->size() == 8 ? ReadBigEndian64(**v) : 0;
}

}  // namespace lens
