// Manifest.xml, CERT.json and hpmfile.json (see format.hpp).
#include "mpaas/offline/format.hpp"

#include "mpaas/core/error.hpp"

namespace mpaas::offline {
namespace {

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string xml_unescape(const std::string& text) {
  std::string out = text;
  for (auto [from, to] : {std::pair{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}}) {
    for (size_t at = out.find(from); at != std::string::npos; at = out.find(from, at + 1)) {
      out.replace(at, std::string(from).size(), to);
    }
  }
  return out;
}

std::optional<std::string> element(const std::string& xml, const std::string& tag) {
  auto open = xml.find("<" + tag + ">");
  if (open == std::string::npos)
    return std::nullopt;
  auto start = open + tag.size() + 2;
  auto close = xml.find("</" + tag + ">", start);
  if (close == std::string::npos)
    return std::nullopt;
  return xml_unescape(xml.substr(start, close - start));
}

Json support_of(const VersionRange& range) {
  return Json{{"minSDK", range.min}, {"maxSDK", range.max}, {"minOS", ""}, {"maxOS", ""}};
}

}  // namespace

std::string tar_name(const std::string& id) {
  return id + ".tar";
}

std::string manifest_xml(const Manifest& manifest) {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<package>\n  <uid>" +
         xml_escape(manifest.uid) + "</uid>\n  <name>" + xml_escape(manifest.name) +
         "</name>\n  <version>" + xml_escape(manifest.version) + "</version>\n" +
         (manifest.base_version.empty()
              ? std::string()
              : "  <type>incremental</type>\n  <base_version>" + xml_escape(manifest.base_version) +
                    "</base_version>\n") +
         "</package>\n";
}

Manifest parse_manifest(const std::string& xml) {
  Manifest manifest;
  auto uid = element(xml, "uid");
  auto name = element(xml, "name");
  auto version = element(xml, "version");
  if (!uid || !version)
    throw invalid_input("no <uid> or <version> in the manifest (Manifest.xml)");
  manifest.uid = *uid;
  manifest.name = name.value_or("");
  manifest.version = *version;
  manifest.base_version = element(xml, "base_version").value_or("");
  return manifest;
}

std::string cert_json(const std::map<std::string, std::string>& signatures) {
  Json object = Json::object();
  for (const auto& [name, signature] : signatures)
    object[name] = signature;
  return object.dump() + " \n";  // the trailing " \n" is in the packages mPaaS writes
}

std::map<std::string, std::string> parse_cert_json(const std::string& text) {
  Json parsed = Json::parse(text, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    throw invalid_input("not a JSON object (CERT.json)");
  }
  std::map<std::string, std::string> signatures;
  for (const auto& [name, value] : parsed.items()) {
    if (!value.is_string())
      throw invalid_input("signature is not a string (CERT.json: " + name + ")");
    signatures[name] = value.get<std::string>();
  }
  return signatures;
}

Json hpmfile(const Settings& settings) {
  auto prefixed = [&](const std::vector<std::string>& globs) {
    Json list = Json::array();
    for (const auto& glob : globs)
      list.push_back("./" + settings.root + "/" + glob);
    return list;
  };
  Json host{{"enable", !settings.vhost.empty()}, {"online", settings.vhost}};
  return Json{{"appid", settings.id},
              {"name", settings.name},
              {"version", settings.version},
              {"author", ""},
              {"description", ""},
              {"type", settings.type},
              {"launchParams", Json{{"url", settings.main_url}}},
              {"host", host},
              {"build", Json{{"include", prefixed(settings.include)},
                             {"ignore", prefixed(settings.exclude)}}},
              {"support",
               Json{{"ios", support_of(settings.ios)}, {"android", support_of(settings.android)}}},
              {"dependencies", Json::object()}};
}

std::string hpmfile_text(const Settings& settings) {
  return hpmfile(settings).dump(2) + "\n";
}

}  // namespace mpaas::offline
