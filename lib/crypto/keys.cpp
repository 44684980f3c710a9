// Keys, signatures and base64 over OpenSSL 3 EVP (see keys.hpp).
#include "mpaas/crypto/keys.hpp"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>

#include "mpaas/core/error.hpp"
#include "mpaas/core/sha256.hpp"

namespace mpaas::crypto {
namespace {

EVP_PKEY* pkey_of(const Key& key) {
  return static_cast<EVP_PKEY*>(key.get());
}

const EVP_MD* md_of(DigestKind kind) {
  return kind == DigestKind::sha1 ? EVP_sha1() : EVP_sha256();
}

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

BioPtr memory_bio(const std::string& text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

struct PassphraseState {
  const PassphraseSource* source;
  bool asked = false;
  bool given = false;
};

int passphrase_callback(char* buffer, int size, int, void* user) {
  auto* state = static_cast<PassphraseState*>(user);
  state->asked = true;
  if (state->source == nullptr || !*state->source)
    return -1;
  auto passphrase = (*state->source)();
  if (!passphrase)
    return -1;
  state->given = true;
  int length = static_cast<int>(std::min<size_t>(passphrase->size(), static_cast<size_t>(size)));
  std::memcpy(buffer, passphrase->data(), static_cast<size_t>(length));
  return length;
}

bool looks_like_pem(const std::string& text) {
  return text.find("-----BEGIN ") != std::string::npos;
}

}  // namespace

void Key::free_pkey(void* pkey) {
  EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey));
}

bool Key::is_private() const {
  BIGNUM* d = nullptr;
  auto* pkey = static_cast<EVP_PKEY*>(get());
  if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_D, &d) == 1 ||
      EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1) {
    BN_clear_free(d);
    return true;
  }
  unsigned char raw[64];
  size_t length = sizeof(raw);
  return EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, raw, length, &length) == 1;
}

bool Key::is_rsa() const {
  return EVP_PKEY_is_a(static_cast<EVP_PKEY*>(get()), "RSA") == 1;
}

std::string Key::type_name() const {
  auto* pkey = static_cast<EVP_PKEY*>(get());
  if (is_rsa())
    return "RSA-" + std::to_string(EVP_PKEY_get_bits(pkey));
  if (EVP_PKEY_is_a(pkey, "ED25519") == 1)
    return "ED25519";
  if (EVP_PKEY_is_a(pkey, "EC") == 1) {
    char group[64] = {0};
    size_t length = 0;
    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &length);
    return std::string("EC-") + (std::strcmp(group, "prime256v1") == 0 ? "P256" : group);
  }
  return EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "unknown";
}

KeyType parse_key_type(const std::string& name) {
  if (name == "rsa2048")
    return KeyType::rsa2048;
  if (name == "rsa4096")
    return KeyType::rsa4096;
  if (name == "ec-p256")
    return KeyType::ec_p256;
  if (name == "ed25519")
    return KeyType::ed25519;
  throw usage_error("unknown key type '" + name + "'", "type");
}

std::string digest_name(DigestKind digest) {
  return digest == DigestKind::sha1 ? "SHA1" : "SHA256";
}

DigestKind parse_digest(const std::string& name) {
  if (name == "sha1" || name == "SHA1")
    return DigestKind::sha1;
  if (name == "sha256" || name == "SHA256")
    return DigestKind::sha256;
  throw usage_error("unknown digest '" + name + "'", "digest");
}

Key load_private_key(const std::string& pem, const std::string& label,
                     const PassphraseSource& passphrase) {
  auto bio = memory_bio(pem);
  PassphraseState state{&passphrase};
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_callback, &state);
  ERR_clear_error();
  if (pkey == nullptr) {
    if (state.asked && !state.given) {
      throw auth_error("the key is encrypted and no passphrase was given (" + label + ")");
    }
    if (state.asked)
      throw auth_error("wrong passphrase for the key (" + label + ")");
    throw invalid_input("not a PEM private key (" + label + ")");
  }
  return Key(pkey);
}

Key load_public_key(const std::string& text, const std::string& label) {
  EVP_PKEY* pkey = nullptr;
  // Both reads get a callback that refuses to give a passphrase: with none, OpenSSL would
  // prompt on /dev/tty by itself (its decoders try an encrypted private key too), even
  // with stdin redirected, and wait for an answer.
  PassphraseSource none;
  PassphraseState state{&none};
  if (looks_like_pem(text)) {
    auto bio = memory_bio(text);
    pkey = PEM_read_bio_PUBKEY(bio.get(), nullptr, passphrase_callback, &state);
    if (pkey == nullptr) {
      auto private_bio = memory_bio(text);
      pkey = PEM_read_bio_PrivateKey(private_bio.get(), nullptr, passphrase_callback, &state);
    }
  } else if (auto der = base64_decode(text)) {
    const auto* cursor = reinterpret_cast<const unsigned char*>(der->data());
    pkey = d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der->size()));
  }
  ERR_clear_error();
  if (pkey == nullptr && state.asked) {
    throw invalid_input(
        "the key is an encrypted private key; give its public key instead (" + label + ")", label);
  }
  if (pkey == nullptr)
    throw invalid_input("not a public key in PEM or base64 form (" + label + ")", label);
  return Key(pkey);
}

