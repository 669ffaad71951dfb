#include "query-api/stream_api.h"

#include <algorithm>
#include <charconv>
#include <memory>
#include <tuple>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "base/time.h"
#include "http/event_stream.h"
#include "query-api/account_summary.h"

namespace lens {
namespace {

HttpResponse Finish(const absl::StatusOr<HttpResponse>& r) {
  return r.ok() ? *r : HttpResponse::FromStatus(r.status());
}

// Per source, per partition: the next entry to read.
using Cursor = std::vector<std::vector<StreamCursor>>;

// "f:o.n,o.n,...;n:...;m:..." — one o.n pair per partition, sources in order.
std::string EncodeCursor(const std::vector<StreamSource>& sources, const Cursor& c) {
  std::string out;
  for (size_t s = 0; s < sources.size(); ++s) {
    if (s) out.push_back(';');
    out.push_back(sources[s].letter);
    out.push_back(':');
    for (size_t p = 0; p < c[s].size(); ++p) {
      if (p) out.push_back(',');
      out += std::to_string(c[s][p].offset);
      out.push_back('.');
      out += std::to_string(c[s][p].n);
    }
  }
  return out;
}

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

// A cursor may lack the sources after its last (one sent before they
// existed): those are left empty, for the caller to start them.
std::optional<Cursor> ParseCursor(std::string_view text, const std::vector<StreamSource>& sources,
                                  uint32_t partitions) {
  if (text.size() > 4096) return std::nullopt;
  std::vector<absl::string_view> parts = absl::StrSplit(absl::string_view(text.data(), text.size()), ';');
  if (parts.empty() || parts.size() > sources.size()) return std::nullopt;
  Cursor c(sources.size());
  for (size_t s = 0; s < parts.size(); ++s) {
    absl::string_view part = parts[s];
    if (part.size() < 2 || part[0] != sources[s].letter || part[1] != ':') return std::nullopt;
    std::vector<absl::string_view> pairs = absl::StrSplit(part.substr(2), ',');
    if (pairs.size() != partitions) return std::nullopt;
    for (absl::string_view pair : pairs) {
      size_t dot = pair.find('.');
      if (dot == absl::string_view::npos) return std::nullopt;
      StreamCursor sc;
      if (!ParseNumber(std::string_view(pair.data(), dot), &sc.offset) ||
          !ParseNumber(std::string_view(pair.data() + dot + 1, pair.size() - dot - 1), &sc.n))
        return std::nullopt;
      c[s].push_back(sc);
    }
  }
  return c;
}

// One connected client's stream.
class UserStream : public EventStream, public std::enable_shared_from_this<UserStream> {
 public:
  UserStream(uint64_t user, absl::Time deadline, Cursor cursor,
             const std::vector<StreamSource>* sources, ChangeNotifier* notifier,
             const AccountsReader* accounts)
      : user_(user),
        deadline_(deadline),
        cursor_(std::move(cursor)),
        sources_(sources),
        notifier_(notifier),
        accounts_(accounts) {}

  // Subscribes before the starting cursor is taken (Open), so nothing
  // applied in between is missed: to the user, and to each author whose
  // entries a source keys by author.
  void Subscribe() { RefreshOwners(); }
  void set_cursor(Cursor c) { cursor_ = std::move(c); }

  void Start(std::function<void()> wake) override {
    {
      absl::MutexLock lock(&mu_);
      wake_ = std::move(wake);
    }
    Wake();  // what is already there (a resumed stream's backlog)
  }

  absl::StatusOr<std::vector<StreamMessage>> Poll(size_t max) override {
    // The authors followed now: an unfollowed (or blocking) one's posts
    // stop at once, a newly followed celebrity's start.
    RefreshOwners();
    std::vector<StreamMessage> out;
    const int64_t min_ts = NowMillis() - stream_log::kRetentionMs;
    for (size_t s = 0; s < sources_->size() && out.size() < max; ++s) {
      for (size_t p = 0; p < cursor_[s].size() && out.size() < max; ++p) {
        const size_t room = max - out.size();
        std::vector<StreamEntry> entries;
        for (uint64_t owner : owners_[s]) {
          ASSIGN_OR_RETURN(std::vector<StreamEntry> own,
                           (*sources_)[s].reader->Read(owner, static_cast<uint32_t>(p),
                                                       cursor_[s][p], room, min_ts));
          entries.insert(entries.end(), std::make_move_iterator(own.begin()),
                         std::make_move_iterator(own.end()));
        }
        // Several authors' entries: in log order, and no further than the
        // first `room` of them, so that the cursor passes nothing unread.
        if (owners_[s].size() > 1) {
          std::sort(entries.begin(), entries.end(), [](const StreamEntry& a, const StreamEntry& b) {
            return std::tie(a.offset, a.n) < std::tie(b.offset, b.n);
          });
          if (entries.size() > room) entries.resize(room);
        }
        for (StreamEntry& e : entries) {
          cursor_[s][p] = StreamCursor{e.offset, static_cast<uint16_t>(e.n + 1)};
          StreamMessage m;
          m.id = EncodeCursor(*sources_, cursor_);
          m.event = e.type;
          m.data = Hydrate(e);
          out.push_back(std::move(m));
        }
      }
    }
    return out;
  }

