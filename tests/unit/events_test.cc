// Unit tests of events/: id generation, the JSON envelope codec, upcasting
// and the account event payloads.
#include <algorithm>
#include <cstdint>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/json.h"
#include "base/time.h"
#include "events/account_events.h"
#include "events/event.h"
#include "events/event_codec.h"
#include "events/id_generator.h"
#include "events/upcasters.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lens {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kSequenceMask = (1u << IdGenerator::kSequenceBits) - 1;
constexpr uint64_t kNodeMask = (1u << IdGenerator::kNodeBits) - 1;

uint64_t NodeOf(uint64_t id) { return (id >> IdGenerator::kSequenceBits) & kNodeMask; }

// -------------------------------------------------------------- IdGenerator

TEST(IdGeneratorTest, IdsAreStrictlyIncreasingOverManyCalls) {
  IdGenerator gen(7);
  uint64_t prev = gen.Next();
  for (int i = 0; i < 200000; ++i) {
    uint64_t id = gen.Next();
    ASSERT_GT(id, prev) << "at call " << i;
    prev = id;
  }
}

TEST(IdGeneratorTest, IdsAreUniqueAndIncreasingPerThreadAcrossFourThreads) {
  IdGenerator gen(3);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50000;
  std::vector<std::vector<uint64_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&gen, &got, t] {
      got[t].reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) got[t].push_back(gen.Next());
    });
  }
  for (auto& th : threads) th.join();

  std::vector<uint64_t> all;
  for (const auto& ids : got) {
    // Each thread sees the generator's order: strictly increasing.
    EXPECT_TRUE(std::adjacent_find(ids.begin(), ids.end(), std::greater_equal<uint64_t>()) ==
                ids.end());
    all.insert(all.end(), ids.begin(), ids.end());
  }
  ASSERT_EQ(all.size(), size_t{kThreads * kPerThread});
  std::sort(all.begin(), all.end());
  EXPECT_TRUE(std::adjacent_find(all.begin(), all.end()) == all.end()) << "duplicate id";
  for (uint64_t id : all) ASSERT_EQ(NodeOf(id), 3u);
}

TEST(IdGeneratorTest, TimestampOfIsTheCreationTime) {
  IdGenerator gen(1);
  int64_t before = NowMillis();
  uint64_t id = gen.Next();
  int64_t after = NowMillis();
  EXPECT_GE(IdGenerator::TimestampOf(id), before);
  EXPECT_LE(IdGenerator::TimestampOf(id), after);
}

TEST(IdGeneratorTest, EpochIsJanuaryFirst2020) {
  EXPECT_EQ(FormatIsoMillis(IdGenerator::kEpochMillis), "2020-01-01T00:00:00.000Z");
  EXPECT_EQ(IdGenerator::TimestampOf(0), IdGenerator::kEpochMillis);
  EXPECT_EQ(IdGenerator::TimestampOf(uint64_t{1} << 22), IdGenerator::kEpochMillis + 1);
}

TEST(IdGeneratorTest, NodeIdOccupiesTheTenBitsAboveTheSequence) {
  EXPECT_EQ(IdGenerator::kNodeBits, 10);
  EXPECT_EQ(IdGenerator::kSequenceBits, 12);
  for (uint32_t node : {0u, 1u, 5u, 512u, 1023u}) {
    IdGenerator gen(node);
    uint64_t id = gen.Next();
    EXPECT_EQ(NodeOf(id), node);
    EXPECT_EQ(id & kSequenceMask, 0u) << "first id of a fresh generator has sequence 0";
  }
}

TEST(IdGeneratorTest, NodeIdIsMaskedToTenBits) {
  IdGenerator gen(1024 + 5);
  EXPECT_EQ(NodeOf(gen.Next()), 5u);
}

TEST(IdGeneratorTest, DifferentNodesNeverCollide) {
  IdGenerator a(1), b(2);
  std::set<uint64_t> ids;
  for (int i = 0; i < 20000; ++i) {
    ASSERT_TRUE(ids.insert(a.Next()).second);
    ASSERT_TRUE(ids.insert(b.Next()).second);
  }
}

// ------------------------------------------------------------------ codec

Event SampleEvent() {
  Event e;
  e.id = EventId(7291847362816);
  e.type = "PostLiked";
  e.v = 1;
  e.key = "post:7291840000000";
  e.ts_ms = 1795169730123;  // 2026-11-20T10:15:30.123Z
  e.actor = "7291800000000";
  e.cmd = "c0a8f6d2-0001";
  e.data = Json{{"post_id", "7291840000000"}, {"user_id", "7291800000000"}};
  return e;
}

