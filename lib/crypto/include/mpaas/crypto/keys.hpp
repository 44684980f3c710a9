// Keys, signatures and base64 over OpenSSL 3 EVP only. Keys are loaded from PEM (an
// encrypted private PEM asks its passphrase through a callback) or, for public keys, from
// the one-line base64 DER form that Android apps embed. Signing and verifying stream: feed
// any number of chunks. This module never prints and never reads the environment.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mpaas::crypto {

enum class KeyType { rsa2048, rsa4096, ec_p256, ed25519 };
enum class DigestKind { sha1, sha256 };

// Parses "rsa2048", "rsa4096", "ec-p256", "ed25519"; throws usage_error otherwise.
KeyType parse_key_type(const std::string& name);
std::string digest_name(DigestKind digest);  // "SHA1", "SHA256"
DigestKind parse_digest(const std::string& name);

// An owned EVP_PKEY (kept opaque so that callers need no OpenSSL headers).
class Key {
 public:
  Key() = default;
  explicit Key(void* pkey) : m_pkey(pkey, &free_pkey) {}
  void* get() const { return m_pkey.get(); }
  explicit operator bool() const { return m_pkey != nullptr; }
  bool is_private() const;
  std::string type_name() const;  // "RSA-2048", "EC-P256", "ED25519"
  bool is_rsa() const;

 private:
  static void free_pkey(void* pkey);
  std::shared_ptr<void> m_pkey;
};

using PassphraseSource = std::function<std::optional<std::string>()>;

// Loads a private key from PEM text. An encrypted PEM calls `passphrase` (which returns
// nothing when none can be had); a wrong or missing passphrase throws auth_error. `label`
// names the source in messages.
Key load_private_key(const std::string& pem, const std::string& label,
                     const PassphraseSource& passphrase = {});
// Loads a public key from a PEM public key, a PEM private key (its public half) or the
// one-line base64 DER SubjectPublicKeyInfo form. Throws invalid_input naming `label`.
Key load_public_key(const std::string& text, const std::string& label);

Key generate_key(KeyType type);
std::string private_key_pem(const Key& key);  // PKCS#8, unencrypted
std::string public_key_pem(const Key& key);   // SubjectPublicKeyInfo
std::string public_key_der(const Key& key);
std::string public_key_base64(const Key& key);  // one line, no header
// "SHA256:" + hex of the SHA-256 of the DER public key.
std::string fingerprint(const Key& key);

// Streaming signature: RSA PKCS#1 v1.5 (or ECDSA) over the digest of everything fed.
// Ed25519 cannot stream: it buffers and is meant for small inputs.
class Signer {
 public:
  Signer(const Key& key, DigestKind digest);
  ~Signer();
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;
  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  std::string finish();  // raw signature bytes

 private:
  void* m_context;
  bool m_one_shot;
  std::string m_buffer;
};

// A digest of everything fed, kept so that a signature can be checked against it later
// (a signature may come after the data in a package).
class Digest {
 public:
  explicit Digest(DigestKind kind);
  ~Digest();
  Digest(const Digest&) = delete;
  Digest& operator=(const Digest&) = delete;
  void update(const void* data, size_t size);
  std::string finish();  // raw digest bytes

 private:
  void* m_context;
};

// True when `signature` is a valid RSA/ECDSA signature of the precomputed `digest`.
bool verify_digest(const Key& key, DigestKind kind, const std::string& digest,
                   const std::string& signature);
// One-shot verification of a whole message (any key type, Ed25519 included).
bool verify_message(const Key& key, DigestKind kind, std::string_view message,
                    const std::string& signature);

std::string base64_encode(std::string_view data);
// Decodes standard base64 (whitespace ignored); nullopt when malformed.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace mpaas::crypto
