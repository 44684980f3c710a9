// The embedded platform: Platform over SQLite (WAL, one write transaction per change, taken
// with BEGIN IMMEDIATE so concurrent processes queue) and the blob folder. docs/platform.md
// describes the layout, schema, states and the time window.
#include <fcntl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <map>
#include <set>

#include "analytics_store.hpp"
#include "blobs.hpp"
#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/core/sha256.hpp"
#include "mpaas/core/unique_fd.hpp"
#include "mpaas/hotfix/bundle.hpp"
#include "mpaas/offline/reader.hpp"
#include "mpaas/platform/local.hpp"
#include "schema.hpp"
#include "sqlite.hpp"

namespace mpaas::platform {
namespace local {
namespace {
namespace fs = std::filesystem;
using Mode = Transaction::Mode;

constexpr int busy_timeout_ms = 30000;

const char* const release_columns =
    "id, app, platform, kind, package, version, state, percent, sha256, size, file_name, "
    "min_app_version, max_app_version, notes, mandatory, rules, whitelist_count, created_at, "
    "updated_at, created_by, window_max, window_until, window_counted";

std::string select_releases(const std::string& where) {
  return std::string("SELECT ") + release_columns + " FROM releases " + where;
}

std::vector<std::string> rules_from_text(const std::string& text, const std::string& file) {
  auto value = Json::parse(text, nullptr, false);
  std::vector<std::string> rules;
  if (value.is_discarded() || !value.is_array())
    throw invalid_input("the platform database is corrupt: bad rules (" + file + ")", file);
  for (const auto& rule : value) {
    if (!rule.is_string())
      throw invalid_input("the platform database is corrupt: bad rules (" + file + ")", file);
    rules.push_back(rule.get<std::string>());
  }
  return rules;
}

std::string rules_to_text(const std::vector<std::string>& rules) {
  Json array = Json::array();
  for (const auto& rule : rules)
    array.push_back(rule);
  return array.dump();
}

Release read_release(const Statement& row, const std::string& file) {
  Release release;
  release.id = row.text(0);
  release.app = row.text(1);
  release.platform = row.text(2);
  release.kind = row.text(3);
  release.package = row.text(4);
  release.version = row.text(5);
  release.state = parse_state(row.text(6));
  release.percent = static_cast<BasisPoints>(row.integer(7));
  release.sha256 = row.text(8);
  release.size = static_cast<uint64_t>(row.integer(9));
  release.file_name = row.text(10);
  release.min_app_version = row.text(11);
  release.max_app_version = row.text(12);
  release.notes = row.text(13);
  release.mandatory = row.integer(14) != 0;
  release.rules = rules_from_text(row.text(15), file);
  release.whitelist = static_cast<uint64_t>(row.integer(16));
  release.created_at = row.integer(17);
  release.updated_at = row.integer(18);
  release.created_by = row.text(19);
  if (!row.is_null(20)) {
    TimeWindow window;
    window.max_devices = static_cast<uint32_t>(row.integer(20));
    window.until = row.integer(21);
    window.counted = static_cast<uint32_t>(row.integer(22));
    release.window = window;
  }
  return release;
}

std::string window_text(const std::optional<TimeWindow>& window) {
  if (!window)
    return "";
  return std::to_string(window->max_devices) + (window->max_devices == 1 ? " device" : " devices") +
         " until " + format_time(window->until);
}

std::string state_text(const Release& release) {
  return state_name(release.state);
}

bool ends_with_amr(const fs::path& path) {
  auto extension = path.extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".amr";
}

void check_version_field(const std::string& version, const std::string& field) {
  if (!is_version(version)) {
    throw usage_error("invalid " + field + " '" + version.substr(0, 40) +
                          "': 1 to 4 numbers separated by dots (1.2.0)",
                      field);
  }
}

class LocalPlatform : public Platform {
 public:
  LocalPlatform(const fs::path& folder, std::string actor, const Clock& clock)
      : m_actor(std::move(actor)),
        m_clock(clock),
        m_blobs(folder),
        m_db(folder / "platform.db", true, busy_timeout_ms),
        m_file((folder / "platform.db").string()),
        m_folder(folder) {
    open_schema(m_db);
    m_blobs.clean_stale_temps([this](const std::string& sha256) {
      if (sha256.empty())
        return;
      Transaction transaction(m_db, Mode::write);
      if (!blob_referenced(sha256))
        m_blobs.remove_blob(sha256);
      transaction.commit();
    });
  }

  // ---- apps ----

  App create_app(const std::string& id, const std::string& name) override {
    check_app_id(id);
    if (name.size() > 200)
      throw usage_error("the app name is longer than 200 bytes", "name");
    Transaction transaction(m_db, Mode::write);
    if (app_exists(id))
      throw conflict("app '" + id + "' exists already", "app");
    Statement insert(m_db, "INSERT INTO apps (id, name, created_at) VALUES (?, ?, ?)");
    insert.bind(1, id).bind(2, name.empty() ? id : name).bind(3, now()).run();
    auto app = load_app(id);
    transaction.commit();
    return app;
  }

  AppList list_apps() override {
    Transaction transaction(m_db, Mode::read);
    Statement query(
        m_db,
        "SELECT a.id, a.name, a.created_at, "
        "(SELECT count(*) FROM releases r WHERE r.app = a.id) FROM apps a ORDER BY a.id");
    AppList list;
    while (query.step())
      list.apps.push_back(App{query.text(0), query.text(1), query.integer(2),
                              static_cast<uint64_t>(query.integer(3))});
    return list;
  }

