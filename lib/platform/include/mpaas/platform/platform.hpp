// The platform: apps, releases and their gray rollouts, behind one abstract interface of
// plain data in and plain data out. The embedded implementation (lib/platform/local, SQLite
// and a blob folder) implements it today; an HTTP client and a PostgreSQL store will
// implement it next, so nothing here names SQL, a flag or the command layer, and nothing
// calls back into a caller except the progress sink of lib/core.
//
// Each result type has one JSON form (`to_json`, docs/json.md) that the CLI prints and the
// HTTP API will send, and a `text_layout` for the terminal.
#pragma once

#include <cstdint>
#include <filesystem>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "mpaas/analytics/query.hpp"
#include "mpaas/core/output.hpp"
#include "mpaas/core/progress.hpp"
#include "mpaas/platform/rollout.hpp"

namespace mpaas::platform {

// ---- apps ----

struct App {
  std::string id;
  std::string name;
  int64_t created_at = 0;  // seconds since the epoch (UTC)
  uint64_t releases = 0;   // how many releases it has
};
Json to_json(const App& app);
TextLayout text_layout(const App& app);

struct AppList {
  std::vector<App> apps;
};
Json to_json(const AppList& list);
TextLayout text_layout(const AppList& list);

struct AppDeleted {
  std::string id;
  uint64_t releases_deleted = 0;
};
Json to_json(const AppDeleted& deleted);
TextLayout text_layout(const AppDeleted& deleted);

// ---- releases ----

// The time-window gray mode: the first `max_devices` distinct devices that check in (a
// counted, device-side check) before `until` get the release.
struct TimeWindow {
  uint32_t max_devices = 0;
  int64_t until = 0;     // seconds since the epoch
  uint32_t counted = 0;  // places taken so far (a result field; ignored in requests)
};

struct Release {
  std::string id;  // "rel_" + 12 base32 characters (docs/platform.md)
  std::string app;
  std::string platform;  // android, ios, h5
  std::string kind;      // native, offline, hotfix
  std::string package;   // the offline package's id (kind offline), else empty
  std::string version;
  ReleaseState state = ReleaseState::draft;
  BasisPoints percent = 0;
  std::string sha256;
  uint64_t size = 0;
  std::string file_name;
  std::string min_app_version, max_app_version;  // empty: no bound
  std::string notes;
  bool mandatory = false;
  std::vector<std::string> rules;  // as normalised by parse_rule
  uint64_t whitelist = 0;          // whitelisted devices
  std::optional<TimeWindow> window;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  std::string created_by;
};
Json to_json(const Release& release);
TextLayout text_layout(const Release& release);

struct ReleaseList {
  std::vector<Release> releases;
};
Json to_json(const ReleaseList& list);
TextLayout text_layout(const ReleaseList& list);

struct ReleaseFilter {
  std::string app;
  std::optional<ReleaseState> state;
  std::string platform;  // empty: all
};

// One recorded change of a release: what changed, from what to what, when, by whom.
struct ReleaseChange {
  uint64_t seq = 0;  // increases with every change in the store
  std::string release;
  std::string what;                  // created, state, percent, window, whitelist
  std::string old_value, new_value;  // empty: none
  int64_t at = 0;
  std::string by;
};

struct History {
  std::string release;
  std::vector<ReleaseChange> changes;  // oldest first
};
Json to_json(const History& history);
TextLayout text_layout(const History& history);

struct UploadRequest {
  std::filesystem::path file;
  std::string file_name;  // as shown (defaults to the file's name)
  std::string app, platform, version;
  std::string kind;  // empty: offline for an .amr, else native
  std::string min_app_version, max_app_version, notes;
  bool mandatory = false;
  BasisPoints percent = 0;
  std::vector<std::string> whitelist;
  std::vector<std::string> rules;  // as written; parsed and normalised by the platform
  std::optional<TimeWindow> window;
  bool draft = false;
  // The same version again is a conflict; with if_absent an identical artifact succeeds
  // without a change (CI re-runs), a different one is still a conflict.
  bool if_absent = false;
  // The sha256 (lowercase hex) the artifact must have; any other is refused before a
  // release is made. Empty: not checked.
  std::string expected_sha256;
  // The file is the caller's to give away (a server's finished upload, never written
  // again): the platform may take it into its store by a link instead of a copy.
  bool consume_file = false;
  // With consume_file: the file's sha256 as the caller computed it while writing it,
  // trusted and not read again. Empty: the platform hashes the file.
  std::string known_sha256;
};

// What a lifecycle command asks for.
struct LifecycleChange {
  enum class Action { rollout, pause, resume, finish, rollback };
  Action action = Action::rollout;
  std::optional<BasisPoints> percent;  // rollout
  std::optional<TimeWindow> window;    // rollout into the time-window mode
};

struct Download {
  std::string release;
  std::string file;
  std::string sha256;
  uint64_t size = 0;
};
Json to_json(const Download& download);
TextLayout text_layout(const Download& download);

// ---- whitelists ----

struct WhitelistChange {
  std::string release;
  uint64_t changed = 0;  // ids added (or removed) that were not (or were) there
  uint64_t total = 0;    // whitelisted devices afterwards
};
Json to_json(const WhitelistChange& change);
TextLayout text_layout(const WhitelistChange& change);

struct WhitelistIds {
  std::string release;
  std::vector<std::string> devices;  // sorted
};
Json to_json(const WhitelistIds& list);
TextLayout text_layout(const WhitelistIds& list);

// ---- update checks and reach ----

struct CheckRequest {
  std::string app, platform;
  Device device;
  // A device-side check: takes a place in a time window. A simulation never does.
  bool count = false;
};

struct Skipped {
  std::string release;
  std::string reason;
};

// One line per release considered, offered or not, for the terminal (and scripts that want
// the reason an offer was made).
struct Verdict {
  std::string release;
  std::string kind;
  std::string version;
  bool offered = false;
  std::string reason;
};

struct CheckResult {
  Device device;
  // Shared, never changed: the embedded platform hands out the releases it keeps for checks
  // instead of copying one per offer and request.
  std::vector<std::shared_ptr<const Release>> offers;
  std::vector<Skipped> skipped;
  std::vector<Verdict> decisions;
};
Json to_json(const CheckResult& result);
TextLayout text_layout(const CheckResult& result);
Json to_json(const Device& device);

// Everything that decides whether one release reaches a device, for deciding over many
// devices in one pass (reach) without a store round-trip per device.
struct ReleaseGate {
  Release release;
  std::vector<Rule> rules;
  std::unordered_set<std::string> whitelist;
  std::unordered_set<std::string> counted;  // devices holding a time-window place
  int64_t now = 0;
};
Json to_json(const ReleaseGate& gate);

struct ReachResult {
  std::string release;
  uint64_t total = 0;
  uint64_t reached = 0;
  std::vector<std::string> devices;  // those reached, in input order
};
Json to_json(const ReachResult& result);
TextLayout text_layout(const ReachResult& result);

// The decision for one release and one device now. `window_free` is how many time-window
// places are still open; a device that would take one sets `takes_place`.
struct GateDecision {
  bool offered = false;
  bool takes_place = false;
  std::string reason;
};
GateDecision decide_now(const Release& release, const std::vector<Rule>& rules, bool whitelisted,
                        bool counted, uint32_t window_free, int64_t now, const Device& device);
// The same into `out`, whose reason keeps its buffer (a server's check decides every release
// of an app).
void decide_now_into(const Release& release, const std::vector<Rule>& rules, bool whitelisted,
                     bool counted, uint32_t window_free, int64_t now, const Device& device,
                     GateDecision& out);

// Reads devices (CSV with a header naming the fields, or NDJSON) one at a time and decides
// each: how many and which reach the release. An uncounted device takes a still-open
// time-window place in input order, as the devices would if they checked in in that order.
ReachResult reach(const ReleaseGate& gate, std::istream& devices, const std::string& source_name);

// ---- tokens (docs/api.md) ----

// What a token may do; each scope includes the ones before it.
enum class Scope { read, release, admin };
std::string scope_name(Scope scope);
Scope parse_scope(const std::string& name);  // usage_error naming "scope"
bool scope_allows(Scope held, Scope needed);

struct Token {
  std::string id;  // "tok_" + 12 base32 characters
  std::string name;
  Scope scope = Scope::read;
  int64_t created_at = 0;
  int64_t expires_at = 0;    // 0: never
  int64_t revoked_at = 0;    // 0: live
  int64_t last_used_at = 0;  // 0: never used
  std::string secret;        // only in create_token's result; stored hashed
};
Json to_json(const Token& token);
TextLayout text_layout(const Token& token);

struct TokenList {
  std::vector<Token> tokens;
};
Json to_json(const TokenList& list);
TextLayout text_layout(const TokenList& list);

struct TokenRequest {
  std::string name;  // 1..64 characters of [A-Za-z0-9._-]
  Scope scope = Scope::read;
  int64_t expires_at = 0;  // 0: never
};

// A fresh secret: "mpaas_" + 43 base64url characters (256 random bits), and its stored form.
std::string new_token_secret();
std::string token_secret_hash(const std::string& secret);
std::string new_token_id();

// ---- the interface ----

class Platform {
 public:
  virtual ~Platform() = default;

