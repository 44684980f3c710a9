// Streaming .amr reader (see reader.hpp).
#include "mpaas/offline/reader.hpp"

#include <algorithm>

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

// Keeps a name short enough for a one-line message (names come from the package).
std::string clipped(const std::string& text) {
  return text.size() <= 64 ? text : text.substr(0, 61) + "...";
}

[[noreturn]] void not_a_package(const std::string& why, const std::string& label) {
  throw invalid_input("not an mPaaS package: " + why + " (" + label + ")", label);
}

bool is_tar_name(const std::string& name) {
  return name.size() > 4 && name.ends_with(".tar");
}

// The mPaaS envelope: Manifest.xml, CERT.json (absent when unsigned), then one tar. Any
// other entry, a second tar, or another order is refused: a client that picks "the first
// tar" and a verifier that picks "the last" must never be able to disagree.
void check_envelope(const archive::ZipArchive& zip) {
  const auto& entries = zip.entries();
  std::vector<std::string> names;
  for (const auto& entry : entries)
    names.push_back(entry.name);
  bool has_manifest = std::find(names.begin(), names.end(), manifest_name) != names.end();
  bool has_tar = std::any_of(names.begin(), names.end(), is_tar_name);
  if (!has_manifest)
    not_a_package("no Manifest.xml", zip.label());
  if (!has_tar)
    not_a_package("no tar entry", zip.label());
  bool in_order = (names.size() == 2 && names[0] == manifest_name && is_tar_name(names[1])) ||
                  (names.size() == 3 && names[0] == manifest_name && names[1] == cert_name &&
                   is_tar_name(names[2]));
  if (!in_order) {
    std::string found;
    for (size_t i = 0; i < names.size() && i < 5; ++i)
      found += (i ? ", " : "") + clipped(names[i]);
    if (names.size() > 5)
      found += ", ...";
    not_a_package(
        "the entries must be Manifest.xml, CERT.json and one .tar in that order, not " + found,
        zip.label());
  }
}

// Pulls an entry's bytes, feeding the hashes and the caller's byte hook on the way.
class EntryPull {
 public:
  EntryPull(archive::ZipEntryStream& stream, EntryHashes& hashes, const archive::ZipEntry& entry,
            const ReadOptions& options)
      : m_stream(stream), m_hashes(hashes), m_entry(entry), m_options(options) {}
  size_t operator()(char* buffer, size_t size) {
    size_t got = m_stream.read(buffer, size);
    m_hashes.update(buffer, got);
    if (m_options.on_entry_bytes && got > 0)
      m_options.on_entry_bytes(m_entry, buffer, got);
    return got;
  }
  // Reads what is left, to the end (which checks the entry's size and CRC-32).
  void drain() {
    std::unique_ptr<char[]> buffer(new char[chunk]);
    while ((*this)(buffer.get(), chunk) > 0) {
    }
  }

 private:
  static constexpr size_t chunk = 1 << 16;
  archive::ZipEntryStream& m_stream;
  EntryHashes& m_hashes;
  const archive::ZipEntry& m_entry;
  const ReadOptions& m_options;
};

std::string read_small(EntryPull& pull, const std::string& name) {
  std::string text;
  char buffer[1 << 14];
  while (size_t got = pull(buffer, sizeof buffer)) {
    if (text.size() + got > max_small_member)
      throw invalid_input("member is too large (" + name + ")", name);
    text.append(buffer, got);
  }
  return text;
}

bool is_member(const std::string& path, const char* name) {
  return path == name || path == std::string("./") + name;
}

// Remembers where the last non-zero byte of a stream is, so that what follows the tar's
// end marker can be shown to be zero padding. Scans each chunk backwards only to its last
// non-zero byte: cheap on tar data.
struct NonZeroTracker {
  uint64_t position = 0;
  uint64_t last_nonzero_end = 0;
  void update(const char* data, size_t size) {
    for (size_t i = size; i-- > 0;) {
      if (data[i] != 0) {
        last_nonzero_end = position + i + 1;
        break;
      }
    }
    position += size;
  }
};

Json parse_json_or_null(const std::string& text) {
  auto parsed = Json::parse(text, nullptr, false);
  return parsed.is_discarded() ? Json() : parsed;
}