  App show_app(const std::string& id) override {
    check_app_id(id);
    Transaction transaction(m_db, Mode::read);
    return load_app(id);
  }

  AppDeleted delete_app(const std::string& id) override {
    check_app_id(id);
    AppDeleted deleted{id, 0};
    std::vector<std::string> blobs;
    {
      Transaction transaction(m_db, Mode::write);
      deleted.releases_deleted = load_app(id).releases;
      Statement shas(m_db, "SELECT DISTINCT sha256 FROM releases WHERE app = ?");
      shas.bind(1, id);
      while (shas.step())
        blobs.push_back(shas.text(0));
      for (const char* sql :
           {"DELETE FROM window_devices WHERE release IN (SELECT id FROM releases WHERE app = ?)",
            "DELETE FROM whitelist WHERE release IN (SELECT id FROM releases WHERE app = ?)",
            "DELETE FROM changes WHERE release IN (SELECT id FROM releases WHERE app = ?)",
            "DELETE FROM releases WHERE app = ?", "DELETE FROM apps WHERE id = ?"}) {
        Statement statement(m_db, sql);
        statement.bind(1, id).run();
      }
      transaction.commit();
    }
    // Blobs go after the commit (a failed commit must not lose a release's artifact), under
    // the write lock, so that an upload publishing the same content now is not undone.
    if (!blobs.empty()) {
      Transaction transaction(m_db, Mode::write);
      for (const auto& sha256 : blobs) {
        if (!blob_referenced(sha256))
          m_blobs.remove_blob(sha256);
      }
      transaction.commit();
    }
    // The app's analytics go with it (a later app of the same id starts empty).
    std::error_code ignored;
    fs::remove_all(analytics_folder(id), ignored);
    return deleted;
  }

  // ---- releases ----

  Release upload(const UploadRequest& request, ProgressSink& progress) override {
    auto checked = check_upload(request);
    {
      Transaction transaction(m_db, Mode::read);
      load_app(request.app);  // fail fast, before copying the artifact
    }
    std::string package;
    if (checked.kind == "offline")
      package = read_offline_package(request);
    auto staged = request.consume_file
                      ? m_blobs.stage_owned(request.file, request.known_sha256, progress)
                      : m_blobs.stage(request.file, progress);
    if (!request.expected_sha256.empty() && staged->sha256 != request.expected_sha256)
      throw verification_failed("the artifact does not match the sha256 given for it", "sha256");

    Transaction transaction(m_db, Mode::write);
    load_app(request.app);
    Statement existing(m_db,
                       "SELECT id, sha256 FROM releases WHERE app = ? AND platform = ? AND "
                       "kind = ? AND package = ? AND version = ?");
    existing.bind(1, request.app)
        .bind(2, request.platform)
        .bind(3, checked.kind)
        .bind(4, package)
        .bind(5, request.version);
    if (existing.step()) {
      auto id = existing.text(0);
      if (request.if_absent && existing.text(1) == staged->sha256)
        return load_release(id);
      throw conflict("version " + request.version + " of " + request.app + " (" + request.platform +
                         ", " + checked.kind + (package.empty() ? "" : " " + package) +
                         ") exists already as " + id +
                         (request.if_absent ? " with a different artifact" : ""),
                     "version");
    }
    existing.reset();

    bool made_blob = m_blobs.publish(*staged);
    // Until the commit, a blob this upload made is removed again on any error.
    struct BlobGuard {
      BlobStore& store;
      std::string sha256;
      bool armed;
      ~BlobGuard() {
        if (armed)
          store.remove_blob(sha256);
      }
    } guard{m_blobs, staged->sha256, made_blob};

    Release release;
    release.id = new_release_id();
    release.state = request.draft ? ReleaseState::draft : ReleaseState::gray;
    auto at = now();
    Statement insert(m_db,
                     "INSERT INTO releases (id, app, platform, kind, package, version, state, "
                     "percent, sha256, size, file_name, min_app_version, max_app_version, notes, "
                     "mandatory, rules, whitelist_count, created_at, updated_at, created_by, "
                     "window_max, window_until, window_counted) VALUES "
                     "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, 0)");
    std::string file_name =
        request.file_name.empty() ? request.file.filename().string() : request.file_name;
    insert.bind(1, release.id)
        .bind(2, request.app)
        .bind(3, request.platform)
        .bind(4, checked.kind)
        .bind(5, package)
        .bind(6, request.version)
        .bind(7, state_name(release.state))
        .bind(8, static_cast<int64_t>(request.window ? 0 : request.percent))
        .bind(9, staged->sha256)
        .bind(10, static_cast<int64_t>(staged->size))
        .bind(11, file_name)
        .bind(12, checked.min_app_version)
        .bind(13, checked.max_app_version)
        .bind(14, request.notes)
        .bind(15, static_cast<int64_t>(request.mandatory ? 1 : 0))
        .bind(16, rules_to_text(checked.rules))
        .bind(17, at)
        .bind(18, at)
        .bind(19, m_actor);
    if (request.window) {
      insert.bind(20, static_cast<int64_t>(request.window->max_devices))
          .bind(21, request.window->until);
    } else {
      insert.bind_null(20).bind_null(21);
    }
    insert.run();
    std::string created = state_name(release.state);
    if (request.window)
      created += ", window " + window_text(request.window);
    else
      created += " at " + percent_text(request.percent) + "%";
    record(release.id, "created", "", created);
    if (!request.whitelist.empty())
      add_to_whitelist(release.id, 0, request.whitelist);
    transaction.commit();
    guard.armed = false;
    return load_release(release.id);
  }

