#include "readmodels/messages_model.h"

#include <algorithm>
#include <memory>

#include "base/big_endian.h"
#include "store/rocksdb_status.h"
#include "views/views.h"

namespace lens {
namespace messages_model {

std::vector<std::string> ColumnFamilies() {
  return {kConversations, kMembers, kInbox, kInboxPos, kMessages, kCounters, "stream"};
}

std::string Pair(uint64_t a, uint64_t b) {
  std::string k = BigEndian64(a);
  AppendBigEndian64(&k, b);
  return k;
}

std::string TotalKey(uint64_t user, std::string_view name) {
  std::string k = BigEndian64(user);
  k += name;
  return k;
}

}  // namespace messages_model

using namespace messages_model;

Json StoredMember::ToJson() const {
  return Json{{"admin", admin}, {"state", state}, {"since", since}, {"read_up_to", read_up_to}};
}

std::optional<StoredMember> StoredMember::FromJson(uint64_t user, std::string_view text) {
  auto j = ParseJsonObject(text);
  if (!j.ok()) return std::nullopt;
  StoredMember m;
  m.user = user;
  m.admin = j->value("admin", false);
  m.state = j->value("state", "");
  m.since = j->value("since", uint64_t{0});
  m.read_up_to = j->value("read_up_to", uint64_t{0});
  return m;
}

Json StoredMessage::ToJson() const {
  Json j{{"sender", sender}, {"text", text}, {"ts", ts_ms}};
  if (!media_ids.empty()) j["media_ids"] = media_ids;
  if (!client_id.empty()) j["client_id"] = client_id;
  return j;
}

Json StoredMessage::ApiJson() const {
  MessageView v;
  v.id = std::to_string(id);
  v.conversation_id = std::to_string(conversation);
  v.sender_id = std::to_string(sender);
  v.text = text;
  v.media_ids = media_ids;
  v.client_id = client_id;
  v.created_at_ms = ts_ms;
  return lens::ToJson(v);
}

std::optional<StoredMessage> StoredMessage::FromJson(uint64_t conversation, uint64_t id,
                                                     std::string_view text) {
  auto j = ParseJsonObject(text);
  if (!j.ok()) return std::nullopt;
  StoredMessage m;
  m.id = id;
  m.conversation = conversation;
  m.sender = j->value("sender", uint64_t{0});
  m.text = j->value("text", "");
  m.media_ids = j->value("media_ids", std::vector<std::string>{});
  m.client_id = j->value("client_id", "");
  m.ts_ms = j->value("ts", int64_t{0});
  return m;
}

absl::StatusOr<std::optional<Json>> MessagesReader::GetConversation(uint64_t conversation) const {
  auto v = slot_->Get()->Get(kConversations, BigEndian64(conversation));
  if (!v.ok()) return v.status();
  if (!*v) return std::optional<Json>();
  auto j = ParseJsonObject(**v);
  if (!j.ok()) return absl::DataLossError("corrupt conversation");
  return std::optional<Json>(std::move(*j));
}

absl::StatusOr<std::optional<StoredMember>> MessagesReader::GetMember(uint64_t conversation,
                                                                      uint64_t user) const {
  auto v = slot_->Get()->Get(kMembers, Pair(conversation, user));
  if (!v.ok()) return v.status();
  if (!*v) return std::optional<StoredMember>();
  auto m = StoredMember::FromJson(user, **v);
  if (!m) return absl::DataLossError("corrupt conversation member");
  return m;
}

absl::StatusOr<std::vector<StoredMember>> MessagesReader::Members(uint64_t conversation) const {
  std::shared_ptr<Store> store = slot_->Get();
  std::string upper = BigEndian64(conversation + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(store->db()->NewIterator(ro, store->cf(kMembers)));
  std::vector<StoredMember> out;
  for (it->Seek(BigEndian64(conversation)); it->Valid(); it->Next()) {
    std::string_view k = it->key().ToStringView();
    if (k.size() != 16) continue;
    auto m = StoredMember::FromJson(ReadBigEndian64(k.substr(8)), it->value().ToStringView());
    if (!m) return absl::DataLossError("corrupt conversation member");
    out.push_back(std::move(*m));
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return out;
}

absl::StatusOr<std::vector<InboxEntry>> MessagesReader::Inbox(uint64_t user, char folder,
                                                              uint64_t before,
                                                              size_t limit) const {
  std::shared_ptr<Store> store = slot_->Get();
  std::string prefix = BigEndian64(user);
  prefix.push_back(folder);
  std::string start = prefix + BigEndian64(~(before - 1));
  std::string upper = prefix + std::string(8, '\xff');
  upper.push_back('\xff');
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(store->db()->NewIterator(ro, store->cf(kInbox)));
  std::vector<InboxEntry> out;
  for (it->Seek(start); it->Valid() && out.size() < limit; it->Next()) {
    std::string_view k = it->key().ToStringView();
    std::string_view v = it->value().ToStringView();
    if (k.size() != 17 || v.size() != 8 || k.substr(0, 9) != prefix) break;
    out.push_back(InboxEntry{ReadBigEndian64(v), ~ReadBigEndian64(k.substr(9))});
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return out;
}

absl::StatusOr<std::vector<StoredMessage>> MessagesReader::Messages(uint64_t conversation,
                                                                    uint64_t since,
                                                                    uint64_t before,
                                                                    size_t limit) const {
  std::shared_ptr<Store> store = slot_->Get();
  std::string upper = BigEndian64(conversation + 1);
  rocksdb::Slice upper_slice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(store->db()->NewIterator(ro, store->cf(kMessages)));
  std::vector<StoredMessage> out;
  for (it->Seek(Pair(conversation, ~(before - 1))); it->Valid() && out.size() < limit;
       it->Next()) {
    std::string_view k = it->key().ToStringView();
    if (k.size() != 16) continue;
    uint64_t id = ~ReadBigEndian64(k.substr(8));
    if (id < since) break;
    auto m = StoredMessage::FromJson(conversation, id, it->value().ToStringView());
    if (!m) return absl::DataLossError("corrupt message");
    out.push_back(std::move(*m));
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return out;
}

absl::StatusOr<int64_t> MessagesReader::Counter(const std::string& key) const {
  auto v = slot_->Get()->Get(kCounters, key);
  if (!v.ok()) return v.status();
  return *v ? std::max<int64_t>(0, DecodeCounter(**v)) : 0;
}

}  // namespace lens