TEST(EventCodecTest, EnvelopeHasExactlyTheDesignFields) {
  Json j = Json::parse(EncodeEvent(SampleEvent()));
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.size(), 8u);
  EXPECT_EQ(j["id"], "7291847362816");  // decimal string, not a number
  EXPECT_EQ(j["type"], "PostLiked");
  EXPECT_TRUE(j["v"].is_number_integer());
  EXPECT_EQ(j["v"], 1);
  EXPECT_EQ(j["key"], "post:7291840000000");
  EXPECT_EQ(j["ts"], "2026-11-20T10:15:30.123Z");
  EXPECT_EQ(j["actor"], "7291800000000");
  EXPECT_EQ(j["cmd"], "c0a8f6d2-0001");
  EXPECT_EQ(j["data"], (Json{{"post_id", "7291840000000"}, {"user_id", "7291800000000"}}));
}

TEST(EventCodecTest, EncodeIsOneLineOfCompactJson) {
  std::string s = EncodeEvent(SampleEvent());
  EXPECT_EQ(s.find('\n'), std::string::npos);
  EXPECT_THAT(s, HasSubstr("\"id\":\"7291847362816\""));
  EXPECT_THAT(s, HasSubstr("\"ts\":\"2026-11-20T10:15:30.123Z\""));
  EXPECT_EQ(EventToJson(SampleEvent()).dump(), s);
}

TEST(EventCodecTest, TimestampIsIsoUtcWithMilliseconds) {
  Event e = SampleEvent();
  for (int64_t ms : {int64_t{0}, int64_t{1577836800001}, int64_t{1795169730999}}) {
    e.ts_ms = ms;
    std::string ts = Json::parse(EncodeEvent(e))["ts"];
    EXPECT_TRUE(std::regex_match(ts, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
        << ts;
  }
}

TEST(EventCodecTest, DecodeInvertsEncodeForEveryField) {
  Event e = SampleEvent();
  e.data["caption"] = "caf\xC3\xA9 \xF0\x9F\x98\x80 \"quoted\"\n";
  e.data["n"] = 12345678901234;
  auto d = DecodeEvent(EncodeEvent(e));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->id, e.id);
  EXPECT_EQ(d->type, e.type);
  EXPECT_EQ(d->v, e.v);
  EXPECT_EQ(d->key, e.key);
  EXPECT_EQ(d->ts_ms, e.ts_ms);
  EXPECT_EQ(d->actor, e.actor);
  EXPECT_EQ(d->cmd, e.cmd);
  EXPECT_EQ(d->data, e.data);
}

TEST(EventCodecTest, DecodeKeepsTheLargestId) {
  Event e = SampleEvent();
  e.id = EventId(18446744073709551615ull);
  auto d = DecodeEvent(EncodeEvent(e));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->id.value(), 18446744073709551615ull);
}

TEST(EventCodecTest, ActorAndCmdAreOptionalOnRead) {
  auto d = DecodeEvent(
      R"({"id":"1","type":"X","v":1,"key":"user:1","ts":"2026-11-20T10:15:30.123Z","data":{}})");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->actor, "");
  EXPECT_EQ(d->cmd, "");
}

TEST(EventCodecTest, DecodeRejectsMalformedJson) {
  for (const char* r : {"", "{", "not json", "{\"id\":\"1\",}", "[]", "null", "42", "\"s\""}) {
    auto d = DecodeEvent(r);
    ASSERT_FALSE(d.ok()) << r;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << r;
  }
}

TEST(EventCodecTest, DecodeRejectsEachMissingRequiredField) {
  const Json full = EventToJson(SampleEvent());
  for (const char* field : {"id", "type", "v", "key", "ts", "data"}) {
    Json j = full;
    j.erase(field);
    auto d = DecodeEvent(j.dump());
    ASSERT_FALSE(d.ok()) << "without " << field;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << field;
  }
}