  ReleaseList list_releases(const ReleaseFilter& filter) override {
    check_app_id(filter.app);
    if (!filter.platform.empty())
      check_platform_name(filter.platform);
    Transaction transaction(m_db, Mode::read);
    load_app(filter.app);
    Statement query(m_db, select_releases("WHERE app = ?1 AND (?2 = '' OR platform = ?2) AND "
                                          "(?3 = '' OR state = ?3) ORDER BY created_at, rowid")
                              .c_str());
    query.bind(1, filter.app)
        .bind(2, filter.platform)
        .bind(3, filter.state ? state_name(*filter.state) : std::string());
    ReleaseList list;
    while (query.step())
      list.releases.push_back(read_release(query, m_file));
    return list;
  }

  Release show_release(const std::string& ref) override {
    Transaction transaction(m_db, Mode::read);
    return find_release(ref);
  }

  History history(const std::string& ref) override {
    Transaction transaction(m_db, Mode::read);
    auto release = find_release(ref);
    Statement query(m_db,
                    "SELECT seq, what, old_value, new_value, at, by FROM changes WHERE release = ? "
                    "ORDER BY seq");
    query.bind(1, release.id);
    History history{release.id, {}};
    while (query.step()) {
      history.changes.push_back(ReleaseChange{static_cast<uint64_t>(query.integer(0)), release.id,
                                              query.text(1), query.text(2), query.text(3),
                                              query.integer(4), query.text(5)});
    }
    return history;
  }

  Artifact open_artifact(const std::string& ref) override {
    Artifact artifact;
    {
      Transaction transaction(m_db, Mode::read);
      artifact.release = find_release(ref);
    }
    auto blob = m_blobs.path_of(artifact.release.sha256);
    auto stream = std::make_unique<std::ifstream>(blob, std::ios::binary);
    if (!*stream)
      throw failure("the artifact of " + artifact.release.id +
                        " is missing from the blob folder (" + blob.string() + ")",
                    blob.string());
    artifact.bytes = std::move(stream);
    return artifact;
  }