  virtual App create_app(const std::string& id, const std::string& name) = 0;
  virtual AppList list_apps() = 0;
  virtual App show_app(const std::string& id) = 0;
  // Deletes the app with its releases, their history and whitelists.
  virtual AppDeleted delete_app(const std::string& id) = 0;

  virtual Release upload(const UploadRequest& request, ProgressSink& progress) = 0;
  virtual ReleaseList list_releases(const ReleaseFilter& filter) = 0;
  // `ref` is a release id, or APP/PLATFORM/VERSION when that names one release.
  virtual Release show_release(const std::string& ref) = 0;
  virtual History history(const std::string& ref) = 0;
  // Writes the artifact to `destination`, verified against its stored sha256.
  virtual Download download(const std::string& ref, const std::filesystem::path& destination,
                            ProgressSink& progress) = 0;
  // The stored artifact to read from, with its release: for serving it over HTTP (ranges)
  // without a copy. Not verified on the way: the reader checks the release's sha256.
  struct Artifact {
    Release release;
    std::unique_ptr<std::istream> bytes;
  };
  virtual Artifact open_artifact(const std::string& ref) = 0;
  // Illegal transitions are conflicts and change nothing.
  virtual Release change(const std::string& ref, const LifecycleChange& change) = 0;

  virtual WhitelistChange whitelist_add(const std::string& ref,
                                        const std::vector<std::string>& devices) = 0;
  virtual WhitelistChange whitelist_remove(const std::string& ref,
                                           const std::vector<std::string>& devices) = 0;
  virtual WhitelistIds whitelist_list(const std::string& ref) = 0;

