// Request bodies into Platform requests (see requests.hpp).
#include "requests.hpp"

#include <cmath>

#include "mpaas/core/error.hpp"

namespace mpaas::platform::server {
namespace {

constexpr size_t max_devices_per_request = 100000;

Error bad_field(const std::string& field, const std::string& expected) {
  return usage_error("'" + field + "' must be " + expected, field);
}

bool boolean_field(const Json& body, const char* field) {
  if (!body.contains(field) || body[field].is_null())
    return false;
  if (!body[field].is_boolean())
    throw bad_field(field, "true or false");
  return body[field].get<bool>();
}

std::vector<std::string> text_list(const Json& body, const char* field, size_t limit) {
  std::vector<std::string> items;
  if (!body.contains(field) || body[field].is_null())
    return items;
  const auto& list = body[field];
  if (!list.is_array() || list.size() > limit)
    throw bad_field(field, "an array of at most " + std::to_string(limit) + " strings");
  for (const auto& item : list) {
    if (!item.is_string())
      throw bad_field(field, "an array of strings");
    items.push_back(item.get<std::string>());
  }
  return items;
}

std::optional<TimeWindow> window_field(const Json& body) {
  if (!body.contains("window") || body["window"].is_null())
    return std::nullopt;
  const auto& window = body["window"];
  if (!window.is_object() || !window.contains("max_devices") || !window.contains("until") ||
      !window["max_devices"].is_number_unsigned() || !window["until"].is_string())
    throw bad_field("window", "{\"max_devices\": N, \"until\": \"RFC 3339 time\"}");
  auto devices = window["max_devices"].get<uint64_t>();
  if (devices == 0 || devices > 100000000)
    throw bad_field("window.max_devices", "between 1 and 100000000");
  TimeWindow parsed;
  parsed.max_devices = static_cast<uint32_t>(devices);
  parsed.until = parse_time(window["until"].get<std::string>(), "window.until");
  return parsed;
}

}  // namespace

Json parse_body(const std::string& body, size_t limit) {
  if (body.size() > limit)
    throw invalid_input("the body is larger than " + std::to_string(limit) + " bytes",
                        "Content-Length");
  if (body.empty())
    return Json::object();
  auto value = Json::parse(body, nullptr, false);
  if (value.is_discarded() || !value.is_object())
    throw invalid_input("the body is not a JSON object", "body");
  return value;
}

std::string optional_text(const Json& body, const char* field) {
  if (!body.contains(field) || body[field].is_null())
    return "";
  if (!body[field].is_string())
    throw bad_field(field, "a string");
  return body[field].get<std::string>();
}

BasisPoints percent_field(const Json& value, const char* field) {
  if (value.is_number()) {
    double percent = value.get<double>();
    double points = percent * 100;
    auto rounded = std::llround(points);
    if (!(percent >= 0) || std::abs(points - static_cast<double>(rounded)) > 1e-6 ||
        rounded > 10000)
      throw bad_field(field, "a percentage from 0 to 100 in steps of 0.01");
    return static_cast<BasisPoints>(rounded);
  }
  if (value.is_string())
    return parse_percent(value.get<std::string>(), field);
  throw bad_field(field, "a percentage from 0 to 100 in steps of 0.01");
}

UploadRequest release_request(const std::string& app, const Json& body) {
  UploadRequest request;
  request.app = app;
  request.platform = optional_text(body, "platform");
  request.version = optional_text(body, "version");
  if (request.platform.empty())
    throw usage_error("'platform' is required", "platform");
  if (request.version.empty())
    throw usage_error("'version' is required", "version");
  request.file_name = optional_text(body, "file_name");
  request.kind = optional_text(body, "kind");
  request.min_app_version = optional_text(body, "min_app_version");
  request.max_app_version = optional_text(body, "max_app_version");
  request.notes = optional_text(body, "notes");
  request.mandatory = boolean_field(body, "mandatory");
  if (body.contains("percent") && !body["percent"].is_null())
    request.percent = percent_field(body["percent"], "percent");
  request.whitelist = text_list(body, "whitelist", max_devices_per_request);
  request.rules = text_list(body, "rules", 64);
  request.window = window_field(body);
  request.draft = boolean_field(body, "draft");
  request.if_absent = boolean_field(body, "if_absent");
  return request;
}

LifecycleChange rollout_request(const Json& body) {
  LifecycleChange change;
  change.action = LifecycleChange::Action::rollout;
  change.window = window_field(body);
  if (body.contains("percent") && !body["percent"].is_null())
    change.percent = percent_field(body["percent"], "percent");
  if (!change.window && !change.percent)
    throw usage_error("a rollout needs 'percent' or 'window'", "percent");
  return change;
}

std::vector<std::string> device_list(const Json& body) {
  if (!body.contains("devices"))
    throw usage_error("'devices' is required", "devices");
  auto devices = text_list(body, "devices", max_devices_per_request);
  for (const auto& device : devices)
    check_device_id(device, "devices");
  return devices;
}

TokenRequest token_request(const Json& body) {
  TokenRequest request;
  request.name = optional_text(body, "name");
  request.scope =
      parse_scope(optional_text(body, "scope").empty() ? "read" : optional_text(body, "scope"));
  auto expires = optional_text(body, "expires_at");
  if (!expires.empty())
    request.expires_at = parse_time(expires, "expires_at");
  return request;
}

Device device_of(const Json& body) {
  Device device;
  device.id = optional_text(body, "id");
  device.app_version = optional_text(body, "app_version");
  device.os_version = optional_text(body, "os_version");
  device.model = optional_text(body, "model");
  device.region = optional_text(body, "region");
  device.network = optional_text(body, "network");
  return device;
}

}  // namespace mpaas::platform::server