TEST(EventCodecTest, DecodeRejectsIllTypedFields) {
  const Json full = EventToJson(SampleEvent());
  std::vector<std::pair<const char*, Json>> cases = {
      {"id", 7291847362816},  // a number, not a decimal string
      {"type", 1},
      {"v", "1"},
      {"v", 1.5},
      {"key", Json::array()},
      {"ts", 1795169730123},
      {"data", Json::array()},
      {"data", "{}"},
      {"data", nullptr},
  };
  for (const auto& [field, value] : cases) {
    Json j = full;
    j[field] = value;
    auto d = DecodeEvent(j.dump());
    ASSERT_FALSE(d.ok()) << field << "=" << value.dump();
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << field;
  }
}

TEST(EventCodecTest, DecodeRejectsNonDecimalIds) {
  Json j = EventToJson(SampleEvent());
  for (const char* id :
       {"", "0", "01", "-1", "+1", " 1", "1e3", "0x10", "abc", "18446744073709551616"}) {
    j["id"] = id;
    auto d = DecodeEvent(j.dump());
    ASSERT_FALSE(d.ok()) << '"' << id << '"';
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(EventCodecTest, DecodeRejectsBadTimestamps) {
  Json j = EventToJson(SampleEvent());
  for (const char* ts :
       {"", "yesterday", "2026-11-20T10:15:30Z", "2026-11-20T10:15:30.123",
        "2026-11-20T10:15:30.123+01:00", "2026-11-20 10:15:30.123Z", "1795169730123"}) {
    j["ts"] = ts;
    auto d = DecodeEvent(j.dump());
    ASSERT_FALSE(d.ok()) << ts;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(EventCodecTest, DecodeRejectsVersionsBelowOne) {
  Json j = EventToJson(SampleEvent());
  for (int v : {0, -1}) {
    j["v"] = v;
    auto d = DecodeEvent(j.dump());
    ASSERT_FALSE(d.ok()) << v;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(EventCodecTest, DecodeRefusesVersionsNewerThanThisBuild) {
  Json j = EventToJson(SampleEvent());  // PostLiked: current version 1
  j["v"] = 2;
  auto d = DecodeEvent(j.dump());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
}

// BUG (events/event_codec.cc, EventFromJson): `v` is read with get<int>(),
// which silently truncates a 64-bit JSON integer; "v":4294967297 becomes
// v=1 and the record is accepted as a v1 event instead of being refused as
// unknown. Expected: FailedPrecondition (or InvalidArgument), not OK.
TEST(EventCodecTest, DecodeDoesNotTruncateHugeVersions) {
  Json j = EventToJson(SampleEvent());
  j["v"] = 4294967297;  // 2^32 + 1
  auto d = DecodeEvent(j.dump());
  EXPECT_FALSE(d.ok()) << "decoded as v" << d->v;
}

// --------------------------------------------------------------- upcasting

Json AccountRegisteredV1() {
  return Json{{"id", "10"},
              {"type", "AccountRegistered"},
              {"v", 1},
              {"key", "user:5"},
              {"ts", "2021-01-01T00:00:00.000Z"},
              {"actor", ""},
              {"cmd", "r1"},
              {"data",
               {{"user_id", "5"},
                {"username", "alice"},
                {"email", "alice@example.com"},
                {"password_hash", "$argon2id$x"}}}};
}

TEST(UpcasterTest, CurrentVersions) {
  EXPECT_EQ(CurrentVersion(kAccountRegistered), 2);
  EXPECT_EQ(CurrentVersion(kProfileUpdated), 1);
  EXPECT_EQ(CurrentVersion(kSessionStarted), 1);
  EXPECT_EQ(CurrentVersion("NoSuchType"), 1);
}

TEST(UpcasterTest, AccountRegisteredV1DecodesAsV2WithDisplayNameFromUsername) {
  auto d = DecodeEvent(AccountRegisteredV1().dump());
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->v, 2);
  EXPECT_EQ(d->data["display_name"], "alice");
  auto payload = AccountRegistered::FromJson(d->data);
  ASSERT_TRUE(payload.has_value());
  EXPECT_EQ(payload->user_id, UserId(5));
  EXPECT_EQ(payload->username, "alice");
  EXPECT_EQ(payload->display_name, "alice");
  EXPECT_EQ(payload->email, "alice@example.com");
}

TEST(UpcasterTest, AccountRegisteredV1KeepsAnExistingDisplayName) {
  Json j = AccountRegisteredV1();
  j["data"]["display_name"] = "Alice A.";
  auto d = DecodeEvent(j.dump());
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->v, 2);
  EXPECT_EQ(d->data["display_name"], "Alice A.");
}

TEST(UpcasterTest, AccountRegisteredV1WithoutUsernameIsInvalid) {
  Json j = AccountRegisteredV1();
  j["data"].erase("username");
  auto d = DecodeEvent(j.dump());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(UpcasterTest, AccountRegisteredV2IsLeftAlone) {
  Json j = AccountRegisteredV1();
  j["v"] = 2;
  j["data"]["display_name"] = "";
  auto d = DecodeEvent(j.dump());
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->v, 2);
  EXPECT_EQ(d->data["display_name"], "");
}

TEST(UpcasterTest, AccountRegisteredV3IsFailedPrecondition) {
  Json j = AccountRegisteredV1();
  j["v"] = 3;
  auto d = DecodeEvent(j.dump());
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(d.status().message()), HasSubstr("newer"));
}

TEST(UpcasterTest, UpcastToCurrentWorksInPlace) {
  Event e;
  e.type = std::string(kAccountRegistered);
  e.v = 1;
  e.data = Json{{"user_id", "5"}, {"username", "bob"}};
  ASSERT_TRUE(UpcastToCurrent(e).ok());
  EXPECT_EQ(e.v, 2);
  EXPECT_EQ(e.data["display_name"], "bob");
}

// ----------------------------------------------------------- account events

TEST(AccountEventsTest, UserKeyIsUserColonDecimalId) {
  EXPECT_EQ(UserKey(UserId(7291800000000)), "user:7291800000000");
}

TEST(AccountEventsTest, AccountRegisteredRoundTrips) {
  AccountRegistered e{UserId(42), "alice", "alice@example.com", "Al\u00edce", "$argon2id$v=19$x"};
  Json j = e.ToJson();
  EXPECT_EQ(j["user_id"], "42");
  EXPECT_EQ(j.size(), 5u);
  auto back = AccountRegistered::FromJson(j);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->user_id, e.user_id);
  EXPECT_EQ(back->username, e.username);
  EXPECT_EQ(back->email, e.email);
  EXPECT_EQ(back->display_name, e.display_name);
  EXPECT_EQ(back->password_hash, e.password_hash);
}

TEST(AccountEventsTest, AccountRegisteredRejectsMissingOrIllTypedFields) {
  const Json good = AccountRegistered{UserId(42), "a", "b", "c", "d"}.ToJson();
  for (const char* f : {"user_id", "username", "email", "display_name", "password_hash"}) {
    Json j = good;
    j.erase(f);
    EXPECT_FALSE(AccountRegistered::FromJson(j).has_value()) << "missing " << f;
    j[f] = 1;
    EXPECT_FALSE(AccountRegistered::FromJson(j).has_value()) << "numeric " << f;
  }
  for (const char* id : {"0", "abc", "-5", ""}) {
    Json j = good;
    j["user_id"] = id;
    EXPECT_FALSE(AccountRegistered::FromJson(j).has_value()) << id;
  }
  EXPECT_FALSE(AccountRegistered::FromJson(Json::array()).has_value());
}

TEST(AccountEventsTest, ProfileUpdatedCarriesOnlyPresentFields) {
  ProfileUpdated e;
  e.user_id = UserId(9);
  EXPECT_EQ(e.ToJson(), (Json{{"user_id", "9"}}));
  e.is_private = false;  // false is a change too: it must be written
  Json j = e.ToJson();
  ASSERT_TRUE(j.contains("private"));
  EXPECT_EQ(j["private"], false);
  EXPECT_FALSE(j.contains("display_name"));
  EXPECT_FALSE(j.contains("bio"));
}

TEST(AccountEventsTest, ProfileUpdatedRoundTrips) {
  ProfileUpdated e;
  e.user_id = UserId(9);
  e.display_name = "Nine";
  e.bio = "line one\nline two";
  e.is_private = true;
  auto back = ProfileUpdated::FromJson(e.ToJson());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->user_id, UserId(9));
  EXPECT_EQ(back->display_name, e.display_name);
  EXPECT_EQ(back->bio, e.bio);
  EXPECT_EQ(back->is_private, e.is_private);

  ProfileUpdated only_bio;
  only_bio.user_id = UserId(9);
  only_bio.bio = "";
  back = ProfileUpdated::FromJson(only_bio.ToJson());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->bio, std::optional<std::string>(""));
  EXPECT_EQ(back->display_name, std::nullopt);
  EXPECT_EQ(back->is_private, std::nullopt);
}

