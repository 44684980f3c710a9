// Block-parallel deflate on libdeflate (see parallel_deflate.hpp).
//
// libdeflate compresses a whole buffer into a complete stream whose last block carries the
// final bit, and it cannot be told otherwise. To join such streams, each non-last block's
// stream is walked once (deflate_blocks.hpp) to find its last block's header, whose first
// bit (the final flag) is cleared, and the end of its end-of-block code, after which an
// empty stored block realigns to a byte, as a zlib sync flush does.
#include "mpaas/archive/parallel_deflate.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <cstring>

#include "mpaas/archive/deflate_blocks.hpp"
#include "mpaas/core/error.hpp"

namespace mpaas::archive {

struct ParallelDeflater::Job {
  std::vector<uint8_t> input;  // sized to the block size; `filled` bytes used
  std::vector<uint8_t> output;
  size_t filled = 0;
  size_t output_size = 0;
  bool last = false;
  bool done = false;
  std::exception_ptr error;
};

namespace {

constexpr size_t stored_tail = 5;  // at most one byte of header bits, then 00 00 FF FF

}  // namespace

// One worker's libdeflate compressor, reused for every block it takes.
class BlockCompressor {
 public:
  BlockCompressor() : m_compressor(libdeflate_alloc_compressor(ParallelDeflater::level)) {
    if (m_compressor == nullptr)
      throw failure("cannot allocate a deflate compressor");
  }
  ~BlockCompressor() { libdeflate_free_compressor(m_compressor); }
  BlockCompressor(const BlockCompressor&) = delete;
  BlockCompressor& operator=(const BlockCompressor&) = delete;

  size_t output_capacity(size_t block_size) {
    return libdeflate_deflate_compress_bound(m_compressor, block_size) + stored_tail;
  }

  // Compresses `size` bytes into `output` (of output_capacity() bytes at least); returns the
  // length used. A block that is not `last` ends byte-aligned with no final block.
  size_t compress(const uint8_t* input, size_t size, std::vector<uint8_t>& output, bool last) {
    size_t length = libdeflate_deflate_compress(m_compressor, input, size, output.data(),
                                                output.size() - stored_tail);
    if (length == 0)
      throw failure("deflate ran out of room");
    if (last)
      return length;
    return continue_stream(output.data(), locate_final_block(output.data(), length));
  }

 private:
  // Clears the final bit and writes an empty stored block after the last end-of-block
  // code: three zero bits (not final, stored), zero bits to the byte, then LEN 0, NLEN
  // 0xFFFF. Returns the new length.
  static size_t continue_stream(uint8_t* data, FinalBlock final) {
    data[final.start_bit / 8] &= static_cast<uint8_t>(~(1u << (final.start_bit % 8)));
    size_t end_byte = static_cast<size_t>(final.end_bit / 8);
    data[end_byte] &= static_cast<uint8_t>((1u << (final.end_bit % 8)) - 1);
    size_t aligned = static_cast<size_t>((final.end_bit + 3 + 7) / 8);
    for (size_t i = end_byte + 1; i < aligned; ++i)
      data[i] = 0;
    const uint8_t empty_stored[] = {0x00, 0x00, 0xff, 0xff};
    std::memcpy(data + aligned, empty_stored, sizeof empty_stored);
    return aligned + sizeof empty_stored;
  }

