// `mpaas __generate-man DIR` (hidden): writes the man pages into DIR, for `make docs` and
// the staleness test. Not listed in help or completions.
#include "command.hpp"
#include "help/man_pages.hpp"
#include "mpaas/core/atomic_file.hpp"
#include "mpaas/version/versions.hpp"

namespace mpaas {
namespace {

struct GenerateManOptions {
  std::string folder;
};

int run_generate_man(const GenerateManOptions& options, Context& context) {
  std::filesystem::create_directories(options.folder);
  auto pages = generate_man_pages(describe_command_tree(*context.root_app, context.option_metadata),
                                  mpaas_version());
  for (const auto& [name, text] : pages) {
    write_file_atomically(std::filesystem::path(options.folder) / name, text);
  }
  return 0;
}

}  // namespace

void register_man_generator(Command& root) {
  auto options = std::make_shared<GenerateManOptions>();
  root.subcommand("__generate-man", "")
      .positional("folder", options->folder, "Output folder")
      .run(options, run_generate_man);
}

}  // namespace mpaas