  Download download(const std::string& ref, const fs::path& destination,
                    ProgressSink& progress) override {
    Release release;
    {
      Transaction transaction(m_db, Mode::read);
      release = find_release(ref);
    }
    auto blob = m_blobs.path_of(release.sha256);
    UniqueFd in(::open(blob.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0)
      throw failure("the artifact of " + release.id + " is missing from the blob folder (" +
                        blob.string() + ")",
                    blob.string());
    AtomicFile out(destination, 0644, Durability::rename_only);
    Sha256 hash;
    std::vector<char> buffer(1 << 20);
    uint64_t size = 0;
    progress.start("download", release.size);
    for (;;) {
      throw_if_stop_requested();
      ssize_t got = ::read(in.get(), buffer.data(), buffer.size());
      if (got < 0 && errno == EINTR)
        continue;
      if (got < 0)
        throw failure("cannot read the artifact (" + blob.string() + ")", blob.string());
      if (got == 0)
        break;
      out.write(buffer.data(), static_cast<size_t>(got));
      hash.update(buffer.data(), static_cast<size_t>(got));
      size += static_cast<uint64_t>(got);
      progress.advance(static_cast<uint64_t>(got));
    }
    progress.finish();
    auto sha256 = to_hex(hash.finish());
    if (sha256 != release.sha256 || size != release.size) {
      throw verification_failed("the stored artifact of " + release.id +
                                    " does not match its sha256 (" + blob.string() + ")",
                                blob.string());
    }
    out.commit();
    return Download{release.id, destination.string(), sha256, size};
  }

  Release change(const std::string& ref, const LifecycleChange& change) override {
    Transaction transaction(m_db, Mode::write);
    auto before = find_release(ref);
    auto after = before;
    apply(change, after);
    if (after.state != before.state)
      record(after.id, "state", state_text(before), state_text(after));
    if (after.percent != before.percent)
      record(after.id, "percent", percent_text(before.percent), percent_text(after.percent));
    if (window_text(after.window) != window_text(before.window))
      record(after.id, "window", window_text(before.window), window_text(after.window));
    Statement update(
        m_db,
        "UPDATE releases SET state = ?, percent = ?, window_max = ?, window_until = ?, "
        "updated_at = ? WHERE id = ?");
    update.bind(1, state_name(after.state)).bind(2, static_cast<int64_t>(after.percent));
    if (after.window) {
      update.bind(3, static_cast<int64_t>(after.window->max_devices)).bind(4, after.window->until);
    } else {
      update.bind_null(3).bind_null(4);
    }
    update.bind(5, now()).bind(6, after.id).run();
    auto result = load_release(after.id);
    transaction.commit();
    return result;
  }

  // ---- whitelists ----

  WhitelistChange whitelist_add(const std::string& ref,
                                const std::vector<std::string>& devices) override {
    for (const auto& device : devices)
      check_device_id(device, "device id");
    Transaction transaction(m_db, Mode::write);
    auto release = find_release(ref);
    refuse_if_rolled_back(release);
    auto added = add_to_whitelist(release.id, release.whitelist, devices);
    transaction.commit();
    return WhitelistChange{release.id, added, release.whitelist + added};
  }

  WhitelistChange whitelist_remove(const std::string& ref,
                                   const std::vector<std::string>& devices) override {
    Transaction transaction(m_db, Mode::write);
    auto release = find_release(ref);
    refuse_if_rolled_back(release);
    Statement remove(m_db, "DELETE FROM whitelist WHERE release = ? AND device = ?");
    uint64_t removed = 0;
    for (size_t i = 0; i < devices.size(); ++i) {
      if ((i & 0xfff) == 0)
        throw_if_stop_requested();
      remove.bind(1, release.id).bind(2, devices[i]).run();
      removed += static_cast<uint64_t>(m_db.changes());
    }
    set_whitelist_count(release.id, release.whitelist, release.whitelist - removed);
    transaction.commit();
    return WhitelistChange{release.id, removed, release.whitelist - removed};
  }

  WhitelistIds whitelist_list(const std::string& ref) override {
    Transaction transaction(m_db, Mode::read);
    auto release = find_release(ref);
    WhitelistIds list{release.id, {}};
    Statement query(m_db, "SELECT device FROM whitelist WHERE release = ? ORDER BY device");
    query.bind(1, release.id);
    while (query.step())
      list.devices.push_back(query.text(0));
    return list;
  }

  // ---- checks ----

  CheckResult check(const CheckRequest& request) override {
    CheckResult result;
    check_into(request, result);
    return result;
  }

  void check_into(const CheckRequest& request, CheckResult& result) override {
    check_app_id(request.app);
    check_platform_name(request.platform);
    check_device_id(request.device.id, "device id");
    // Most checks change nothing: decided in a read transaction. Only a device-side check
    // that would take a time-window place decides again under the write lock, where the
    // count cannot move under it.
    if (request.count) {
      {
        Transaction transaction(m_db, Mode::read);
        if (!decide_check(request, false, result))
          return;
      }
      Transaction transaction(m_db, Mode::write);
      decide_check(request, true, result);
      transaction.commit();
      return;
    }
    Transaction transaction(m_db, Mode::read);
    decide_check(request, false, result);
  }

  void set_actor(const std::string& actor) override { m_actor = actor.substr(0, 128); }

  // ---- tokens ----

  Token create_token(const TokenRequest& request) override {
    check_token_name(request.name);
    Token token;
    token.id = new_token_id();
    token.name = request.name;
    token.scope = request.scope;
    token.created_at = now();
    token.expires_at = request.expires_at;
    if (token.expires_at != 0 && token.expires_at <= token.created_at)
      throw usage_error("the expiry is in the past", "expires");
    token.secret = new_token_secret();
    Transaction transaction(m_db, Mode::write);
    Statement insert(m_db,
                     "INSERT INTO tokens (id, name, scope, secret_sha256, created_at, expires_at, "
                     "created_by) VALUES (?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, token.id)
        .bind(2, token.name)
        .bind(3, scope_name(token.scope))
        .bind(4, token_secret_hash(token.secret))
        .bind(5, token.created_at)
        .bind(6, token.expires_at)
        .bind(7, m_actor)
        .run();
    transaction.commit();
    return token;
  }

  TokenList list_tokens() override {
    Transaction transaction(m_db, Mode::read);
    auto sql = std::string("SELECT ") + token_columns + " FROM tokens ORDER BY created_at, rowid";
    Statement query(m_db, sql.c_str());
    TokenList list;
    while (query.step())
      list.tokens.push_back(read_token(query));
    return list;
  }

  Token revoke_token(const std::string& id) override {
    Transaction transaction(m_db, Mode::write);
    auto token = load_token(id);
    if (token.revoked_at != 0)
      throw conflict("token '" + id + "' is revoked already", "token");
    token.revoked_at = now();
    Statement update(m_db, "UPDATE tokens SET revoked_at = ? WHERE id = ?");
    update.bind(1, token.revoked_at).bind(2, id).run();
    transaction.commit();
    return token;
  }

  std::optional<Token> authenticate(const std::string& secret) override {
    if (secret.size() > 128)
      return std::nullopt;
    auto at = now();
    auto sql = std::string("SELECT ") + token_columns +
               " FROM tokens WHERE secret_sha256 = ? AND revoked_at = 0 AND "
               "(expires_at = 0 OR expires_at > ?)";
    Statement query(m_db, sql.c_str());
    query.bind(1, token_secret_hash(secret)).bind(2, at);
    if (!query.step())
      return std::nullopt;
    auto token = read_token(query);
    query.reset();
    // The last use is recorded to the minute: a write per request would cost every request
    // a synced commit.
    if (at - token.last_used_at >= 60) {
      Transaction transaction(m_db, Mode::write);
      Statement update(m_db, "UPDATE tokens SET last_used_at = ? WHERE id = ?");
      update.bind(1, at).bind(2, token.id).run();
      transaction.commit();
      token.last_used_at = at;
    }
    return token;
  }

  // ---- analytics: the columnar store of analytics_store.hpp, one folder per app ----

  analytics::IngestResult ingest_events(const analytics::IngestRequest& request,
                                        ProgressSink& progress) override {
    check_analytics_app(request.app);
    return analytics_store::ingest(analytics_folder(request.app), request, progress);
  }

  analytics::QueryResult query_events(const analytics::QueryRequest& request) override {
    check_analytics_app(request.app);
    return analytics_store::query(analytics_folder(request.app), request);
  }

  analytics::CompareResult compare_events(const analytics::CompareRequest& request) override {
    check_analytics_app(request.app);
    return analytics_store::compare(analytics_folder(request.app), request);
  }

  ReleaseGate gate(const std::string& ref) override {
    Transaction transaction(m_db, Mode::read);
    ReleaseGate gate;
    gate.release = find_release(ref);
    for (const auto& text : gate.release.rules)
      gate.rules.push_back(parse_rule(text));
    Statement listed(m_db, "SELECT device FROM whitelist WHERE release = ?");
    listed.bind(1, gate.release.id);
    while (listed.step())
      gate.whitelist.insert(listed.text(0));
    Statement counted(m_db, "SELECT device FROM window_devices WHERE release = ?");
    counted.bind(1, gate.release.id);
    while (counted.step())
      gate.counted.insert(counted.text(0));
    gate.now = now();
    return gate;
  }

 private:
  struct CheckedUpload {
    std::string kind;
    std::vector<std::string> rules;
    std::string min_app_version, max_app_version;
  };

  int64_t now() const {
    return std::chrono::duration_cast<std::chrono::seconds>(m_clock.now().time_since_epoch())
        .count();
  }

  CheckedUpload check_upload(const UploadRequest& request) const {
    CheckedUpload checked;
    check_app_id(request.app);
    check_platform_name(request.platform);
    // The name the user gave decides (an upload over HTTP arrives as a temp file).
    bool amr =
        ends_with_amr(request.file_name.empty() ? request.file : fs::path(request.file_name));
    bool bundle = hotfix::is_bundle_file(request.file);
    checked.kind = request.kind.empty() ? (amr      ? "offline"
                                           : bundle ? "hotfix"
                                                    : "native")
                                        : request.kind;
    check_kind_name(checked.kind);
    if (amr && checked.kind != "offline")
      throw usage_error("an .amr file is an offline package, not a " + checked.kind + " release",
                        "kind");
    checked.min_app_version = request.min_app_version;
    checked.max_app_version = request.max_app_version;
    if (bundle)
      take_bundle_versions(request, checked);
    check_version_field(request.version, "version");
    if (!checked.min_app_version.empty())
      check_version_field(checked.min_app_version, "min app version");
    if (!checked.max_app_version.empty())
      check_version_field(checked.max_app_version, "max app version");
    if (!checked.min_app_version.empty() && !checked.max_app_version.empty() &&
        compare_versions(checked.min_app_version, checked.max_app_version, "min app version") > 0)
      throw usage_error("the min app version is above the max app version", "min app version");
    if (request.percent > 10000)
      throw usage_error("the percentage is above 100", "percent");
    if (request.notes.size() > 64 * 1024)
      throw usage_error("the notes are longer than 64 KiB", "notes");
    for (const auto& text : request.rules)
      checked.rules.push_back(parse_rule(text).text);
    for (const auto& device : request.whitelist)
      check_device_id(device, "whitelist");
    if (request.window)
      check_window(*request.window, request.percent);
    return checked;
  }

  void check_window(const TimeWindow& window, BasisPoints percent) const {
    if (window.max_devices == 0)
      throw usage_error("a time window needs at least one device", "max devices");
    if (window.until <= now())
      throw usage_error("the time window ends in the past (" + format_time(window.until) + ")",
                        "until");
    if (percent != 0)
      throw usage_error("a release rolls out by percentage or by time window, not both", "percent");
  }

  // A hot-fix bundle (docs/hotfix.md) is for the base build's app versions: the release takes
  // them as its app-version range, so that checks offer it to devices on that build only.
  // Flags that say otherwise are refused.
  void take_bundle_versions(const UploadRequest& request, CheckedUpload& checked) const {
    if (checked.kind != "hotfix")
      throw usage_error("a hot-fix bundle is a hotfix release, not a " + checked.kind + " one",
                        "kind");
    auto header = hotfix::read_bundle_header(request.file, request.file.string());
    auto range = hotfix::app_version_range(header.app_versions);
    if (!range)
      return;
    auto agree = [&](std::string& field, const std::string& wanted, const char* name) {
      if (!field.empty() && field != wanted)
        throw usage_error("the bundle is for app versions " + header.app_versions + ", not " +
                              name + " " + field.substr(0, 40) + " (" + request.file.string() + ")",
                          name);
      field = wanted;
    };
    agree(checked.min_app_version, range->first, "min app version");
    agree(checked.max_app_version, range->second, "max app version");
  }

  // The offline package's id, after checking the package's version is the one asked for.
  std::string read_offline_package(const UploadRequest& request) const {
    offline::ReadOptions options;
    options.list_files = false;
    auto package = offline::read_package(request.file, options);
    const auto& manifest = package.manifest;
    if (manifest.version != request.version) {
      throw usage_error("the package's version is " + manifest.version.substr(0, 40) + ", not " +
                            request.version + " (" + request.file.string() + ")",
                        "version");
    }
    check_device_id(manifest.uid, request.file.string());
    return manifest.uid;
  }

  void apply(const LifecycleChange& change, Release& release) const {
    using Action = LifecycleChange::Action;
    auto state = release.state;
    auto refuse = [&](const std::string& why) {
      return conflict("cannot " + action_name(change.action) + " " + release.id + ": " + why,
                      "release");
    };
    if (state == ReleaseState::rolled_back)
      throw refuse("it was rolled back");
    switch (change.action) {
      case Action::rollout:
        if (state == ReleaseState::paused)
          throw refuse("it is paused; resume it first");
        if (state == ReleaseState::released)
          throw refuse("it is released to everyone already");
        if (change.window) {
          check_window(*change.window, 0);
          if (release.window && change.window->max_devices < release.window->max_devices)
            throw refuse("lowering the time window's devices from " +
                         std::to_string(release.window->max_devices) + " to " +
                         std::to_string(change.window->max_devices) + " is not allowed");
          if (!release.window && release.percent > 0 && state == ReleaseState::gray)
            throw refuse("it is at " + percent_text(release.percent) +
                         "%; a time window would take the release from devices that have it");
          uint32_t counted = release.window ? release.window->counted : 0;
          release.window = *change.window;
          release.window->counted = counted;
          release.percent = 0;
        } else if (change.percent) {
          if (*change.percent > 10000)
            throw refuse("the percentage is above 100");
          if (state == ReleaseState::gray && !release.window && *change.percent < release.percent)
            throw refuse("lowering the percentage from " + percent_text(release.percent) + " to " +
                         percent_text(*change.percent) +
                         " is not allowed (devices would lose the release); pause or roll back "
                         "instead");
          release.percent = *change.percent;
          release.window.reset();
        }
        release.state = ReleaseState::gray;
        break;
      case Action::pause:
        if (state != ReleaseState::gray)
          throw refuse("it is " + state_name(state) + ", not gray");
        release.state = ReleaseState::paused;
        break;
      case Action::resume:
        if (state != ReleaseState::paused)
          throw refuse("it is " + state_name(state) + ", not paused");
        release.state = ReleaseState::gray;
        break;
      case Action::finish:
        if (state == ReleaseState::released)
          throw refuse("it is released already");
        release.state = ReleaseState::released;
        release.percent = 10000;
        break;
      case Action::rollback:
        release.state = ReleaseState::rolled_back;
        break;
    }
  }

  static std::string action_name(LifecycleChange::Action action) {
    switch (action) {
      case LifecycleChange::Action::rollout:
        return "roll out";
      case LifecycleChange::Action::pause:
        return "pause";
      case LifecycleChange::Action::resume:
        return "resume";
      case LifecycleChange::Action::finish:
        return "finish";
      case LifecycleChange::Action::rollback:
        return "roll back";
    }
    return "change";
  }

  void refuse_if_rolled_back(const Release& release) const {
    if (release.state == ReleaseState::rolled_back)
      throw conflict("cannot change the whitelist of " + release.id + ": it was rolled back",
                     "release");
  }

  // native, offline, hotfix; newest version first within a kind.
  static std::vector<size_t> presentation_order(const std::vector<const Release*>& releases) {
    // Keys computed once: kind rank, package, then newest version first.
    struct Key {
      int rank;
      const std::string* package;
      VersionNumbers version;
    };
    std::vector<Key> keys;
    keys.reserve(releases.size());
    for (const Release* release : releases) {
      int rank = release->kind == "native" ? 0 : release->kind == "offline" ? 1 : 2;
      keys.push_back(Key{rank, &release->package, version_numbers(release->version, "version")});
    }
    std::vector<size_t> order(releases.size());
    for (size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      const auto& x = keys[a];
      const auto& y = keys[b];
      if (x.rank != y.rank)
        return x.rank < y.rank;
      if (*x.package != *y.package)
        return *x.package < *y.package;
      return x.version > y.version;
    });
    return order;
  }

  // An app's releases for one platform with their parsed rules and presentation order, as
  // checks need them, kept while the database is unchanged: PRAGMA data_version moves when
  // another connection commits, the connection's own change count when this one writes. A
  // server answering many checks then reads the releases once, not per request, and hands
  // out the kept releases themselves as offers.
  static constexpr size_t no_group = SIZE_MAX;  // hot-fixes: none supersedes another
  struct CheckedRelease {
    std::shared_ptr<const Release> release;
    std::vector<Rule> rules;
    bool has_places = false;  // some device holds a time-window place in it
    size_t group = no_group;  // its kind and package, numbered, for supersede_older
  };
  struct ReleaseSet {
    std::string app, platform;
    int64_t data_version = -1;
    int64_t own_changes = -1;
    std::vector<CheckedRelease> releases;
    std::vector<size_t> order;  // presentation_order of `releases`
    size_t groups = 0;
  };

  const ReleaseSet& releases_for_check(const std::string& app, const std::string& platform) {
    int64_t data_version = 0;
    auto& version = cached_statement(m_data_version_query, "PRAGMA data_version");
    if (version.step())
      data_version = version.integer(0);
    version.reset();
    auto own_changes = static_cast<int64_t>(sqlite3_total_changes64(m_db.handle()));
    auto& cached = m_check_cache;
    if (cached.app == app && cached.platform == platform && cached.data_version == data_version &&
        cached.own_changes == own_changes)
      return cached;
    load_app(app);
    cached = ReleaseSet{app, platform, data_version, own_changes, {}, {}, 0};
    Statement query(m_db, select_releases("WHERE app = ? AND platform = ? ORDER BY created_at, "
                                          "rowid")
                              .c_str());
    query.bind(1, app).bind(2, platform);
    std::vector<const Release*> kept;
    while (query.step()) {
      CheckedRelease entry;
      auto release = std::make_shared<const Release>(read_release(query, m_file));
      for (const auto& text : release->rules)
        entry.rules.push_back(parse_rule(text));
      kept.push_back(release.get());
      entry.release = std::move(release);
      cached.releases.push_back(std::move(entry));
    }
    cached.order = presentation_order(kept);
    std::map<std::pair<std::string, std::string>, size_t> groups;  // (kind, package) -> number
    for (auto& entry : cached.releases) {
      if (entry.release->kind != "hotfix")
        entry.group =
            groups.try_emplace({entry.release->kind, entry.release->package}, groups.size())
                .first->second;
    }
    cached.groups = groups.size();
    Statement places(m_db,
                     "SELECT DISTINCT w.release FROM window_devices w JOIN releases r ON "
                     "r.id = w.release WHERE r.app = ? AND r.platform = ?");
    places.bind(1, app).bind(2, platform);
    std::set<std::string> with_places;
    while (places.step())
      with_places.insert(places.text(0));
    for (auto& entry : cached.releases)
      entry.has_places = with_places.count(entry.release->id) > 0;
    return cached;
  }

  // A statement prepared once per connection and reused (reset after each use).
  Statement& cached_statement(std::unique_ptr<Statement>& slot, const char* sql) {
    if (!slot)
      slot = std::make_unique<Statement>(m_db, sql);
    return *slot;
  }

  // A device gets the newest offered native release, the newest offered version of each
  // offline package and every offered hot-fix; the others are superseded. The presentation
  // order puts a group's newest first (equal versions: the first made), so the first offered
  // release of a group in that order is the one it keeps.
  void supersede_older(const ReleaseSet& cached, std::vector<GateDecision>& decisions) {
    auto& newest = m_newest_in_group;
    newest.assign(cached.groups, SIZE_MAX);
    for (size_t i : cached.order) {
      size_t group = cached.releases[i].group;
      if (group == no_group || !decisions[i].offered)
        continue;
      if (newest[group] == SIZE_MAX) {
        newest[group] = i;
        continue;
      }
      const Release& chosen = *cached.releases[newest[group]].release;
      auto& decision = decisions[i];
      decision.offered = false;
      decision.takes_place = false;
      decision.reason.assign("superseded by ").append(chosen.id).append(" (");
      decision.reason.append(chosen.version).append(")");
    }
  }

  // Decides every release of the app for the device into `result` (its storage reused),
  // inside the caller's transaction; with `take`, offers that need a time-window place take
  // it. True when an offer would take a place.
  bool decide_check(const CheckRequest& request, bool take, CheckResult& result) {
    const auto& cached = releases_for_check(request.app, request.platform);
    // Decided on the kept releases in place; offers share them.
    auto& decisions = m_check_decisions;
    // Sized, not cleared: each decision's reason keeps its buffer from the last check.
    decisions.resize(cached.releases.size());
    auto at = now();
    for (size_t r = 0; r < cached.releases.size(); ++r) {
      const auto& entry = cached.releases[r];
      const auto& release = *entry.release;
      bool listed = release.whitelist > 0 &&
                    exists(cached_statement(m_whitelisted_query,
                                            "SELECT 1 FROM whitelist WHERE release = ? AND "
                                            "device = ?"),
                           release.id, request.device.id);
      bool holds_place = entry.has_places &&
                         exists(cached_statement(m_counted_query,
                                                 "SELECT 1 FROM window_devices WHERE release = ? "
                                                 "AND device = ?"),
                                release.id, request.device.id);
      uint32_t free = 0;
      if (release.window && release.window->max_devices > release.window->counted)
        free = release.window->max_devices - release.window->counted;
      decide_now_into(release, entry.rules, listed, holds_place, free, at, request.device,
                      decisions[r]);
    }
    supersede_older(cached, decisions);

    bool takes_place = false;
    result.device = request.device;
    result.offers.clear();
    size_t skipped = 0;
    for (const auto& decision : decisions)
      skipped += decision.offered ? 0 : 1;
    // Resized, then assigned field by field: the strings keep their buffers from the last
    // check, so a check allocates next to nothing.
    result.decisions.resize(cached.releases.size());
    result.skipped.resize(skipped);
    size_t verdict_at = 0, skipped_at = 0;
    for (size_t i : cached.order) {
      const Release& release = *cached.releases[i].release;
      auto& decision = decisions[i];
      if (!decision.offered) {
        auto& skip = result.skipped[skipped_at++];
        skip.release = release.id;
        skip.reason = decision.reason;
      }
      auto& verdict = result.decisions[verdict_at++];
      verdict.release = release.id;
      verdict.kind = release.kind;
      verdict.version = release.version;
      verdict.offered = decision.offered;
      verdict.reason = decision.reason;  // a copy: both keep their buffers
      if (!decision.offered)
        continue;
      if (decision.takes_place && request.count) {
        takes_place = true;
        if (take) {
          auto taken = std::make_shared<Release>(release);
          take_place(*taken, request.device.id, at);
          result.offers.push_back(std::move(taken));
          continue;
        }
      }
      result.offers.push_back(cached.releases[i].release);
    }
    return takes_place;
  }

  // Counts the device into the release's time window, inside the check's write transaction:
  // the guard in the UPDATE keeps the count at most max_devices whatever else runs.
  void take_place(Release& release, const std::string& device, int64_t at) {
    Statement update(m_db,
                     "UPDATE releases SET window_counted = window_counted + 1 WHERE id = ? AND "
                     "window_counted < window_max");
    update.bind(1, release.id).run();
    if (m_db.changes() == 0)
      return;
    Statement insert(m_db, "INSERT INTO window_devices (release, device, at) VALUES (?, ?, ?)");
    insert.bind(1, release.id).bind(2, device).bind(3, at).run();
    if (release.window)
      ++release.window->counted;
  }

  static bool exists(Statement& query, const std::string& release, const std::string& device) {
    query.bind(1, release).bind(2, device);
    bool found = query.step();
    query.reset();
    return found;
  }

  uint64_t add_to_whitelist(const std::string& release, uint64_t count,
                            const std::vector<std::string>& devices) {
    Statement insert(m_db, "INSERT OR IGNORE INTO whitelist (release, device) VALUES (?, ?)");
    uint64_t added = 0;
    for (size_t i = 0; i < devices.size(); ++i) {
      if ((i & 0xfff) == 0)
        throw_if_stop_requested();
      insert.bind(1, release).bind(2, devices[i]).run();
      added += static_cast<uint64_t>(m_db.changes());
    }
    set_whitelist_count(release, count, count + added);
    return added;
  }

  void set_whitelist_count(const std::string& release, uint64_t before, uint64_t after) {
    if (before == after)
      return;
    Statement update(m_db, "UPDATE releases SET whitelist_count = ?, updated_at = ? WHERE id = ?");
    update.bind(1, static_cast<int64_t>(after)).bind(2, now()).bind(3, release).run();
    record(release, "whitelist", std::to_string(before) + " devices",
           std::to_string(after) + " devices");
  }

  void record(const std::string& release, const std::string& what, const std::string& old_value,
              const std::string& new_value) {
    Statement insert(m_db,
                     "INSERT INTO changes (release, what, old_value, new_value, at, by) VALUES "
                     "(?, ?, ?, ?, ?, ?)");
    insert.bind(1, release).bind(2, what);
    if (old_value.empty())
      insert.bind_null(3);
    else
      insert.bind(3, old_value);
    if (new_value.empty())
      insert.bind_null(4);
    else
      insert.bind(4, new_value);
    insert.bind(5, now()).bind(6, m_actor).run();
  }

  static constexpr const char* token_columns =
      "id, name, scope, created_at, expires_at, revoked_at, last_used_at";

  static Token read_token(const Statement& row) {
    Token token;
    token.id = row.text(0);
    token.name = row.text(1);
    token.scope = parse_scope(row.text(2));
    token.created_at = row.integer(3);
    token.expires_at = row.integer(4);
    token.revoked_at = row.integer(5);
    token.last_used_at = row.integer(6);
    return token;
  }

  Token load_token(const std::string& id) {
    auto sql = std::string("SELECT ") + token_columns + " FROM tokens WHERE id = ?";
    Statement query(m_db, sql.c_str());
    query.bind(1, id);
    if (!query.step())
      throw not_found("no token '" + id.substr(0, 64) + "'", "token");
    return read_token(query);
  }

  static void check_token_name(const std::string& name) {
    bool valid = !name.empty() && name.size() <= 64;
    for (char c : name) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
        valid = false;
    }
    if (!valid)
      throw usage_error("invalid token name: 1 to 64 characters of letters, digits, '.', '_', '-'",
                        "name");
  }

