// The .mphf container and its JSON header (see bundle.hpp, docs/hotfix.md).
#include "mpaas/hotfix/bundle.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>

#include "mpaas/core/error.hpp"
#include "mpaas/core/sha256.hpp"

namespace mpaas::hotfix {
namespace {

constexpr size_t fixed_prefix = 4 + 1 + 4;  // magic, version, header length

[[noreturn]] void malformed(const std::string& what, const std::string& name) {
  throw invalid_input("hot-fix bundle is malformed: " + what + " (" + name + ")", name);
}

void put_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

uint64_t get_le(std::string_view bytes, size_t at, int count) {
  uint64_t value = 0;
  for (int i = count - 1; i >= 0; --i)
    value = (value << 8) | static_cast<uint8_t>(bytes[at + static_cast<size_t>(i)]);
  return value;
}

Json block_json(const std::optional<Block>& block) {
  if (!block)
    return nullptr;
  return Json{{"offset", block->offset}, {"length", block->length}};
}

Json id_json(const FileId& id) {
  return Json{{"sha256", id.sha256}, {"size", id.size}};
}

// An entry, its fields at their defaults left out (most entries of a fix are unchanged:
// content "same" from the same name, packing "copy").
Json entry_json(const Entry& entry) {
  if (entry.run_count > 0)
    return Json{{"copy", {{"from", entry.run_from}, {"count", entry.run_count}}}};
  Json json{{"name", entry.name}};
  if (entry.content != Content::same)
    json["content"] = content_name(entry.content);
  if (entry.from != entry.name && !entry.from.empty())
    json["from"] = entry.from;
  json["id"] = id_json(entry.id);
  if (entry.patch)
    json["patch"] = block_json(entry.patch);
  if (entry.packing != Packing::copy)
    json["packing"] = packing_name(entry.packing);
  if (entry.packing == Packing::deflate)
    json["level"] = entry.level;
  if (!entry.packed_from.empty())
    json["packed_from"] = entry.packed_from;
  if (entry.packed_patch)
    json["packed_patch"] = block_json(entry.packed_patch);
  json["packed_size"] = entry.packed_size;
  json["header_size"] = entry.header_size;
  if (entry.trailer_size != 0)
    json["trailer_size"] = entry.trailer_size;
  return json;
}

// ---- reading the header: every field checked ----

class HeaderReader {
 public:
  HeaderReader(uint64_t payload_size, const std::string& name)
      : m_payload(payload_size), m_name(name) {}

  const Json& field(const Json& object, const char* key, const std::string& where) const {
    if (!object.is_object() || !object.contains(key))
      malformed(where + " has no \"" + key + "\"", m_name);
    return object[key];
  }

  // An entry field left out when it has its default value.
  bool has(const Json& object, const char* key) const {
    return object.contains(key) && !object[key].is_null();
  }

  std::string text(const Json& object, const char* key, const std::string& where,
                   size_t longest = max_name_length) const {
    const Json& value = field(object, key, where);
    if (!value.is_string() || value.get_ref<const std::string&>().size() > longest)
      malformed(
          where + "." + key + " is not a string of at most " + std::to_string(longest) + " bytes",
          m_name);
    return value.get<std::string>();
  }

  uint64_t number(const Json& object, const char* key, const std::string& where,
                  uint64_t largest = uint64_t{1} << 62) const {
    const Json& value = field(object, key, where);
    if (!value.is_number_unsigned() || value.get<uint64_t>() > largest)
      malformed(where + "." + key + " is not a number up to " + std::to_string(largest), m_name);
    return value.get<uint64_t>();
  }

  FileId id(const Json& object, const char* key, const std::string& where) const {
    const Json& value = field(object, key, where);
    FileId id{text(value, "sha256", where + "." + key, 64),
              number(value, "size", where + "." + key)};
    if (id.sha256.size() != 64 ||
        id.sha256.find_first_not_of("0123456789abcdef") != std::string::npos)
      malformed(where + "." + key + ".sha256 is not 64 lowercase hex digits", m_name);
    return id;
  }

  std::optional<Block> block(const Json& object, const char* key, const std::string& where,
                             bool required) const {
    static const Json absent;
    const Json& value = object.contains(key) ? object[key] : absent;
    if (value.is_null()) {
      if (required)
        malformed(where + "." + key + " is missing", m_name);
      return std::nullopt;
    }
    Block block{number(value, "offset", where + "." + key),
                number(value, "length", where + "." + key)};
    if (block.offset > m_payload || block.length > m_payload - block.offset)
      malformed(where + "." + key + " lies outside the payload", m_name);
    return block;
  }

