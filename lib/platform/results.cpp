// JSON forms and text layouts of the platform's results (docs/json.md). The JSON is the
// interface: the CLI prints it and the HTTP API will send it.
#include "mpaas/platform/platform.hpp"

#include <algorithm>

namespace mpaas::platform {
namespace {

Json text_or_null(const std::string& text) {
  return text.empty() ? Json(nullptr) : Json(text);
}

// 1250 basis points -> 12.5; whole percentages stay integers (10, not 10.0).
Json percent_json(BasisPoints points) {
  if (points % 100 == 0)
    return Json(points / 100);
  return Json(static_cast<double>(points) / 100.0);
}

// Builds an object field by field, in order. nlohmann's initializer lists copy every value
// once more, which is most of the cost when a check prints a hundred releases.
class ObjectBuilder {
 public:
  explicit ObjectBuilder(size_t fields) : m_json(Json::object()) {
    m_json.get_ref<Json::object_t&>().reserve(fields);
  }
  ObjectBuilder& add(const char* key, Json value) {
    m_json.get_ref<Json::object_t&>().emplace_back(key, std::move(value));
    return *this;
  }
  Json take() { return std::move(m_json); }

 private:
  Json m_json;
};

}  // namespace

Json to_json(const App& app) {
  return Json{{"id", app.id},
              {"name", app.name},
              {"releases", app.releases},
              {"created_at", format_time(app.created_at)}};
}

TextLayout text_layout(const App&) {
  return {};
}

Json to_json(const AppList& list) {
  Json rows = Json::array();
  for (const auto& app : list.apps)
    rows.push_back(to_json(app));
  return rows;
}

TextLayout text_layout(const AppList&) {
  return TextLayout::table(
      {{"id", "ID"}, {"name", "NAME"}, {"releases", "RELEASES"}, {"created_at", "CREATED"}}, "");
}

Json to_json(const AppDeleted& deleted) {
  return Json{
      {"id", deleted.id}, {"deleted", true}, {"releases_deleted", deleted.releases_deleted}};
}

TextLayout text_layout(const AppDeleted&) {
  return {};
}

Json to_json(const Release& release) {
  Json rules = Json::array();
  for (const auto& rule : release.rules)
    rules.push_back(rule);
  Json window = nullptr;
  if (release.window) {
    window = ObjectBuilder(3)
                 .add("max_devices", release.window->max_devices)
                 .add("until", format_time(release.window->until))
                 .add("counted", release.window->counted)
                 .take();
  }
  return ObjectBuilder(21)
      .add("id", release.id)
      .add("app", release.app)
      .add("platform", release.platform)
      .add("kind", release.kind)
      .add("package", text_or_null(release.package))
      .add("version", release.version)
      .add("state", state_name(release.state))
      .add("percent", percent_json(release.percent))
      .add("window", std::move(window))
      .add("whitelist", release.whitelist)
      .add("rules", std::move(rules))
      .add("min_app_version", text_or_null(release.min_app_version))
      .add("max_app_version", text_or_null(release.max_app_version))
      .add("mandatory", release.mandatory)
      .add("notes", text_or_null(release.notes))
      .add("file_name", release.file_name)
      .add("size", release.size)
      .add("sha256", release.sha256)
      .add("created_at", format_time(release.created_at))
      .add("updated_at", format_time(release.updated_at))
      .add("created_by", release.created_by)
      .take();
}

// Text shows what a release engineer checks at a glance; JSON keeps every field.
TextLayout text_layout(const Release&) {
  return TextLayout::record({{"id", "id"},
                             {"app", "app"},
                             {"platform", "platform"},
                             {"kind", "kind"},
                             {"package", "package"},
                             {"version", "version"},
                             {"state", "state"},
                             {"percent", "percent"},
                             {"window", "window"},
                             {"whitelist", "whitelist"},
                             {"rules", "rules"},
                             {"min_app_version", "min_app_version"},
                             {"max_app_version", "max_app_version"},
                             {"size", "size", Unit::bytes},
                             {"sha256", "sha256", Unit::short_hash},
                             {"updated_at", "updated_at"}});
}

Json to_json(const ReleaseList& list) {
  Json rows = Json::array();
  for (const auto& release : list.releases)
    rows.push_back(to_json(release));
  return rows;
}

TextLayout text_layout(const ReleaseList&) {
  return TextLayout::table({{"id", "ID"},
                            {"platform", "PLATFORM"},
                            {"kind", "KIND"},
                            {"version", "VERSION"},
                            {"state", "STATE"},
                            {"percent", "PERCENT"},
                            {"whitelist", "WHITELIST"},
                            {"size", "SIZE", Unit::bytes},
                            {"created_at", "CREATED"}},
                           "");
}

Json to_json(const History& history) {
  Json rows = Json::array();
  for (const auto& change : history.changes) {
    rows.push_back(Json{{"seq", change.seq},
                        {"release", change.release},
                        {"what", change.what},
                        {"old", text_or_null(change.old_value)},
                        {"new", text_or_null(change.new_value)},
                        {"at", format_time(change.at)},
                        {"by", change.by}});
  }
  return rows;
}

TextLayout text_layout(const History&) {
  return TextLayout::table(
      {{"at", "AT"}, {"what", "WHAT"}, {"old", "OLD"}, {"new", "NEW"}, {"by", "BY"}}, "");
}

Json to_json(const Download& download) {
  return Json{{"release", download.release},
              {"file", download.file},
              {"size", download.size},
              {"sha256", download.sha256},
              {"verified", true}};
}

TextLayout text_layout(const Download&) {
  return {};
}

Json to_json(const WhitelistChange& change) {
  return Json{{"release", change.release}, {"changed", change.changed}, {"total", change.total}};
}

TextLayout text_layout(const WhitelistChange&) {
  return {};
}

Json to_json(const WhitelistIds& list) {
  return Json{{"release", list.release}, {"devices", list.devices}};
}

TextLayout text_layout(const WhitelistIds&) {
  return TextLayout::bare("devices");
}

Json to_json(const Device& device) {
  return Json{{"id", device.id},
              {"app_version", text_or_null(device.app_version)},
              {"os_version", text_or_null(device.os_version)},
              {"model", text_or_null(device.model)},
              {"region", text_or_null(device.region)},
              {"network", text_or_null(device.network)}};
}

Json to_json(const CheckResult& result) {
  Json offers = Json::array();
  for (const auto& release : result.offers)
    offers.push_back(to_json(release));
  Json skipped = Json::array();
  for (const auto& skip : result.skipped)
    skipped.push_back(
        ObjectBuilder(2).add("release", skip.release).add("reason", skip.reason).take());
  Json decisions = Json::array();
  for (const auto& verdict : result.decisions) {
    decisions.push_back(ObjectBuilder(5)
                            .add("release", verdict.release)
                            .add("kind", verdict.kind)
                            .add("version", verdict.version)
                            .add("offered", verdict.offered)
                            .add("reason", verdict.reason)
                            .take());
  }
  return ObjectBuilder(4)
      .add("device", to_json(result.device))
      .add("offers", std::move(offers))
      .add("skipped", std::move(skipped))
      .add("decisions", std::move(decisions))
      .take();
}

TextLayout text_layout(const CheckResult&) {
  return TextLayout::table({{"release", "RELEASE"},
                            {"kind", "KIND"},
                            {"version", "VERSION"},
                            {"offered", "OFFERED"},
                            {"reason", "REASON"}},
                           "decisions");
}

Json to_json(const ReleaseGate& gate) {
  Json rules = Json::array();
  for (const auto& rule : gate.rules)
    rules.push_back(rule.text);
  // Sorted, so that the same gate always prints the same bytes.
  auto sorted = [](const std::unordered_set<std::string>& ids) {
    std::vector<std::string> list(ids.begin(), ids.end());
    std::sort(list.begin(), list.end());
    return Json(list);
  };
  return ObjectBuilder(5)
      .add("release", to_json(gate.release))
      .add("rules", std::move(rules))
      .add("whitelist", sorted(gate.whitelist))
      .add("counted", sorted(gate.counted))
      .add("now", format_time(gate.now))
      .take();
}

// ---- tokens ----

namespace {

Json time_or_null(int64_t seconds) {
  return seconds == 0 ? Json(nullptr) : Json(format_time(seconds));
}

}  // namespace

Json to_json(const Token& token) {
  ObjectBuilder object(8);
  object.add("id", token.id)
      .add("name", token.name)
      .add("scope", scope_name(token.scope))
      .add("created_at", format_time(token.created_at))
      .add("expires_at", time_or_null(token.expires_at))
      .add("revoked_at", time_or_null(token.revoked_at))
      .add("last_used_at", time_or_null(token.last_used_at))
      // Only the reply that makes a token carries its secret; every other form has null.
      .add("secret", token.secret.empty() ? Json(nullptr) : Json(token.secret));
  return object.take();
}

TextLayout text_layout(const Token& token) {
  std::vector<Column> columns = {{"id", "id"},
                                 {"name", "name"},
                                 {"scope", "scope"},
                                 {"created_at", "created_at"},
                                 {"expires_at", "expires_at"},
                                 {"revoked_at", "revoked_at"}};
  // The secret is shown once, when the token is made: it leads, so that it can be copied.
  if (!token.secret.empty())
    columns.insert(columns.begin(), Column{"secret", "secret"});
  return TextLayout::record(std::move(columns));
}

Json to_json(const TokenList& list) {
  Json rows = Json::array();
  for (const auto& token : list.tokens)
    rows.push_back(to_json(token));
  return rows;
}

TextLayout text_layout(const TokenList&) {
  return TextLayout::table({{"id", "ID"},
                            {"name", "NAME"},
                            {"scope", "SCOPE"},
                            {"created_at", "CREATED"},
                            {"expires_at", "EXPIRES"},
                            {"revoked_at", "REVOKED"},
                            {"last_used_at", "LAST USED"}});
}

Json to_json(const ReachResult& result) {
  return Json{{"release", result.release},
              {"total", result.total},
              {"reached", result.reached},
              {"devices", result.devices}};
}

TextLayout text_layout(const ReachResult&) {
  // The ids can be a million: text shows how many; --json lists them.
  return TextLayout::record({{"release", "release"},
                             {"total", "total"},
                             {"reached", "reached"},
                             {"devices", "devices", Unit::count}});
}

}  // namespace mpaas::platform
