// `mpaas patch OLD PATCH -o NEW` applies an mpd or BSDIFF40 patch (detected from its header),
// writing NEW atomically only after its SHA-256 checked out; `mpaas patch --info PATCH` shows
// the header without applying. A patch read from stdin ('-') is checked from its first bytes
// and copied to an unnamed temp file, never held in memory.
#include <filesystem>
#include "delta/options.hpp"

#include "delta/delta_commands.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/delta/delta.hpp"
#include "mpaas/delta/reports.hpp"

namespace mpaas::delta_commands {
namespace {

// The patch bytes: a file read in place, or stdin spooled to an unnamed temp file.
struct PatchInput {
  std::string name;
  std::unique_ptr<delta::RandomInput> input;
};

PatchInput open_patch(const std::string& path, Context& context) {
  PatchInput patch;
  patch.name = path == "-" ? "stdin" : path;
  if (path == "-") {
    patch.input =
        delta::spool_patch(context.in, patch.name, std::filesystem::temp_directory_path());
  } else {
    patch.input = std::make_unique<delta::FileInput>(context.resolve(path));
  }
  return patch;
}

// Called in a catch block. A stop request (Ctrl-C, SIGTERM, SIGHUP) unwinds to here after
// the temp output is gone; the message says so, and also tells an unwound stop from the
// watcher's forced exit.
[[noreturn]] void rethrow_naming_output(const Error& error, const std::string& output) {
  if (error.kind() != ErrorKind::interrupted)
    throw;
  if (output == "-")
    throw Error(ErrorKind::interrupted, "interrupted, the output is incomplete (stdout)", "stdout");
  throw Error(ErrorKind::interrupted, "interrupted, nothing written (" + output + ")", output);
}

int run_info(const PatchCommandOptions& options, Context& context) {
  if (options.inputs.size() != 1)
    throw usage_error("--info takes one patch file (PATCH)");
  PatchInput patch = open_patch(options.inputs[0], context);
  context.emit(delta::HeaderReport{patch.name, delta::parse_header(*patch.input, patch.name)});
  return 0;
}

int run_patch(const PatchCommandOptions& options, Context& context) {
  if (options.info)
    return run_info(options, context);
  if (options.inputs.size() != 2)
    throw usage_error("expected OLD and PATCH (see --help)");
  if (options.output.empty())
    throw usage_error("an output file is required (-o, --output)");
  auto progress = context.progress();
  auto started = context.clock.steady_now();
  delta::PatchHeader header;
  try {
    PatchInput patch = open_patch(options.inputs[1], context);
    header = delta::apply_patch_file(context.resolve(options.inputs[0]), *patch.input, patch.name,
                                     context.resolve(options.output), &context.out, *progress);
  } catch (const Error& error) {
    rethrow_naming_output(error, options.output);
  }
  if (options.output == "-") {
    context.out.flush();
    return 0;
  }
  std::chrono::duration<double> elapsed = context.clock.steady_now() - started;
  context.log("wrote " + options.output + " (" + human_bytes(header.new_size) + ")");
  context.emit(delta::ApplyReport{options.output, header, elapsed.count()});
  return 0;
}

}  // namespace

void register_patch(Command& root) {
  auto options = std::make_shared<PatchCommandOptions>();
  root.subcommand("patch",
                  "Apply a binary patch (mpd, BSDIFF40 or VCDIFF) to OLD, or show its header")
      .positional("files", options->inputs,
                  "OLD PATCH ('-' reads the patch from stdin), or PATCH with --info")
      .option("-o,--output", options->output, "The new file to write ('-' for stdout)")
      .flag("--info", options->info, "Show the patch's header without applying it")
      .examples({"mpaas patch app-1.0.so app.mpd -o app-1.1.so",
                 "mpaas patch old.bin patch.bsdiff -o new.bin   # BSDIFF40 from bsdiff(1)",
                 "mpaas patch old.bin patch.vcdiff -o new.bin   # from xdelta3 -e -S none",
                 "mpaas patch --info app.mpd", "mpaas patch --info app.mpd --json"})
      .run(options, run_patch);
}

}  // namespace mpaas::delta_commands