  Entry entry(const Json& value, size_t index) const {
    std::string where = "entries[" + std::to_string(index) + "]";
    Entry entry;
    if (value.is_object() && value.contains("copy")) {
      const Json& run = value["copy"];
      entry.run_from = number(run, "from", where + ".copy", max_entries);
      entry.run_count = number(run, "count", where + ".copy", max_entries);
      if (entry.run_count == 0)
        malformed(where + ".copy.count is 0", m_name);
      return entry;
    }
    entry.name = text(value, "name", where);
    if (entry.name.empty())
      malformed(where + ".name is empty", m_name);
    auto content = has(value, "content") ? text(value, "content", where, 16) : "same";
    if (content == "same")
      entry.content = Content::same;
    else if (content == "delta")
      entry.content = Content::delta;
    else if (content == "added")
      entry.content = Content::added;
    else if (content == "inflated")
      entry.content = Content::inflated;
    else
      malformed(where + ".content is not same, delta, added or inflated", m_name);
    entry.from = has(value, "from") ? text(value, "from", where) : entry.name;
    entry.id = id(value, "id", where);
    bool patched = entry.content == Content::delta || entry.content == Content::added;
    entry.patch = block(value, "patch", where, patched);
    auto packing = has(value, "packing") ? text(value, "packing", where, 16) : "copy";
    if (packing == "copy")
      entry.packing = Packing::copy;
    else if (packing == "stored")
      entry.packing = Packing::stored;
    else if (packing == "deflate")
      entry.packing = Packing::deflate;
    else if (packing == "verbatim")
      entry.packing = Packing::verbatim;
    else
      malformed(where + ".packing is not copy, stored, deflate or verbatim", m_name);
    if (entry.packing == Packing::deflate)
      entry.level = static_cast<int>(number(value, "level", where, 9));
    if (entry.packing == Packing::deflate && entry.level < 1)
      malformed(where + ".level is not 1 to 9", m_name);
    if (has(value, "packed_from"))
      entry.packed_from = text(value, "packed_from", where);
    entry.packed_patch = block(value, "packed_patch", where, entry.packing == Packing::verbatim);
    entry.packed_size = number(value, "packed_size", where);
    entry.header_size = number(value, "header_size", where, 65536 + 30 + 2 * max_name_length);
    if (has(value, "trailer_size"))
      entry.trailer_size = number(value, "trailer_size", where, 24);
    if (entry.content == Content::inflated && entry.packing != Packing::verbatim)
      malformed(where + " is inflated from packed bytes that are not verbatim", m_name);
    return entry;
  }