  virtual CheckResult check(const CheckRequest& request) = 0;
  // The same decision into `result`, reusing the storage it holds from an earlier check:
  // a server answering thousands of checks a second keeps one result per thread, and
  // building hundreds of strings afresh for each was a fifth of what a check cost.
  virtual void check_into(const CheckRequest& request, CheckResult& result) {
    result = check(request);
  }
  virtual ReleaseGate gate(const std::string& ref) = 0;

  // Who the changes that follow are recorded as (a server names the calling token).
  virtual void set_actor(const std::string& actor) = 0;

  virtual Token create_token(const TokenRequest& request) = 0;
  virtual TokenList list_tokens() = 0;
  // Revoking twice is a conflict; the token is returned with revoked_at set.
  virtual Token revoke_token(const std::string& id) = 0;
  // The live (not revoked, not expired) token whose secret this is, its use recorded; none
  // for anything else. Never says which of those it was.
  virtual std::optional<Token> authenticate(const std::string& secret) = 0;

  // ---- analytics (docs/analytics.md) ----

  // Reads events into the app's store in batches; each batch is committed whole or not at
  // all, and an event id already stored is counted as a duplicate and not stored again.
  virtual analytics::IngestResult ingest_events(const analytics::IngestRequest& request,
                                                ProgressSink& progress) = 0;
  virtual analytics::QueryResult query_events(const analytics::QueryRequest& request) = 0;
  virtual analytics::CompareResult compare_events(const analytics::CompareRequest& request) = 0;
};

// ---- plain helpers shared by every implementation ----

// Validation of names a user gives (subject is the field): app ids are 1..128 characters
// of [A-Za-z0-9._-] starting with a letter or digit; device ids 1..256 bytes of printable
// characters without spaces or commas.
void check_app_id(const std::string& id);
void check_device_id(const std::string& id, const std::string& subject);
// android, ios, h5; native, offline, hotfix (usage_error naming the field otherwise).
void check_platform_name(const std::string& name);
void check_kind_name(const std::string& name);

// RFC 3339 times: "2025-07-01T12:00:00Z" or with an offset ("+08:00"); throws usage_error
// naming `field`. format_time gives UTC with a Z.
int64_t parse_time(const std::string& text, const std::string& field);
std::string format_time(int64_t seconds);

// One id per line; blank lines and # comments skipped, surrounding spaces trimmed; each id
// checked (invalid_input naming `source` and the line).
std::vector<std::string> read_id_list(std::istream& in, const std::string& source);

// A fresh release id: "rel_" + 12 characters of base32 (a-z, 2-7) from 60 random bits.
std::string new_release_id();
bool is_release_id(const std::string& text);

}  // namespace mpaas::platform
