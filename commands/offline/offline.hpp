// Shared pieces of the `mpaas offline` commands: settings from mpaas.yaml and flags, the
// signing key from --key / MPAAS_SIGNING_KEY / offline.sign.key (with its passphrase from
// MPAAS_SIGNING_KEY_PASSPHRASE or a terminal prompt), public keys in PEM or base64 form,
// and path resolution against the working folder.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "command.hpp"
#include "mpaas/crypto/keys.hpp"
#include "mpaas/offline/builder.hpp"
#include "mpaas/offline/settings.hpp"
#include "mpaas/offline/signing_key.hpp"

namespace mpaas::offline_commands {

// Flags that override offline.* settings (empty means not given).
struct SettingFlags {
  std::string id, name, version, root, main_url, vhost, type;
  std::vector<std::string> include, exclude;
};
void bind_setting_flags(Command& command, SettingFlags& flags);

struct Project {
  std::filesystem::path folder;  // where mpaas.yaml is (or the folder given)
  offline::Settings settings;
};
// The project in `folder` (or the one found from the working folder when empty), its
// offline: section with environment and flag overrides applied.
Project load_project(const std::string& folder, const SettingFlags& flags, Context& context);

std::filesystem::path resolve_path(const Context& context, const std::string& path);
// The signing key named by `flag`, else MPAAS_SIGNING_KEY (PEM text), else `configured`
// (a path relative to `project_folder`), in offline::load_signing_key's precedence, RSA
// only; warns when the configured key does not exist yet (the package is then unsigned).
offline::SigningKey signing_key(const std::string& flag, const std::string& configured,
                                const std::filesystem::path& project_folder, Context& context);
// signing_key's key alone; nullopt when none is given.
std::optional<crypto::Key> find_signing_key(const std::string& flag, const std::string& configured,
                                            const std::filesystem::path& project_folder,
                                            Context& context);
crypto::Key load_public_key_argument(const std::string& argument, const Context& context);

offline::PackOptions pack_options(Context& context);
// Reads a passphrase from MPAAS_SIGNING_KEY_PASSPHRASE or the terminal (echo off).
crypto::PassphraseSource passphrase_source(Context& context);

void register_build(Command& group);
void register_sign(Command& group);
void register_verify(Command& group);
void register_inspect(Command& group);
void register_extract(Command& group);
void register_config(Command& group);
void register_diff(Command& group);
void register_apply(Command& group);

}  // namespace mpaas::offline_commands
