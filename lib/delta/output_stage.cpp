// The applier's output thread (see output_stage.hpp).
#include "output_stage.hpp"

#include <cstring>

namespace mpaas::delta {
namespace {

// Pieces of 256 KiB, at most three of them in flight: enough for either thread never to
// wait on the other for long, and a bounded 768 KiB whatever the file's size.
constexpr size_t piece_size = size_t{1} << 18;
constexpr size_t max_pieces = 3;

}  // namespace

OutputStage::OutputStage(bool threaded, ByteSink consumer)
    : m_consumer(std::move(consumer)), m_threaded(threaded) {
  if (!m_threaded)
    return;
  m_filling.reserve(piece_size);
  m_pieces = 1;
  m_thread = std::thread([this] { consume(); });
}

OutputStage::~OutputStage() {
  if (!m_thread.joinable())
    return;
  {
    std::lock_guard lock(m_mutex);
    m_abandoned = true;
  }
  m_changed.notify_all();
  m_thread.join();
}

void OutputStage::write(const uint8_t* data, size_t size) {
  if (!m_threaded) {
    m_consumer(data, size);
    return;
  }
  while (size > 0) {
    size_t room = piece_size - m_filling.size();
    size_t taken = std::min(room, size);
    m_filling.insert(m_filling.end(), data, data + taken);
    data += taken;
    size -= taken;
    if (m_filling.size() == piece_size)
      hand_over();
  }
}

void OutputStage::finish() {
  if (!m_threaded)
    return;
  if (!m_filling.empty())
    hand_over();
  {
    std::lock_guard lock(m_mutex);
    m_done = true;
  }
  m_changed.notify_all();
  m_thread.join();
  rethrow_failure();
}

// Queues the filled piece and takes an empty one, waiting while all pieces are in flight.
void OutputStage::hand_over() {
  std::unique_lock lock(m_mutex);
  if (m_failure)
    std::rethrow_exception(m_failure);
  m_full.push_back(std::move(m_filling));
  m_changed.notify_all();
  if (m_empty.empty() && m_pieces < max_pieces) {
    ++m_pieces;
    m_filling = Piece();
  } else {
    m_changed.wait(lock, [this] { return !m_empty.empty() || m_failure; });
    if (m_failure)
      std::rethrow_exception(m_failure);
    m_filling = std::move(m_empty.front());
    m_empty.pop_front();
  }
  m_filling.clear();
  m_filling.reserve(piece_size);
}

void OutputStage::consume() {
  std::unique_lock lock(m_mutex);
  while (true) {
    m_changed.wait(lock, [this] { return !m_full.empty() || m_done || m_abandoned; });
    if (m_abandoned || (m_full.empty() && m_done))
      return;
    Piece piece = std::move(m_full.front());
    m_full.pop_front();
    lock.unlock();
    try {
      m_consumer(piece.data(), piece.size());
    } catch (...) {
      lock.lock();
      m_failure = std::current_exception();
      m_changed.notify_all();
      return;
    }
    lock.lock();
    m_empty.push_back(std::move(piece));
    m_changed.notify_all();
  }
}

void OutputStage::rethrow_failure() {
  std::lock_guard lock(m_mutex);
  if (m_failure)
    std::rethrow_exception(m_failure);
}

}  // namespace mpaas::delta