TEST(AccountEventsTest, ProfileUpdatedRequiresAUserId) {
  EXPECT_FALSE(ProfileUpdated::FromJson(Json{{"bio", "x"}}).has_value());
  EXPECT_FALSE(ProfileUpdated::FromJson(Json{{"user_id", 9}}).has_value());
  EXPECT_FALSE(ProfileUpdated::FromJson(Json{{"user_id", "0"}}).has_value());
}

// BUG (events/account_events.cc, ProfileUpdated::FromJson): an optional
// field of the wrong type ("bio": 5, "private": "true") is silently dropped
// and the event decodes as if the field were absent, so a corrupt record
// changes nothing instead of being rejected like every other payload's
// ill-typed field. Expected: nullopt.
TEST(AccountEventsTest, ProfileUpdatedRejectsIllTypedOptionalFields) {
  EXPECT_FALSE(ProfileUpdated::FromJson(Json{{"user_id", "9"}, {"bio", 5}}).has_value());
  EXPECT_FALSE(
      ProfileUpdated::FromJson(Json{{"user_id", "9"}, {"display_name", false}}).has_value());
  EXPECT_FALSE(ProfileUpdated::FromJson(Json{{"user_id", "9"}, {"private", "true"}}).has_value());
}

TEST(AccountEventsTest, PasswordChangedRoundTrips) {
  PasswordChanged e{UserId(3), "$argon2id$new", 1795169730123};
  Json j = e.ToJson();
  EXPECT_EQ(j["changed_at"], 1795169730123);
  auto back = PasswordChanged::FromJson(j);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->user_id, UserId(3));
  EXPECT_EQ(back->password_hash, "$argon2id$new");
  EXPECT_EQ(back->changed_at_ms, 1795169730123);
}