 private:
  uint64_t m_payload;
  const std::string& m_name;
};

std::string algorithm_of(const crypto::Key& key) {
  auto type = key.type_name();
  if (type == "ED25519")
    return "ed25519";
  if (type == "EC-P256")
    return "ecdsa-p256-sha256";
  if (key.is_rsa())
    return "rsa-pkcs1-sha256";
  throw usage_error("hot-fix bundles are signed with Ed25519, ECDSA P-256 or RSA keys, not " + type,
                    "key");
}

// What is signed: the SHA-256 of the bundle up to its signature block, as a 32-byte
// message (hashed again by RSA and ECDSA, as their schemes do).
std::string signed_digest(std::string_view bytes, uint64_t signed_size) {
  auto digest = sha256_of(bytes.substr(0, static_cast<size_t>(signed_size)));
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

}  // namespace

const char* content_name(Content content) {
  switch (content) {
    case Content::same:
      return "same";
    case Content::delta:
      return "delta";
    case Content::added:
      return "added";
    case Content::inflated:
      return "inflated";
  }
  return "same";
}

const char* packing_name(Packing packing) {
  switch (packing) {
    case Packing::copy:
      return "copy";
    case Packing::stored:
      return "stored";
    case Packing::deflate:
      return "deflate";
    case Packing::verbatim:
      return "verbatim";
  }
  return "copy";
}

Json header_json(const Bundle& bundle) {
  Json header;
  header["format"] = "mphf";
  header["kind"] = bundle.kind;
  header["base"] = id_json(bundle.base);
  header["target"] = id_json(bundle.target);
  header["app_versions"] = bundle.app_versions;
  header["notes"] = bundle.notes;
  header["file_patch"] = block_json(bundle.file_patch);
  header["skeleton_patch"] = block_json(bundle.skeleton_patch);
  header["entries"] = Json::array();
  for (const auto& entry : bundle.entries)
    header["entries"].push_back(entry_json(entry));
  header["deleted"] = bundle.deleted;
  return header;
}

Bundle bundle_from_header(const Json& header, uint64_t payload_size, const std::string& name) {
  HeaderReader read(payload_size, name);
  Bundle bundle;
  if (read.text(header, "format", "header", 16) != "mphf")
    malformed("header.format is not \"mphf\"", name);
  bundle.kind = read.text(header, "kind", "header", 16);
  if (bundle.kind != "file" && bundle.kind != "archive")
    malformed("header.kind is not file or archive", name);
  bundle.base = read.id(header, "base", "header");
  bundle.target = read.id(header, "target", "header");
  bundle.app_versions = read.text(header, "app_versions", "header", 200);
  bundle.notes = read.text(header, "notes", "header", 65536);
  bundle.payload_size = payload_size;
  bool archive = bundle.kind == "archive";
  bundle.file_patch = read.block(header, "file_patch", "header", !archive);
  bundle.skeleton_patch = read.block(header, "skeleton_patch", "header", archive);
  const Json& entries = read.field(header, "entries", "header");
  const Json& deleted = read.field(header, "deleted", "header");
  if (!entries.is_array() || entries.size() > max_entries || !deleted.is_array() ||
      deleted.size() > max_entries)
    malformed(
        "header.entries or header.deleted is not a list of at most " + std::to_string(max_entries),
        name);
  if (!archive && (!entries.empty() || !deleted.empty()))
    malformed("a file bundle lists entries", name);
  uint64_t listed = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    bundle.entries.push_back(read.entry(entries[i], i));
    listed += std::max<uint64_t>(1, bundle.entries.back().run_count);
    if (listed > max_entries)
      malformed("header.entries name more than " + std::to_string(max_entries) + " entries", name);
  }
  for (const auto& each : deleted) {
    if (!each.is_string() || each.get_ref<const std::string&>().size() > max_name_length)
      malformed("header.deleted holds something other than names", name);
    bundle.deleted.push_back(each.get<std::string>());
  }
  return bundle;
}

std::string encode_bundle(const Bundle& bundle, const std::string& payload,
                          const std::optional<crypto::Key>& key) {
  std::string header = header_json(bundle).dump();
  std::string out(bundle_magic, 4);
  out.push_back(static_cast<char>(bundle_version));
  put_le(out, header.size(), 4);
  out += header;
  put_le(out, payload.size(), 8);
  out += payload;
  if (!key) {
    put_le(out, 0, 4);
    return out;
  }
  std::string digest = signed_digest(out, out.size());
  crypto::Signer signer(*key, crypto::DigestKind::sha256);
  signer.update(digest);
  Json block{{"algorithm", algorithm_of(*key)},
             {"signer", crypto::fingerprint(*key)},
             {"signature", crypto::base64_encode(signer.finish())}};
  std::string text = block.dump();
  put_le(out, text.size(), 4);
  out += text;
  return out;
}

ReadBundle read_bundle(std::string_view bytes, const std::string& name) {
  if (bytes.size() < fixed_prefix || std::memcmp(bytes.data(), bundle_magic, 4) != 0)
    throw invalid_input("not a hot-fix bundle: no MPHF magic (" + name + ")", name);
  if (static_cast<uint8_t>(bytes[4]) != bundle_version)
    throw invalid_input("hot-fix bundle version " + std::to_string(static_cast<uint8_t>(bytes[4])) +
                            " is not one this mpaas reads (" + name + ")",
                        name);
  uint64_t header_size = get_le(bytes, 5, 4);
  if (header_size > max_header_size || header_size > bytes.size() - fixed_prefix)
    malformed("the header runs past the end", name);
  uint64_t at = fixed_prefix + header_size;
  if (bytes.size() - at < 8)
    malformed("the payload length is missing", name);
  uint64_t payload_size = get_le(bytes, static_cast<size_t>(at), 8);
  at += 8;
  if (payload_size > bytes.size() - at)
    malformed("the payload runs past the end", name);
  ReadBundle read;
  read.payload_offset = at;
  at += payload_size;
  if (bytes.size() - at < 4)
    malformed("the signature length is missing", name);
  uint64_t signature_size = get_le(bytes, static_cast<size_t>(at), 4);
  uint64_t signed_size = at;
  at += 4;
  if (signature_size > max_signature_size || signature_size != bytes.size() - at)
    malformed("the signature block does not end the file", name);

  Json header =
      Json::parse(bytes.substr(fixed_prefix, static_cast<size_t>(header_size)), nullptr, false);
  if (header.is_discarded() || !header.is_object())
    malformed("the header is not a JSON object", name);
  read.bundle = bundle_from_header(header, payload_size, name);
  read.bundle.signed_size = signed_size;
  if (signature_size > 0) {
    Json block = Json::parse(bytes.substr(static_cast<size_t>(at)), nullptr, false);
    HeaderReader fields(0, name);
    if (block.is_discarded() || !block.is_object())
      malformed("the signature block is not a JSON object", name);
    Signature signature;
    signature.algorithm = fields.text(block, "algorithm", "signature", 32);
    signature.signer = fields.text(block, "signer", "signature", 128);
    auto decoded = crypto::base64_decode(fields.text(block, "signature", "signature", 4096));
    if (!decoded)
      malformed("the signature is not base64", name);
    signature.bytes = *decoded;
    read.bundle.signature = signature;
  }
  return read;
}

bool is_bundle_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  return in.gcount() == 4 && std::memcmp(magic, bundle_magic, 4) == 0;
}

