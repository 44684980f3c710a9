// The results of `mpaas config get`, `list` and `path` as typed values with one JSON form
// each (docs/json.md). Secret values are masked here, where the rule lives, so no caller
// can show one by forgetting to.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "mpaas/core/config.hpp"
#include "mpaas/core/output.hpp"

namespace mpaas {

// The entry as it may be shown: a secret key's value masked unless `reveal`.
ConfigEntry shown_entry(ConfigEntry entry, bool reveal);

// `config get`: {"key", "value", "source"}; text shows the bare value.
Json to_json(const ConfigEntry& entry);
TextLayout text_layout(const ConfigEntry& entry);

// `config list`: an array of entries; text is a table.
struct ConfigListing {
  std::vector<ConfigEntry> entries;
};
Json to_json(const ConfigListing& listing);
TextLayout text_layout(const ConfigListing& listing);

// `config path`: the files and folder in use.
struct ConfigPaths {
  std::filesystem::path user_config;
  std::optional<std::filesystem::path> project_file;
  std::filesystem::path data_dir;
  std::string profile;
};
Json to_json(const ConfigPaths& paths);
TextLayout text_layout(const ConfigPaths& paths);

}  // namespace mpaas
