// h5_json.json generation (see h5_config.hpp).
#include "mpaas/offline/h5_config.hpp"

#include <set>

#include "mpaas/core/error.hpp"
#include "mpaas/offline/reader.hpp"
#include "mpaas/offline/settings.hpp"

namespace mpaas::offline {

Json h5_config(const std::vector<std::filesystem::path>& packages, const std::string& base_url) {
  Json data = Json::array();
  std::set<std::string> seen;
  std::string base = base_url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  for (const auto& path : packages) {
    auto package = read_package(path);
    const auto& manifest = package.manifest;
    if (!seen.insert(manifest.uid).second) {
      throw conflict("two packages have the app id " + manifest.uid + " (" +
                     path.filename().string() + ")");
    }
    std::string folder = base.empty() ? "" : base + "/" + manifest.uid + "/" + manifest.version;
    Json hpm = package.hpmfile.is_object() ? package.hpmfile : Json::object();
    std::string main_url = hpm.value("launchParams", Json::object()).value("url", "/index.html");
    std::string vhost = hpm.value("host", Json::object()).value("online", "");
    if (vhost.empty())
      vhost = default_vhost(manifest.uid);
    bool global = hpm.value("type", "normal") == "global";
    data.push_back(Json{{"app_id", manifest.uid},
                        {"name", manifest.name},
                        {"version", manifest.version},
                        {"package_url", folder.empty() ? path.filename().string()
                                                       : folder + "/" + path.filename().string()},
                        {"main_url", main_url},
                        {"vhost", vhost},
                        {"fallback_base_url", folder.empty() ? "" : folder + "/fallback/"},
                        {"auto_install", 1},
                        {"install_type", 1},
                        {"online", 1},
                        {"global_pack", global ? 1 : 0}});
  }
  return Json{{"config", Json{{"updateReqRate", 16400}, {"limitReqRate", 13600}}}, {"data", data}};
}

}  // namespace mpaas::offline
