// `mpaas diff OLD NEW -o PATCH`: makes a patch (mpd or BSDIFF40) and prints a summary of
// sizes, ratio, time and codec (text, or JSON with --json). The patch is written atomically,
// or to stdout with `-o -` (the summary then goes to stderr). The engine is lib/delta.
#include <thread>
#include "delta/options.hpp"

#include "delta/delta_commands.hpp"
#include "mpaas/core/atomic_file.hpp"
#include "mpaas/core/error.hpp"
#include "mpaas/delta/delta.hpp"
#include "mpaas/delta/reports.hpp"

namespace mpaas::delta_commands {
namespace {

delta::DiffOptions engine_options(const DiffCommandOptions& options) {
  delta::DiffOptions engine;
  engine.format = delta::parse_format(options.format);
  if (options.codec != "auto")
    engine.codec = delta::parse_codec(options.codec);
  engine.level = options.level;
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  engine.threads = options.threads > 0 ? options.threads : static_cast<int>(std::min(cores, 4u));
  if (!options.memory_limit.empty())
    engine.memory_limit = parse_size(options.memory_limit, "--memory-limit");
  if (options.filter != "auto")
    engine.filter = delta::parse_filter(options.filter);
  return engine;
}

// Makes the patch: to stdout, or into a temp file renamed over the output at the end.
delta::DiffSummary write_patch(const DiffCommandOptions& options, const delta::DiffOptions& engine,
                               Context& context) {
  auto progress = context.progress();
  delta::DiffSummary summary;
  if (options.output == "-") {
    summary = delta::diff_files(
        context.resolve(options.old_path), context.resolve(options.new_path), engine,
        [&](const uint8_t* data, size_t size) {
          context.out.write(reinterpret_cast<const char*>(data),
                            static_cast<std::streamsize>(size));
        },
        *progress);
    context.out.flush();
  } else {
    AtomicFile patch(context.resolve(options.output), 0644, Durability::rename_only);
    summary = delta::diff_files(
        context.resolve(options.old_path), context.resolve(options.new_path), engine,
        [&](const uint8_t* data, size_t size) { patch.write(data, size); }, *progress);
    patch.commit();
  }
  return summary;
}

int run_diff(const DiffCommandOptions& options, Context& context) {
  if (options.output.empty())
    throw usage_error("an output file is required (-o, --output)");
  delta::DiffOptions engine = engine_options(options);
  auto started = context.clock.steady_now();
  delta::DiffSummary summary;
  try {
    summary = write_patch(options, engine, context);
  } catch (const Error& error) {
    // A stop request (Ctrl-C, SIGTERM, SIGHUP) unwinds to here after the temp patch is
    // gone; the message says so, and also tells an unwound stop from a forced exit.
    if (error.kind() != ErrorKind::interrupted)
      throw;
    if (options.output == "-")
      throw Error(ErrorKind::interrupted, "interrupted, no patch written (stdout)", "stdout");
    throw Error(ErrorKind::interrupted, "interrupted, no patch written (" + options.output + ")",
                options.output);
  }
  std::chrono::duration<double> elapsed = context.clock.steady_now() - started;
  delta::DiffReport report{options.output, summary, elapsed.count()};
  if (options.output == "-") {
    if (!context.global.quiet)
      context.err << context.rendered(report);
  } else {
    context.emit(report);
  }
  return 0;
}

}  // namespace

void register_diff(Command& root) {
  auto options = std::make_shared<DiffCommandOptions>();
  root.subcommand("diff", "Make a binary patch that turns OLD into NEW")
      .positional("old", options->old_path, "The old file")
      .positional("new", options->new_path, "The new file")
      .option("-o,--output", options->output, "The patch file to write ('-' for stdout)")
      .choice("--format", options->format,
              "Patch format: mpd (ours, default), bsdiff (BSDIFF40) or vcdiff (RFC 3284, for "
              "xdelta3 -d)",
              {"mpd", "bsdiff", "vcdiff"})
      .choice("--codec", options->codec,
              "Codec of mpd patches: auto (default: lzma, or zstd's dictionary mode when that "
              "is smaller), lzma or zstd",
              {"auto", "lzma", "zstd"})
      .option("--level", options->level,
              "Compression level: zstd 1-22 (default 19), lzma and auto 1-9 (default 9)")
      .option("--threads", options->threads, "Threads for matching and coding (default: up to 4)")
      .option("--memory-limit", options->memory_limit,
              "Refuse inputs that need more memory than SIZE (e.g. 2G)")
      .choice("--filter", options->filter,
              "Branch-target filter for machine code (auto: from the ELF/Mach-O header, kept "
              "only when the patch is smaller)",
              {"auto", "none", "x86-64", "arm64"})
      .examples({"mpaas diff app-1.0.so app-1.1.so -o app.mpd",
                 "mpaas diff old.bin new.bin -o patch.bsdiff --format bsdiff",
                 "mpaas diff old.bin new.bin -o patch.vcdiff --format vcdiff   # xdelta3 -d -s "
                 "old.bin patch.vcdiff new.bin",
                 "mpaas diff old.bin new.bin -o patch.mpd --codec zstd --json   # JSON summary"})
      .run(options, run_diff);
}

}  // namespace mpaas::delta_commands