Bundle read_bundle_header(const std::filesystem::path& file, const std::string& name) {
  std::ifstream in(file, std::ios::binary);
  std::error_code error;
  uint64_t size = std::filesystem::file_size(file, error);
  std::string prefix(fixed_prefix, '\0');
  in.read(prefix.data(), fixed_prefix);
  if (error || in.gcount() != static_cast<std::streamsize>(fixed_prefix) ||
      std::memcmp(prefix.data(), bundle_magic, 4) != 0)
    throw invalid_input("not a hot-fix bundle: no MPHF magic (" + name + ")", name);
  if (static_cast<uint8_t>(prefix[4]) != bundle_version)
    throw invalid_input("hot-fix bundle version " +
                            std::to_string(static_cast<uint8_t>(prefix[4])) +
                            " is not one this mpaas reads (" + name + ")",
                        name);
  uint64_t header_size = get_le(prefix, 5, 4);
  if (header_size > max_header_size || header_size + fixed_prefix + 12 > size)
    malformed("the header runs past the end", name);
  std::string header_and_length(static_cast<size_t>(header_size) + 8, '\0');
  in.read(header_and_length.data(), static_cast<std::streamsize>(header_and_length.size()));
  uint64_t payload_size = get_le(header_and_length, static_cast<size_t>(header_size), 8);
  if (payload_size > size - fixed_prefix - header_size - 12)
    malformed("the payload runs past the end", name);
  Json header =
      Json::parse(std::string_view(header_and_length).substr(0, static_cast<size_t>(header_size)),
                  nullptr, false);
  if (header.is_discarded() || !header.is_object())
    malformed("the header is not a JSON object", name);
  return bundle_from_header(header, payload_size, name);
}

std::optional<std::pair<std::string, std::string>> app_version_range(const std::string& text) {
  if (text.empty())
    return std::nullopt;
  auto is_version = [](std::string_view v) {
    int parts = 0;
    size_t digits = 0;
    for (char c : v) {
      if (c == '.') {
        if (digits == 0)
          return false;
        ++parts;
        digits = 0;
      } else if (c >= '0' && c <= '9' && ++digits <= 9) {
        continue;
      } else {
        return false;
      }
    }
    return digits > 0 && parts <= 3;
  };
  auto dots = text.find("..");
  std::string low = text.substr(0, dots);
  std::string high = dots == std::string::npos ? low : text.substr(dots + 2);
  if (!is_version(low) || !is_version(high))
    throw usage_error("invalid app version range '" + text.substr(0, 40) +
                          "': a version (1.2.0) or MIN..MAX (1.2.0..1.2.9)",
                      "app version");
  return std::pair{low, high};
}

void verify_signature(std::string_view bytes, const ReadBundle& read, const crypto::Key& key,
                      const std::string& name) {
  const auto& signature = read.bundle.signature;
  if (!signature)
    throw verification_failed("the hot-fix bundle is not signed (" + name + ")", name);
  auto expected = crypto::fingerprint(key);
  if (signature->signer != expected)
    throw verification_failed("the hot-fix bundle is signed by " + signature->signer +
                                  ", not by the key given (" + expected + ") (" + name + ")",
                              name);
  if (signature->algorithm != algorithm_of(key) ||
      !crypto::verify_message(key, crypto::DigestKind::sha256,
                              signed_digest(bytes, read.bundle.signed_size), signature->bytes))
    throw verification_failed(
        "the hot-fix bundle's signature does not verify: it was changed "
        "after signing (" +
            name + ")",
        name);
}

}  // namespace mpaas::hotfix
