// A second thread for the end of apply (private to lib/delta): the applier decodes the
// streams and adds the old file's bytes, and hands the new file's bytes on in large pieces to
// a thread that undoes the branch filter, hashes them and writes them out. Those three
// are a third of the work on a 9 MiB executable, and nothing in them feeds back into the
// applier. The bytes reach the consumer in order and unchanged, so the output is the same
// with or without the thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "mpaas/delta/byte_io.hpp"

namespace mpaas::delta {

class OutputStage {
 public:
  // Without `threaded`, write() calls `consumer` directly (small files: a thread would cost
  // more than it saves).
  OutputStage(bool threaded, ByteSink consumer);
  // Stops and joins the thread without waiting for the rest (an error is unwinding).
  ~OutputStage();
  OutputStage(const OutputStage&) = delete;
  OutputStage& operator=(const OutputStage&) = delete;

  // Throws what the consumer threw, as soon as it is known.
  void write(const uint8_t* data, size_t size);
  // Hands over the last piece and waits until the consumer has had everything; throws what
  // it threw.
  void finish();

 private:
  using Piece = std::vector<uint8_t>;
  void hand_over();
  void consume();
  void rethrow_failure();

  ByteSink m_consumer;
  bool m_threaded;
  Piece m_filling;
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::deque<Piece> m_full, m_empty;
  size_t m_pieces = 0;  // pieces allocated so far
  bool m_done = false, m_abandoned = false;
  std::exception_ptr m_failure;
  std::thread m_thread;
};

}  // namespace mpaas::delta
