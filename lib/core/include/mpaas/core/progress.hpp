// Progress reporting for long work. Lib code reports to a ProgressSink it is handed;
// it never decides where progress goes. NullProgress drops everything (not a terminal,
// --quiet, tests). ProgressBar draws "label [=====>    ] 45% 12.0 MiB/s ETA 3s" on one
// line of the stream it is given ("label | 3s" while nothing is counted), redrawn at most
// every 100 ms by the injected clock,
// and is meant for a terminal's stderr only.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

#include "mpaas/core/clock.hpp"

namespace mpaas {

class ProgressSink {
 public:
  virtual ~ProgressSink() = default;
  // Starts a phase; total 0 means unknown (a byte counter is drawn, or a spinner with the
  // time spent while nothing is counted). Callers that wait on work which reports nothing
  // call advance(0) now and then, so that the time shown moves on.
  virtual void start(const std::string& label, uint64_t total) = 0;
  virtual void advance(uint64_t amount) = 0;
  virtual void finish() = 0;
};

class NullProgress : public ProgressSink {
 public:
  void start(const std::string&, uint64_t) override {}
  void advance(uint64_t) override {}
  void finish() override {}
};

class ProgressBar : public ProgressSink {
 public:
  ProgressBar(std::ostream& terminal, const Clock& clock, int width = 30);
  void start(const std::string& label, uint64_t total) override;
  void advance(uint64_t amount) override;
  void finish() override;

  // The line as it would be drawn now (without the leading carriage return).
  std::string render_line() const;

 private:
  void draw();

  std::ostream& m_terminal;
  const Clock& m_clock;
  int m_width;
  std::string m_label;
  uint64_t m_total = 0;
  uint64_t m_done = 0;
  bool m_active = false;
  std::chrono::steady_clock::time_point m_started{};
  std::chrono::steady_clock::time_point m_last_draw{};
};

}  // namespace mpaas
