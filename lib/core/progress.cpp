// ProgressBar drawing (see progress.hpp).
#include "mpaas/core/progress.hpp"

#include <cstdio>

#include "mpaas/core/output.hpp"

namespace mpaas {

ProgressBar::ProgressBar(std::ostream& terminal, const Clock& clock, int width)
    : m_terminal(terminal), m_clock(clock), m_width(width) {}

void ProgressBar::start(const std::string& label, uint64_t total) {
  m_label = label;
  m_total = total;
  m_done = 0;
  m_active = true;
  m_started = m_clock.steady_now();
  m_last_draw = m_started;
  draw();
}

void ProgressBar::advance(uint64_t amount) {
  m_done += amount;
  auto now = m_clock.steady_now();
  if (now - m_last_draw >= std::chrono::milliseconds(100)) {
    m_last_draw = now;
    draw();
  }
}

void ProgressBar::finish() {
  if (!m_active)
    return;
  if (m_total > 0)
    m_done = m_total;
  draw();
  m_terminal << "\n" << std::flush;
  m_active = false;
}

namespace {

std::string elapsed_text(double seconds) {
  return std::to_string(static_cast<long long>(seconds)) + "s";
}

}  // namespace

std::string ProgressBar::render_line() const {
  double seconds = std::chrono::duration<double>(m_clock.steady_now() - m_started).count();
  double rate = seconds > 0 ? static_cast<double>(m_done) / seconds : 0.0;
  std::string line = m_label + " ";
  if (m_total > 0) {
    double fraction = static_cast<double>(m_done) / static_cast<double>(m_total);
    if (fraction > 1.0)
      fraction = 1.0;
    int filled = static_cast<int>(fraction * m_width);
    // Appended piece by piece: GCC 12 warns (falsely) about "literal" + std::string&&.
    line += '[';
    line.append(static_cast<size_t>(filled), '=');
    if (filled < m_width)
      line += '>';
    line.append(static_cast<size_t>(m_width - filled - (filled < m_width ? 1 : 0)), ' ');
    line += "] ";
    char percent[16];
    std::snprintf(percent, sizeof(percent), "%3d%%", static_cast<int>(fraction * 100));
    line += percent;
  } else if (m_done > 0) {
    line += human_bytes(m_done);
  } else {
    // Nothing to count (a library call that reports nothing): a spinner and the time spent
    // say that work goes on, where "0 B" looked stuck.
    static constexpr char spinner[] = {'|', '/', '-', '\\'};
    auto quarter_seconds = static_cast<size_t>(seconds * 4);
    line += spinner[quarter_seconds % 4];
    line += ' ';
    line += elapsed_text(seconds);
  }
  if (m_total > 0 && m_done == 0 && seconds >= 1) {
    line += ' ';  // not started counting yet: show it is alive
    line += elapsed_text(seconds);
  }
  if (rate > 0) {
    line += ' ';
    line += human_bytes(static_cast<uint64_t>(rate));
    line += "/s";
    if (m_total > m_done) {
      line += " ETA ";
      line += std::to_string(
          static_cast<long long>(static_cast<double>(m_total - m_done) / rate + 0.5));
      line += 's';
    }
  }
  return line;
}

void ProgressBar::draw() {
  m_terminal << "\r\x1b[2K" << render_line() << std::flush;
}

}  // namespace mpaas
