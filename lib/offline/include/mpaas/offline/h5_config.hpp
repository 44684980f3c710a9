// The preset configuration (h5_json.json) that mPaaS apps read at start-up to install
// packages bundled with the app: a `config` object and one `data[]` entry per package
// (app_id, version, package_url, main_url, vhost, fallback_base_url, auto_install,
// install_type), read from each package's manifest and hpmfile.json.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "mpaas/core/output.hpp"

namespace mpaas::offline {

// Throws conflict when two packages carry the same app id.
Json h5_config(const std::vector<std::filesystem::path>& packages, const std::string& base_url);

}  // namespace mpaas::offline