  bool app_exists(const std::string& id) {
    Statement query(m_db, "SELECT 1 FROM apps WHERE id = ?");
    query.bind(1, id);
    return query.step();
  }

  void check_analytics_app(const std::string& id) {
    check_app_id(id);
    Transaction transaction(m_db, Mode::read);
    load_app(id);
  }

  fs::path analytics_folder(const std::string& app) const { return m_folder / "analytics" / app; }

  App load_app(const std::string& id) {
    Statement query(m_db,
                    "SELECT id, name, created_at, (SELECT count(*) FROM releases WHERE app = ?1) "
                    "FROM apps WHERE id = ?1");
    query.bind(1, id);
    if (!query.step())
      throw not_found("no app '" + id + "'", "app");
    return App{query.text(0), query.text(1), query.integer(2),
               static_cast<uint64_t>(query.integer(3))};
  }

  bool blob_referenced(const std::string& sha256) {
    Statement query(m_db, "SELECT 1 FROM releases WHERE sha256 = ? LIMIT 1");
    query.bind(1, sha256);
    return query.step();
  }

  Release load_release(const std::string& id) {
    Statement query(m_db, select_releases("WHERE id = ?").c_str());
    query.bind(1, id);
    if (!query.step())
      throw not_found("no release '" + id + "'", "release");
    return read_release(query, m_file);
  }

