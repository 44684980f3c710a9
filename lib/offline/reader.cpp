// Streaming .amr reader (see reader.hpp).
#include "mpaas/offline/reader.hpp"

#include "mpaas/core/error.hpp"
#include "mpaas/core/sha256.hpp"

namespace mpaas::offline {
namespace {

// Hashes everything it is fed three ways: SHA-1 and SHA-256 for signatures, the latter
// also shown as hex.
struct EntryHashes {
  crypto::Digest sha1{crypto::DigestKind::sha1};
  crypto::Digest sha256{crypto::DigestKind::sha256};
  uint64_t size = 0;
  void update(const char* data, size_t length) {
    sha1.update(data, length);
    sha256.update(data, length);
    size += length;
  }
};

std::string read_small(archive::Reader& reader, const std::string& name, EntryHashes& hashes) {
  std::string text;
  reader.read_all([&](const char* data, size_t size) {
    if (text.size() + size > max_small_member)
      throw invalid_input("member is too large (" + name + ")");
    text.append(data, size);
    hashes.update(data, size);
  });
  return text;
}

void read_tar_members(archive::Reader& outer, EntryHashes& hashes, const std::string& label,
                      const ReadOptions& options, Package& package) {
  // The inner reader pulls the tar through a tap, so the envelope hashes see every byte.
  auto inner = archive::Reader::open_nested(
      outer, label, [&](const char* data, size_t size) { hashes.update(data, size); });
  archive::EntryInfo member;
  while (inner->next(member)) {
    if (options.on_member)
      options.on_member(member);
    PackageFile file{member.path, member.type, member.size, "", member.link_target};
    if (member.type == archive::EntryType::file) {
      if (options.on_file_data) {
        options.on_file_data(member, *inner);
      } else {
        Sha256 sha;
        std::string hpm;
        bool is_hpm =
            member.path == hpmfile_name || member.path == std::string("./") + hpmfile_name;
        inner->read_all([&](const char* data, size_t size) {
          sha.update(data, size);
          if (is_hpm && hpm.size() + size <= max_small_member)
            hpm.append(data, size);
        });
        file.sha256 = to_hex(sha.finish());
        if (is_hpm) {
          auto parsed = Json::parse(hpm, nullptr, false);
          package.hpmfile = parsed.is_discarded() ? Json() : parsed;
        }
      }
    }
    if (options.list_files)
      package.files.push_back(std::move(file));
  }
  // Hash the tar's trailing padding too: the signature covers the entry's every byte.
  outer.read_all([&](const char* data, size_t size) { hashes.update(data, size); });
}

}  // namespace

Package read_package(const std::filesystem::path& path, const ReadOptions& options) {
  Package package;
  auto reader = archive::Reader::open_file(path);
  package.package_size = std::filesystem::file_size(path);
  archive::EntryInfo entry;
  while (reader->next(entry)) {
    EntryHashes hashes;
    if (entry.path == manifest_name) {
      package.manifest_text = read_small(*reader, entry.path, hashes);
    } else if (entry.path == cert_name) {
      package.signatures = parse_cert_json(read_small(*reader, entry.path, hashes));
    } else if (entry.path.ends_with(".tar") && entry.type == archive::EntryType::file) {
      read_tar_members(*reader, hashes, entry.path, options, package);
    } else {
      reader->read_all([&](const char* data, size_t size) { hashes.update(data, size); });
    }
    EnvelopeEntry result;
    result.name = entry.path;
    result.size = hashes.size;
    result.sha1_digest = hashes.sha1.finish();
    result.sha256_digest = hashes.sha256.finish();
    result.sha256 = to_hex(reinterpret_cast<const uint8_t*>(result.sha256_digest.data()),
                           result.sha256_digest.size());
    package.entries.push_back(std::move(result));
  }
  if (package.manifest_text.empty()) {
    throw invalid_input("not an mPaaS package: no Manifest.xml (" + path.filename().string() + ")");
  }
  package.manifest = parse_manifest(package.manifest_text);
  return package;
}

std::vector<SignatureCheck> check_signatures(const Package& package, const crypto::Key& key) {
  std::vector<SignatureCheck> checks;
  const auto& signatures = package.signatures;
  for (const auto& entry : package.entries) {
    if (entry.name == cert_name)
      continue;
    SignatureCheck check{entry.name, "missing", ""};
    if (signatures && signatures->count(entry.name)) {
      auto raw = crypto::base64_decode(signatures->at(entry.name));
      check.state = "invalid";
      if (raw && crypto::verify_digest(key, crypto::DigestKind::sha1, entry.sha1_digest, *raw)) {
        check = {entry.name, "valid", "SHA1"};
      } else if (raw && crypto::verify_digest(key, crypto::DigestKind::sha256, entry.sha256_digest,
                                              *raw)) {
        check = {entry.name, "valid", "SHA256"};
      }
    }
    checks.push_back(check);
  }
  if (signatures) {
    for (const auto& [name, signature] : *signatures) {
      bool present = false;
      for (const auto& entry : package.entries)
        present = present || entry.name == name;
      if (!present)
        checks.push_back({name, "invalid", ""});
    }
  }
  return checks;
}

}  // namespace mpaas::offline