// Hashes a file member for the listing and keeps hpmfile.json (and an incremental
// package's incremental.json) for the verdict, up to their caps; larger ones stay null.
void read_member(archive::Reader& inner, const archive::EntryInfo& member,
                 const ReadOptions& options, Package& package, PackageFile& file) {
  if (options.on_file_data) {
    options.on_file_data(member, inner);
    return;
  }
  bool is_hpmfile = is_member(member.path, hpmfile_name);
  bool is_index =
      !package.manifest.base_version.empty() && is_member(member.path, incremental_index_name);
  bool keep = is_hpmfile || is_index;
  if (!keep && !options.list_files)
    return;  // libarchive skips the data (still pulled, so still hashed for the signature)
  size_t cap = is_hpmfile ? max_small_member : max_incremental_index;
  Sha256 sha;
  std::string text;
  bool too_large = false;
  inner.read_all([&](const char* data, size_t size) {
    if (options.list_files)
      sha.update(data, size);
    if (!keep || too_large)
      return;
    too_large = text.size() + size > cap;
    if (too_large)
      text.clear();
    else
      text.append(data, size);
  });
  if (options.list_files)
    file.sha256 = to_hex(sha.finish());
  if (is_hpmfile) {
    ++package.hpmfile_members;
    package.hpmfile = too_large ? Json() : parse_json_or_null(text);
  } else if (is_index) {
    ++package.incremental_index_members;
    package.incremental_index = too_large ? Json() : parse_json_or_null(text);
  }
}

void read_tar_members(EntryPull& pull, const archive::ZipEntry& entry, const ReadOptions& options,
                      Package& package) {
  NonZeroTracker tracker;
  auto inner = archive::Reader::open_tar_stream(
      [&](char* buffer, size_t size) {
        size_t got = pull(buffer, size);
        tracker.update(buffer, got);
        return got;
      },
      entry.name);
  archive::EntryInfo member;
  while (inner->next(member)) {
    if (options.on_member)
      options.on_member(member);
    PackageFile file{member.path, member.type, member.size, "", member.link_target};
    if (member.type == archive::EntryType::file)
      read_member(*inner, member, options, package, file);
    if (options.list_files)
      package.files.push_back(std::move(file));
  }
  // The tar ends at its end marker; the entry may go on only with a record's zero padding.
  // The length is known before inflating any of it; the zeros are checked as they come.
  uint64_t end = inner->consumed();
  if (entry.size > end && entry.size - end > max_tar_padding) {
    throw invalid_input("data after the end of the tar: " + std::to_string(entry.size - end) +
                            " bytes (" + entry.name + ")",
                        entry.name);
  }
  pull.drain();
  if (tracker.last_nonzero_end > end) {
    throw invalid_input("data after the end of the tar (" + entry.name + ")", entry.name);
  }
}

EnvelopeEntry finished_entry(const std::string& name, EntryHashes& hashes) {
  EnvelopeEntry result;
  result.name = name;
  result.size = hashes.size;
  result.sha1_digest = hashes.sha1.finish();
  result.sha256_digest = hashes.sha256.finish();
  result.sha256 = to_hex(reinterpret_cast<const uint8_t*>(result.sha256_digest.data()),
                         result.sha256_digest.size());
  return result;
}

}  // namespace

Package read_package(const std::filesystem::path& path, const ReadOptions& options) {
  return read_package(std::make_shared<archive::FileSource>(path), path.filename().string(),
                      options);
}

Package read_package(std::shared_ptr<const archive::ByteSource> source, const std::string& label,
                     const ReadOptions& options) {
  Package package;
  package.package_size = source->size();
  archive::ZipLimits limits;
  limits.max_entries = 16;  // three belong; a few more get the clearer envelope message
  archive::ZipArchive zip(std::move(source), label, limits);
  check_envelope(zip);
  const auto& entries = zip.entries();
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& entry = entries[i];
    EntryHashes hashes;
    auto stream = zip.open(i);
    EntryPull pull(*stream, hashes, entry, options);
    if (entry.name == manifest_name) {
      // First by the envelope rule, so the manifest is known before the tar is read.
      package.manifest_text = read_small(pull, entry.name);
      package.manifest = parse_manifest(package.manifest_text);
    } else if (entry.name == cert_name) {
      package.signatures = parse_cert_json(read_small(pull, entry.name));
    } else {
      package.tar_entry = entry.name;
      read_tar_members(pull, entry, options, package);
    }
    package.entries.push_back(finished_entry(entry.name, hashes));
  }
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