  void Stop() override {
    {
      absl::MutexLock lock(&handles_mu_);
      for (auto [id, handle] : handles_) notifier_->Unsubscribe(id, handle);
      handles_.clear();
      stopped_ = true;
    }
    absl::MutexLock lock(&mu_);
    wake_ = nullptr;
  }

  absl::Time deadline() const override { return deadline_; }

 private:
  // Sets owners_ (per source, whose entries it reads) and subscribes to
  // exactly the user and those authors. handles_mu_ is never held while a
  // waker runs (a waker takes mu_ only), so subscribing under it cannot
  // deadlock with the notifier.
  void RefreshOwners() {
    owners_.clear();
    std::vector<uint64_t> wanted = {user_};
    for (const StreamSource& source : *sources_) {
      if (!source.authors) {
        owners_.push_back({user_});
        continue;
      }
      owners_.push_back(source.authors(user_));
      wanted.insert(wanted.end(), owners_.back().begin(), owners_.back().end());
    }
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    absl::MutexLock lock(&handles_mu_);
    if (stopped_) return;
    std::vector<std::pair<uint64_t, uint64_t>> kept;
    absl::flat_hash_set<uint64_t> subscribed;
    for (auto [id, handle] : handles_) {
      if (std::binary_search(wanted.begin(), wanted.end(), id)) {
        kept.emplace_back(id, handle);
        subscribed.insert(id);
      } else {
        notifier_->Unsubscribe(id, handle);
      }
    }
    std::weak_ptr<UserStream> weak = weak_from_this();
    for (uint64_t id : wanted) {
      if (!subscribed.contains(id))
        kept.emplace_back(id, notifier_->Subscribe(id, [weak] {
                            if (auto self = weak.lock()) self->Wake();
                          }));
    }
    handles_ = std::move(kept);
  }

  void Wake() {
    std::function<void()> wake;
    {
      absl::MutexLock lock(&mu_);
      wake = wake_;
    }
    if (wake) wake();
  }

  // Notifications name their actor by id in the log; the stream shows who.
  std::string Hydrate(const StreamEntry& e) const {
    if (e.type != "notification") return e.json;
    auto j = ParseJsonObject(e.json);
    if (!j.ok()) return e.json;
    auto actor = UserId::Parse(j->value("actor_id", ""));
    if (actor)
      if (auto s = SummaryJson(*accounts_, actor->value()); s.ok()) (*j)["actor"] = *s;
    return DumpJson(*j);
  }

  const uint64_t user_;
  const absl::Time deadline_;
  Cursor cursor_;  // Poll's thread only
  const std::vector<StreamSource>* sources_;
  ChangeNotifier* notifier_;
  const AccountsReader* accounts_;
  std::vector<std::vector<uint64_t>> owners_;  // per source: whose entries it reads; Poll's thread
  absl::Mutex handles_mu_;
  // (subscribed id, handle)
  std::vector<std::pair<uint64_t, uint64_t>> handles_ ABSL_GUARDED_BY(handles_mu_);
  bool stopped_ ABSL_GUARDED_BY(handles_mu_) = false;
  absl::Mutex mu_;
  std::function<void()> wake_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

void StreamApi::RegisterRoutes(Router* router) {
  router->Add("GET", "/api/v1/stream", [this](HttpRequest& r) { return Finish(Open(r)); });
  router->Add("GET", "/api/v1/stream/ws", [this](HttpRequest& r) { return Finish(Open(r)); });
}

absl::StatusOr<HttpResponse> StreamApi::Open(HttpRequest& req) {
  std::optional<std::string> authorization;
  if (auto h = req.Header("authorization")) {
    authorization = std::string(*h);
  } else if (auto t = req.Query("access_token")) {
    authorization = "Bearer " + std::string(*t);
  }
  ASSIGN_OR_RETURN(TokenClaims claims,
                   auth_->Authenticate(authorization ? std::optional<std::string_view>(*authorization)
                                                     : std::nullopt,
                                       NowMillis()));
  std::optional<Cursor> resume;
  std::optional<std::string_view> last = req.Header("last-event-id");
  if (!last) last = req.Query("last_event_id");
  if (last && !last->empty()) {
    resume = ParseCursor(*last, sources_, partitions_);
    if (!resume)
      return BadRequest("invalid_last_event_id",
                        "Last-Event-ID is not an id this server sent on this stream",
                        "last_event_id");
  }
  auto stream = std::make_shared<UserStream>(
      claims.user_id.value(), absl::FromUnixMillis(claims.expires_at_ms), Cursor(), &sources_,
      notifier_, accounts_);
  stream->Subscribe();
  // From the cursor sent back; a source it does not name (or every
  // source, without one) from what is applied now.
  Cursor start = resume ? std::move(*resume) : Cursor(sources_.size());
  for (size_t s = 0; s < sources_.size(); ++s) {
    if (!start[s].empty()) continue;
    std::vector<uint64_t> applied = sources_[s].applied();
    applied.resize(partitions_, 0);
    for (uint64_t o : applied) start[s].push_back(StreamCursor{o, 0});
  }
  stream->set_cursor(std::move(start));
  HttpResponse res;
  res.status = 200;
  res.stream = std::move(stream);
  return res;
}

}  // namespace lens
