// The platform's decision for one device, timed in-process: opens the embedded platform in
// DATA_DIR once and runs the same `check_into` N times (a simulation: no time-window place is
// taken), printing the mean and median microseconds per decision. This is what a long-lived
// process such as a server pays per check; the CLI's `release check` adds the SQLite open
// and its output to it, which bench/platform/run.sh measures beside.
// Usage: mpaas_bench_decide DATA_DIR APP PLATFORM DEVICE_ID OS_VERSION MODEL APP_VERSION N
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "mpaas/core/clock.hpp"
#include "mpaas/platform/local.hpp"

int main(int argc, char** argv) {
  if (argc != 9) {
    std::fprintf(stderr,
                 "usage: mpaas_bench_decide DATA_DIR APP PLATFORM DEVICE_ID OS_VERSION MODEL "
                 "APP_VERSION N\n");
    return 2;
  }
  mpaas::SystemClock clock;
  auto platform = mpaas::platform::open_local_platform(argv[1], "bench", clock);
  mpaas::platform::CheckRequest request;
  request.app = argv[2];
  request.platform = argv[3];
  request.device.id = argv[4];
  request.device.os_version = argv[5];
  request.device.model = argv[6];
  request.device.app_version = argv[7];
  int runs = std::max(1, std::atoi(argv[8]));
  std::vector<double> micros;
  size_t offers = 0;
  // One result refilled in place, as a server's thread does (Platform::check_into).
  mpaas::platform::CheckResult result;
  for (int i = 0; i < runs; ++i) {
    auto start = std::chrono::steady_clock::now();
    platform->check_into(request, result);
    auto end = std::chrono::steady_clock::now();
    offers = result.offers.size();
    micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  double sum = 0;
  for (double value : micros)
    sum += value;
  std::sort(micros.begin(), micros.end());
  std::printf("%.1f %.1f %zu\n", sum / runs, micros[micros.size() / 2], offers);
  return 0;
}
