// SHA-256 through GNU Nettle (see sha256.hpp). Nettle rather than OpenSSL's EVP: it needs no
// library initialisation (OpenSSL reads its configuration and loads a provider on first use,
// several milliseconds that a `release check` or a bucket over a million devices would pay),
// and it uses the CPU's SHA instructions like OpenSSL does.
#include "mpaas/core/sha256.hpp"

#include <nettle/sha2.h>

#include <fstream>
#include <vector>

#include "mpaas/core/error.hpp"

namespace mpaas {

Sha256::Sha256() : m_context(std::make_unique<sha256_ctx>()) {
  sha256_init(m_context.get());
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t size) {
  sha256_update(m_context.get(), size, static_cast<const uint8_t*>(data));
}

Sha256Digest Sha256::finish() {
  Sha256Digest digest{};
  sha256_digest(m_context.get(), digest.size(), digest.data());
  return digest;
}

Sha256Digest sha256_of(std::string_view data) {
  Sha256 hasher;
  hasher.update(data);
  return hasher.finish();
}

Sha256Digest sha256_of_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw not_found("cannot open (" + path.string() + ")");
  }
  Sha256 hasher;
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hasher.update(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  return hasher.finish();
}

std::string to_hex(const uint8_t* data, size_t size) {
  static const char digits[] = "0123456789abcdef";
  std::string hex(size * 2, '0');
  for (size_t i = 0; i < size; ++i) {
    hex[2 * i] = digits[data[i] >> 4];
    hex[2 * i + 1] = digits[data[i] & 0xf];
  }
  return hex;
}

std::string to_hex(const Sha256Digest& digest) {
  return to_hex(digest.data(), digest.size());
}

}  // namespace mpaas
