// The small text members of an .amr, byte for byte as mPaaS writes them: Manifest.xml,
// CERT.json and the hpmfile.json inside the tar. Parsers treat their input as hostile
// (bounded sizes, no entity expansion: the manifest is read with plain string search).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "mpaas/core/output.hpp"
#include "mpaas/offline/settings.hpp"

namespace mpaas::offline {

inline constexpr const char* manifest_name = "Manifest.xml";
inline constexpr const char* cert_name = "CERT.json";
inline constexpr const char* hpmfile_name = "hpmfile.json";
inline constexpr size_t max_small_member = 1 << 20;  // Manifest, CERT, hpmfile: 1 MiB at most

struct Manifest {
  std::string uid;
  std::string name;
  std::string version;
  std::string base_version;  // incremental packages only (an mpaas extension)
};

std::string tar_name(const std::string& id);  // "80000001.tar"
std::string manifest_xml(const Manifest& manifest);
// Throws invalid_input (Manifest.xml) when a field is missing.
Manifest parse_manifest(const std::string& xml);

// name -> base64 signature, written sorted and compact as observed.
std::string cert_json(const std::map<std::string, std::string>& signatures);
std::map<std::string, std::string> parse_cert_json(const std::string& text);

Json hpmfile(const Settings& settings);
std::string hpmfile_text(const Settings& settings);

}  // namespace mpaas::offline
