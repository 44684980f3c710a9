// An injectable clock: commands and lib code ask a Clock for the time so that tests can
// fix it. SystemClock reads the real time; FakeClock returns what the test sets.
#pragma once

#include <chrono>

namespace mpaas {

class Clock {
 public:
  using time_point = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
  // Monotonic time for measuring durations (rates, ETAs).
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

class SystemClock : public Clock {
 public:
  time_point now() const override { return std::chrono::system_clock::now(); }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
};

class FakeClock : public Clock {
 public:
  time_point now() const override { return m_now; }
  std::chrono::steady_clock::time_point steady_now() const override { return m_steady; }
  void advance(std::chrono::milliseconds step) {
    m_now += step;
    m_steady += step;
  }
  void set(time_point when) { m_now = when; }

 private:
  time_point m_now{};
  std::chrono::steady_clock::time_point m_steady{};
};

}  // namespace mpaas
