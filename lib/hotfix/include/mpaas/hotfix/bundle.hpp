// The hot-fix bundle (.mphf, docs/hotfix.md): what turns one build (the base) into another
// (the target), signed. A bundle is a 4-byte magic "MPHF", a version byte, a JSON header
// (what to do), a payload (mpd patches the header points into) and a signature over
// everything before it. Plain data in and out; reading treats the bundle as hostile: every
// length, offset, name and count is checked before it is used.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mpaas/core/output.hpp"
#include "mpaas/crypto/keys.hpp"

namespace mpaas::hotfix {

inline constexpr char bundle_magic[4] = {'M', 'P', 'H', 'F'};
inline constexpr uint8_t bundle_version = 1;
inline constexpr uint64_t max_header_size = uint64_t{16} << 20;
inline constexpr uint64_t max_signature_size = 64 << 10;
inline constexpr size_t max_entries = 65535;
inline constexpr size_t max_name_length = 4096;

// A whole file or an archive entry's uncompressed content.
struct FileId {
  std::string sha256;  // lowercase hex
  uint64_t size = 0;
};

// Bytes of the payload: an mpd patch (docs/formats.md).
struct Block {
  uint64_t offset = 0;
  uint64_t length = 0;
};

// Where an entry's uncompressed content comes from.
enum class Content {
  same,      // the base entry `from`, as it is (unchanged, or renamed)
  delta,     // `patch` applied to the base entry `from`
  added,     // `patch` applied to nothing (a new entry)
  inflated,  // the entry's packed bytes inflated (verbatim packing: no second copy travels)
};

// How the entry's bytes in the archive are made from its content.
enum class Packing {
  copy,      // the base entry `from`'s compressed bytes, as they are
  stored,    // the content as it is (ZIP method 0)
  deflate,   // the content deflated by zlib at `level` (raw deflate, window 15, memLevel 8)
  verbatim,  // the target's compressed bytes: `packed_patch` applied to the compressed bytes
             // of the base entry `packed_from` (or to nothing when that is empty)
};

struct Entry {
  // A run of base entries copied as they are (run_count > 0): target entries that are the
  // base entries run_from, run_from + 1, ... with the same names, contents, compressed bytes
  // and header sizes. Most of a fix's entries travel this way, in a few bytes per run; the
  // fields below are then unused.
  uint64_t run_from = 0, run_count = 0;
  std::string name;
  Content content = Content::same;
  std::string from;  // base entry name (same, delta; copy packing)
  FileId id;         // of the uncompressed content
  std::optional<Block> patch;
  Packing packing = Packing::copy;
  int level = 0;  // deflate
  std::string packed_from;
  std::optional<Block> packed_patch;
  uint64_t packed_size = 0;   // bytes of the entry's data in the archive
  uint64_t header_size = 0;   // its local header, in the skeleton
  uint64_t trailer_size = 0;  // its data descriptor, in the skeleton (0: none)
};

struct Signature {
  std::string algorithm;  // "ed25519", "ecdsa-p256-sha256", "rsa-pkcs1-sha256"
  std::string signer;     // the key's fingerprint ("SHA256:...")
  std::string bytes;      // raw signature
};

struct Bundle {
  std::string kind = "file";  // "file" or "archive"
  FileId base, target;
  std::string app_versions;  // the base builds' app versions ("1.2.0", ">=1.2.0 <1.3.0"); "" any
  std::string notes;
  // file: the mpd patch from base to target.
  std::optional<Block> file_patch;
  // archive: the target's entries in order, the base entries it no longer has, and the mpd
  // patch from the base's skeleton (every byte but entry data) to the target's.
  std::vector<Entry> entries;
  std::vector<std::string> deleted;
  std::optional<Block> skeleton_patch;
  uint64_t payload_size = 0;
  std::optional<Signature> signature;
  uint64_t signed_size = 0;  // bytes the signature covers (the file up to the signature)
};

// The header as JSON (docs/hotfix.md), and back; from_header_json refuses (invalid_input
// naming `name`) anything out of shape or out of bounds against the payload.
Json header_json(const Bundle& bundle);
Bundle bundle_from_header(const Json& header, uint64_t payload_size, const std::string& name);

// The whole file: magic, version, header, payload, then the signature block (signed by
// `key` when given, over the SHA-256 of everything before the block).
std::string encode_bundle(const Bundle& bundle, const std::string& payload,
                          const std::optional<crypto::Key>& key);

// A parsed bundle and where its payload starts in the file.
struct ReadBundle {
  Bundle bundle;
  uint64_t payload_offset = 0;
};
// Reads and checks the container and header of `bytes` (the whole file).
ReadBundle read_bundle(std::string_view bytes, const std::string& name);

// Checks the signature against `key`: verification_failed (exit 4) for an unsigned bundle,
// another signer or a bad signature.
void verify_signature(std::string_view bytes, const ReadBundle& read, const crypto::Key& key,
                      const std::string& name);

// The header of a bundle file, read without its payload (a platform storing the bundle as a
// release artifact needs its base and app versions only); the container's lengths are
// checked against the file's size, the signature is not read.
Bundle read_bundle_header(const std::filesystem::path& file, const std::string& name);

// Whether a file starts with the bundle magic.
bool is_bundle_file(const std::filesystem::path& file);

// `app_versions` as an inclusive range: "1.2.0" is {1.2.0, 1.2.0}, "1.2.0..1.2.9" is
// {1.2.0, 1.2.9}; "" is none. usage_error naming "app version" for anything else (versions
// are 1 to 4 numbers separated by dots).
std::optional<std::pair<std::string, std::string>> app_version_range(const std::string& text);

const char* content_name(Content content);
const char* packing_name(Packing packing);

}  // namespace mpaas::hotfix
