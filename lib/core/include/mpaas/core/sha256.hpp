// Streaming SHA-256 (GNU Nettle), and hex helpers.
// Feed any number of chunks with update(), then take the digest once with finish().
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

struct sha256_ctx;  // Nettle's state, kept opaque so that users need no Nettle headers

namespace mpaas {

using Sha256Digest = std::array<uint8_t, 32>;

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  Sha256Digest finish();

 private:
  std::unique_ptr<sha256_ctx> m_context;
};

Sha256Digest sha256_of(std::string_view data);
Sha256Digest sha256_of_file(const std::filesystem::path& path);
std::string to_hex(const uint8_t* data, size_t size);
std::string to_hex(const Sha256Digest& digest);

}  // namespace mpaas
