// JSON forms and text layouts of the config results (see config_report.hpp).
#include "mpaas/core/config_report.hpp"

namespace mpaas {

ConfigEntry shown_entry(ConfigEntry entry, bool reveal) {
  if (!reveal && is_secret_key(entry.key))
    entry.value.value = mask_secret(entry.value.value);
  return entry;
}

Json to_json(const ConfigEntry& entry) {
  return {{"key", entry.key}, {"value", entry.value.value}, {"source", entry.value.source}};
}

TextLayout text_layout(const ConfigEntry&) {
  return TextLayout::bare("value");
}

Json to_json(const ConfigListing& listing) {
  Json rows = Json::array();
  for (const auto& entry : listing.entries)
    rows.push_back(to_json(entry));
  return rows;
}

TextLayout text_layout(const ConfigListing&) {
  return TextLayout::table({{"key", "key"}, {"value", "value"}, {"source", "source"}});
}

Json to_json(const ConfigPaths& paths) {
  return {{"user_config", paths.user_config.string()},
          {"project_file", paths.project_file ? Json(paths.project_file->string()) : Json()},
          {"data_dir", paths.data_dir.string()},
          {"profile", paths.profile}};
}

TextLayout text_layout(const ConfigPaths&) {
  return {};
}

}  // namespace mpaas