TEST(AccountEventsTest, PasswordChangedRejectsMissingOrIllTypedFields) {
  const Json good = PasswordChanged{UserId(3), "h", 5}.ToJson();
  for (const char* f : {"user_id", "password_hash", "changed_at"}) {
    Json j = good;
    j.erase(f);
    EXPECT_FALSE(PasswordChanged::FromJson(j).has_value()) << f;
  }
  Json j = good;
  j["changed_at"] = "5";
  EXPECT_FALSE(PasswordChanged::FromJson(j).has_value());
  j["changed_at"] = 5.5;
  EXPECT_FALSE(PasswordChanged::FromJson(j).has_value());
}

TEST(AccountEventsTest, SessionStartedRoundTrips) {
  SessionStarted e{UserId(3), SessionId(77), 1000, 2000};
  Json j = e.ToJson();
  EXPECT_EQ(
      j, (Json{{"user_id", "3"}, {"session_id", "77"}, {"issued_at", 1000}, {"expires_at", 2000}}));
  auto back = SessionStarted::FromJson(j);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->user_id, UserId(3));
  EXPECT_EQ(back->session_id, SessionId(77));
  EXPECT_EQ(back->issued_at_ms, 1000);
  EXPECT_EQ(back->expires_at_ms, 2000);
}

TEST(AccountEventsTest, SessionStartedRejectsMissingOrIllTypedFields) {
  const Json good = SessionStarted{UserId(3), SessionId(77), 1000, 2000}.ToJson();
  for (const char* f : {"user_id", "session_id", "issued_at", "expires_at"}) {
    Json j = good;
    j.erase(f);
    EXPECT_FALSE(SessionStarted::FromJson(j).has_value()) << f;
  }
  Json j = good;
  j["session_id"] = 77;
  EXPECT_FALSE(SessionStarted::FromJson(j).has_value());
  j = good;
  j["expires_at"] = "2000";
  EXPECT_FALSE(SessionStarted::FromJson(j).has_value());
}

TEST(AccountEventsTest, SessionRevokedRoundTripsAndRejectsBadIds) {
  SessionRevoked e{UserId(3), SessionId(77)};
  auto back = SessionRevoked::FromJson(e.ToJson());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->user_id, UserId(3));
  EXPECT_EQ(back->session_id, SessionId(77));
  EXPECT_FALSE(SessionRevoked::FromJson(Json{{"user_id", "3"}}).has_value());
  EXPECT_FALSE(SessionRevoked::FromJson(Json{{"user_id", "3"}, {"session_id", "x"}}).has_value());
}

}  // namespace
}  // namespace lens
