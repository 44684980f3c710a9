// mpaas entry point: wires the real process (streams, terminal, environment, clock, Ctrl-C)
// into run_cli(). Nothing else happens here.
#include <sys/ioctl.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>

#include "app.hpp"
#include "mpaas/core/interrupt.hpp"

int main(int argc, char** argv) {
  mpaas::install_interrupt_handler();
  mpaas::SystemClock clock;
  mpaas::Context context(std::cout, std::cerr, std::cin, clock);
  context.terminal = {isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1,
                      isatty(STDERR_FILENO) == 1, 0};
  winsize size{};
  if (context.terminal.stdout_is_tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0)
    context.terminal.stdout_columns = size.ws_col;
  context.environment = mpaas::process_environment();
  std::error_code ec;
  context.cwd = std::filesystem::current_path(ec);
  return mpaas::run_cli(std::vector<std::string>(argv + 1, argv + argc), context);
}