  libdeflate_compressor* m_compressor;
};

ParallelDeflater::ParallelDeflater(Sink sink, unsigned threads, size_t block_size)
    : m_sink(std::move(sink)),
      m_block_size(std::max<size_t>(block_size, 1)),
      m_max_in_flight(2 * std::max(threads, 1u)) {
  for (unsigned i = 0; i < std::max(threads, 1u); ++i)
    m_compressors.push_back(std::make_unique<BlockCompressor>());
  m_output_capacity = m_compressors.front()->output_capacity(m_block_size);
  m_current = make_job();
  try {
    for (auto& compressor : m_compressors)
      m_workers.emplace_back([this, worker = compressor.get()] { run_worker(*worker); });
  } catch (...) {
    stop_workers();
    throw;
  }
}

ParallelDeflater::~ParallelDeflater() {
  stop_workers();
}

void ParallelDeflater::stop_workers() {
  {
    std::lock_guard lock(m_mutex);
    m_stopping = true;
  }
  m_work_ready.notify_all();
  for (auto& worker : m_workers) {
    if (worker.joinable())
      worker.join();
  }
}

std::unique_ptr<ParallelDeflater::Job> ParallelDeflater::make_job() {
  if (!m_spare.empty()) {
    auto job = std::move(m_spare.back());
    m_spare.pop_back();
    return job;
  }
  auto job = std::make_unique<Job>();
  job->input.resize(m_block_size);
  job->output.resize(m_output_capacity);
  return job;
}

void ParallelDeflater::write(const void* data, size_t size) {
  if (m_finished || !m_current)
    throw failure("write after the deflate stream ended");
  const auto* bytes = static_cast<const uint8_t*>(data);
  m_totals.crc = static_cast<uint32_t>(libdeflate_crc32(m_totals.crc, bytes, size));
  m_totals.size += size;
  while (size > 0) {
    // A full block is sent only once more input comes, so only the last can be short.
    if (m_current->filled == m_block_size)
      submit(false);
    size_t take = std::min(size, m_block_size - m_current->filled);
    std::memcpy(m_current->input.data() + m_current->filled, bytes, take);
    m_current->filled += take;
    bytes += take;
    size -= take;
  }
}

DeflateTotals ParallelDeflater::finish() {
  if (m_finished)
    return m_totals;
  if (!m_current)  // an earlier error left the stream incomplete
    throw failure("the deflate stream failed");
  submit(true);
  write_ready(true);
  m_finished = true;
  return m_totals;
}

void ParallelDeflater::submit(bool last) {
  m_current->last = last;
  {
    std::lock_guard lock(m_mutex);
    m_queue.push_back(m_current.get());
    m_in_order.push_back(std::move(m_current));
  }
  m_work_ready.notify_one();
  write_ready(false);
  if (!last)
    m_current = make_job();
}

// Hands finished blocks to the sink in order; waits while too many are in flight (or for
// all of them at the end).
void ParallelDeflater::write_ready(bool wait_for_all) {
  for (;;) {
    std::unique_ptr<Job> job;
    {
      std::unique_lock lock(m_mutex);
      if (m_in_order.empty())
        return;
      bool must_wait = wait_for_all || m_in_order.size() > m_max_in_flight;
      if (!m_in_order.front()->done && !must_wait)
        return;
      m_job_done.wait(lock, [&] { return m_in_order.front()->done; });
      job = std::move(m_in_order.front());
      m_in_order.pop_front();
    }
    if (job->error)
      std::rethrow_exception(job->error);
    m_sink(job->output.data(), job->output_size);
    m_totals.compressed += job->output_size;
    job->filled = 0;
    job->done = false;
    m_spare.push_back(std::move(job));
  }
}

void ParallelDeflater::run_worker(BlockCompressor& compressor) {
  for (;;) {
    Job* job = nullptr;
    {
      std::unique_lock lock(m_mutex);
      m_work_ready.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
      if (m_stopping)
        return;
      job = m_queue.front();
      m_queue.pop_front();
    }
    try {
      job->output_size =
          compressor.compress(job->input.data(), job->filled, job->output, job->last);
    } catch (...) {
      job->error = std::current_exception();
    }
    {
      std::lock_guard lock(m_mutex);
      job->done = true;
    }
    m_job_done.notify_one();
  }
}

std::string deflate_block(std::string_view input, bool last) {
  BlockCompressor compressor;
  std::vector<uint8_t> output(compressor.output_capacity(input.size()));
  size_t length = compressor.compress(reinterpret_cast<const uint8_t*>(input.data()), input.size(),
                                      output, last);
  return std::string(reinterpret_cast<const char*>(output.data()), length);
}

}  // namespace mpaas::archive