  // A release id, or APP/PLATFORM/VERSION naming exactly one release.
  Release find_release(const std::string& ref) {
    if (is_release_id(ref))
      return load_release(ref);
    auto first = ref.find('/');
    auto second = first == std::string::npos ? first : ref.find('/', first + 1);
    if (second == std::string::npos || ref.find('/', second + 1) != std::string::npos ||
        ref.size() > 400) {
      throw usage_error("invalid release '" + ref.substr(0, 60) +
                            "': a release id (rel_...) or APP/PLATFORM/VERSION",
                        "release");
    }
    Statement query(m_db,
                    select_releases("WHERE app = ? AND platform = ? AND version = ?").c_str());
    query.bind(1, ref.substr(0, first))
        .bind(2, ref.substr(first + 1, second - first - 1))
        .bind(3, ref.substr(second + 1));
    if (!query.step())
      throw not_found("no release '" + ref + "'", "release");
    auto release = read_release(query, m_file);
    if (query.step())
      throw conflict("'" + ref + "' names more than one release (kinds or packages differ); " +
                         "use a release id",
                     "release");
    return release;
  }

  std::string m_actor;
  const Clock& m_clock;
  BlobStore m_blobs;
  Database m_db;
  std::string m_file;
  fs::path m_folder;
  ReleaseSet m_check_cache;
  // Statements of the check path, prepared on first use (declared after m_db: finalised
  // before the connection closes).
  std::unique_ptr<Statement> m_data_version_query, m_whitelisted_query, m_counted_query;
  // A check's working lists, kept between checks for their storage.
  std::vector<GateDecision> m_check_decisions;
  std::vector<size_t> m_newest_in_group;  // supersede_older's, per group
};

}  // namespace
}  // namespace local

int local_schema_version() {
  return local::schema_version();
}

std::unique_ptr<Platform> open_local_platform(const std::filesystem::path& folder,
                                              const std::string& actor, const Clock& clock) {
  return std::make_unique<local::LocalPlatform>(folder, actor, clock);
}

}  // namespace mpaas::platform
