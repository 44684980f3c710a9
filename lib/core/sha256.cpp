// SHA-256 through OpenSSL EVP (see sha256.hpp).
#include "mpaas/core/sha256.hpp"

#include <openssl/evp.h>
#include <fstream>
#include <vector>

#include "mpaas/core/error.hpp"

namespace mpaas {

Sha256::Sha256() : m_context(EVP_MD_CTX_new()) {
  if (m_context == nullptr ||
      EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(m_context), EVP_sha256(), nullptr) != 1) {
    throw failure("cannot initialise SHA-256");
  }
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(m_context));
}

void Sha256::update(const void* data, size_t size) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(m_context), data, size);
}

Sha256Digest Sha256::finish() {
  Sha256Digest digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(m_context), digest.data(), &length);
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