Key generate_key(KeyType type) {
  EVP_PKEY* pkey = nullptr;
  switch (type) {
    case KeyType::rsa2048:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048});
      break;
    case KeyType::rsa4096:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{4096});
      break;
    case KeyType::ec_p256:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
      break;
    case KeyType::ed25519:
      pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (pkey == nullptr)
    throw failure("key generation failed");
  return Key(pkey);
}

std::string private_key_pem(const Key& key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), pkey_of(key), nullptr, nullptr, 0, nullptr, nullptr);
  return bio_contents(bio.get());
}

std::string public_key_pem(const Key& key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PUBKEY(bio.get(), pkey_of(key));
  return bio_contents(bio.get());
}

std::string public_key_der(const Key& key) {
  unsigned char* der = nullptr;
  int length = i2d_PUBKEY(pkey_of(key), &der);
  if (length <= 0)
    throw failure("cannot encode the public key");
  std::string result(reinterpret_cast<char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  return result;
}

std::string public_key_base64(const Key& key) {
  return base64_encode(public_key_der(key));
}

std::string fingerprint(const Key& key) {
  return "SHA256:" + to_hex(sha256_of(public_key_der(key)));
}

Signer::Signer(const Key& key, DigestKind digest)
    : m_context(EVP_MD_CTX_new()), m_one_shot(EVP_PKEY_is_a(pkey_of(key), "ED25519") == 1) {
  auto* context = static_cast<EVP_MD_CTX*>(m_context);
  const EVP_MD* md = m_one_shot ? nullptr : md_of(digest);
  if (context == nullptr || EVP_DigestSignInit(context, nullptr, md, nullptr, pkey_of(key)) != 1) {
    ERR_clear_error();
    EVP_MD_CTX_free(context);
    throw invalid_input("the key cannot sign with " + digest_name(digest));
  }
}

Signer::~Signer() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(m_context));
}

void Signer::update(const void* data, size_t size) {
  if (m_one_shot) {
    m_buffer.append(static_cast<const char*>(data), size);
  } else {
    EVP_DigestSignUpdate(static_cast<EVP_MD_CTX*>(m_context), data, size);
  }
}

std::string Signer::finish() {
  auto* context = static_cast<EVP_MD_CTX*>(m_context);
  size_t length = 0;
  std::string signature;
  if (m_one_shot) {
    const auto* data = reinterpret_cast<const unsigned char*>(m_buffer.data());
    EVP_DigestSign(context, nullptr, &length, data, m_buffer.size());
    signature.resize(length);
    EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &length, data,
                   m_buffer.size());
  } else {
    EVP_DigestSignFinal(context, nullptr, &length);
    signature.resize(length);
    if (EVP_DigestSignFinal(context, reinterpret_cast<unsigned char*>(signature.data()), &length) !=
        1) {
      ERR_clear_error();
      throw failure("signing failed");
    }
  }
  signature.resize(length);
  return signature;
}

Digest::Digest(DigestKind kind) : m_context(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(m_context), md_of(kind), nullptr);
}

Digest::~Digest() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(m_context));
}

void Digest::update(const void* data, size_t size) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(m_context), data, size);
}

std::string Digest::finish() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(m_context), digest, &length);
  return std::string(reinterpret_cast<char*>(digest), length);
}

bool verify_digest(const Key& key, DigestKind kind, const std::string& digest,
                   const std::string& signature) {
  EVP_PKEY_CTX* context = EVP_PKEY_CTX_new(pkey_of(key), nullptr);
  bool ok = context != nullptr && EVP_PKEY_verify_init(context) == 1 &&
            EVP_PKEY_CTX_set_signature_md(context, md_of(kind)) == 1 &&
            EVP_PKEY_verify(context, reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(), reinterpret_cast<const unsigned char*>(digest.data()),
                            digest.size()) == 1;
  EVP_PKEY_CTX_free(context);
  ERR_clear_error();
  return ok;
}

bool verify_message(const Key& key, DigestKind kind, std::string_view message,
                    const std::string& signature) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  const EVP_MD* md = EVP_PKEY_is_a(pkey_of(key), "ED25519") == 1 ? nullptr : md_of(kind);
  bool ok = context != nullptr &&
            EVP_DigestVerifyInit(context, nullptr, md, nullptr, pkey_of(key)) == 1 &&
            EVP_DigestVerify(
                context, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(context);
  ERR_clear_error();
  return ok;
}

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(data.data()),
                               static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(length));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::string clean;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
      continue;
    bool valid = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '+' || c == '/' || c == '=';
    if (!valid)
      return std::nullopt;
    clean.push_back(c);
  }
  if (clean.empty() || clean.size() % 4 != 0)
    return std::nullopt;
  std::string out(clean.size() / 4 * 3, '\0');
  int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(clean.data()),
                               static_cast<int>(clean.size()));
  if (length < 0)
    return std::nullopt;
  size_t padding = 0;
  if (clean.back() == '=')
    ++padding;
  if (clean.size() > 1 && clean[clean.size() - 2] == '=')
    ++padding;
  out.resize(static_cast<size_t>(length) - padding);
  return out;
}

}  // namespace mpaas::crypto
