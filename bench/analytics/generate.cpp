// A seeded synthetic analytics event set for bench/analytics: DEVICES devices over DAYS days
// (default 100,000 and 90, about 10 million events): installs spread over the period with a
// base already installed, activity that decays with the days since install (retention), one
// to three sessions an active day (launch, page views, custom events, crashes at a rate per
// app version), and five versions rolling out one after another, the last one (2.3.1) as a
// gray release that crashes more. About 1% of events arrive late (their time is hours to
// days before the ones around them). Writes NDJSON for mpaas and the same events as CSV
// (time in epoch milliseconds) for the sqlite3 shell's .import.
//
// Usage: generate OUT.ndjson OUT.csv [devices] [days] [seed]
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int64_t start_ms = 1767225600000LL;  // 2026-01-01T00:00:00Z
constexpr int64_t day_ms = 86400000LL;

struct Version {
  const char* name;
  int release_day;
  double crash_per_session;
  double adoption_per_day;  // chance a device on an older version updates on a given day
};
const Version versions[] = {{"2.0.0", -1000, 0.012, 0},
                            {"2.1.0", 20, 0.010, 0.10},
                            {"2.2.0", 45, 0.014, 0.10},
                            {"2.3.0", 65, 0.008, 0.12},
                            {"2.3.1", 80, 0.020, 0.04}};
const char* models_android[] = {"Pixel 8",       "Pixel 7a",   "Galaxy S24",     "Galaxy A54",
                                "Redmi Note 13", "Xiaomi 14",  "OnePlus 12",     "Galaxy A15",
                                "Moto g84",      "Oppo A78",   "Vivo Y36",       "Honor 90",
                                "Pixel 6",       "Galaxy S23", "Nothing Phone 2"};
const char* models_ios[] = {"iPhone 15", "iPhone 15 Pro", "iPhone 14",         "iPhone 13",
                            "iPhone SE", "iPhone 12",     "iPhone 15 Pro Max", "iPhone 14 Plus"};
const char* regions[] = {"CN", "US", "DE", "FR", "GB", "IN", "BR", "JP", "KR", "ID", "MX", "ES"};
const char* networks[] = {"wifi", "wifi", "wifi", "5g", "4g", "4g", "3g"};
const char* channels[] = {"play", "huawei", "xiaomi", "oppo", "vivo", "web"};
const char* screens[] = {"home", "search", "product", "cart", "checkout", "profile", "settings"};
const char* customs[] = {"add_to_cart", "share", "search", "login", "signup_complete"};

struct Device {
  std::string id, user;
  bool ios;
  int install_day;
  int version;
  const char* model;
  const char* region;
  const char* channel;
  int os;
  double engagement;
};

std::string hex(std::mt19937_64& rng, int digits) {
  static const char* h = "0123456789abcdef";
  std::string out;
  uint64_t bits = rng();
  for (int i = 0; i < digits; ++i) {
    if (i % 16 == 15)
      bits = rng();
    out += h[bits & 15];
    bits >>= 4;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: generate OUT.ndjson OUT.csv [devices] [days] [seed]\n");
    return 2;
  }
  FILE* ndjson = std::fopen(argv[1], "w");
  FILE* csv = std::fopen(argv[2], "w");
  if (!ndjson || !csv)
    return 1;
  int device_count = argc > 3 ? std::atoi(argv[3]) : 100000;
  int days = argc > 4 ? std::atoi(argv[4]) : 90;
  std::mt19937_64 rng(argc > 5 ? std::strtoull(argv[5], nullptr, 10) : 20260101);
  std::uniform_real_distribution<double> unit(0, 1);
  auto pick = [&](auto& array) { return array[rng() % (sizeof(array) / sizeof(array[0]))]; };

  std::vector<Device> devices(static_cast<size_t>(device_count));
  for (auto& d : devices) {
    d.id = hex(rng, 8) + "-" + hex(rng, 4) + "-4" + hex(rng, 3) + "-a" + hex(rng, 3) + "-" +
           hex(rng, 12);
    d.user = unit(rng) < 0.6 ? "u" + hex(rng, 10) : "";
    d.ios = unit(rng) < 0.3;
    d.install_day = unit(rng) < 0.35 ? -1 : static_cast<int>(unit(rng) * days);
    d.version = 0;
    d.model = d.ios ? pick(models_ios) : pick(models_android);
    d.region = pick(regions);
    d.channel = d.ios ? "appstore" : pick(channels);
    d.os = d.ios ? 16 + static_cast<int>(rng() % 3) : 11 + static_cast<int>(rng() % 4);
    d.engagement = 0.4 + 1.2 * unit(rng);
  }
  std::fprintf(csv,
               "time,event_id,device_id,user_id,platform,app_version,os_version,model,region,"
               "network,channel,event,properties\n");
  uint64_t total = 0;
  char properties[128];
  for (int day = 0; day < days; ++day) {
    for (auto& d : devices) {
      if (d.install_day > day)
        continue;
      // Updates: each newer released version is taken with its adoption chance.
      for (int v = d.version + 1; v < 5; ++v) {
        if (versions[v].release_day <= day &&
            (day == d.install_day || unit(rng) < versions[v].adoption_per_day))
          d.version = v;
      }
      int age = d.install_day < 0 ? 30 + day : day - d.install_day;
      double active = age == 0 ? 1.0 : (0.17 + 0.55 * std::exp(-age / 8.0)) * d.engagement;
      if (unit(rng) >= active)
        continue;
      int sessions = 1 + static_cast<int>(unit(rng) * 2.2 * d.engagement);
      const Version& version = versions[d.version];
      const char* network = pick(networks);
      for (int s = 0; s < sessions; ++s) {
        int64_t t = start_ms + day * day_ms + static_cast<int64_t>(unit(rng) * (day_ms - 3600000));
        int pages = static_cast<int>(unit(rng) * 7);
        bool crash = unit(rng) < version.crash_per_session;
        int events = 1 + pages + (unit(rng) < 0.25 ? 1 : 0) + (unit(rng) < 0.03 ? 1 : 0) + crash;
        for (int e = 0; e < events; ++e) {
          const char* name;
          properties[0] = 0;
          if (e == 0) {
            name = "launch";
            std::snprintf(properties, sizeof properties, "{\"cold\":%s}",
                          unit(rng) < 0.7 ? "true" : "false");
          } else if (e <= pages) {
            name = "page_view";
            std::snprintf(properties, sizeof properties, "{\"screen\":\"%s\"}", pick(screens));
          } else if (crash && e == events - 1) {
            name = "crash";
            std::snprintf(properties, sizeof properties, "{\"signal\":\"%s\"}",
                          unit(rng) < 0.7 ? "SIGSEGV" : "SIGABRT");
          } else if (unit(rng) < 0.1) {
            name = "purchase";
            std::snprintf(properties, sizeof properties, "{\"amount\":%.2f,\"currency\":\"EUR\"}",
                          1 + unit(rng) * 99);
          } else {
            name = pick(customs);
          }
          int64_t time = t + e * static_cast<int64_t>(5000 + unit(rng) * 60000);
          if (unit(rng) < 0.01)  // reported late: hours to days earlier than its neighbours
            time -= static_cast<int64_t>(unit(rng) * 3 * day_ms);
          if (time < start_ms)
            time = start_ms;
          std::string id = hex(rng, 32);
          const char* platform = d.ios ? "ios" : "android";
          std::fprintf(ndjson,
                       "{\"time\":%lld,\"event_id\":\"%s\",\"device_id\":\"%s\"%s%s%s,"
                       "\"platform\":\"%s\",\"app_version\":\"%s\",\"os_version\":\"%d\","
                       "\"model\":\"%s\",\"region\":\"%s\",\"network\":\"%s\",\"channel\":\"%s\","
                       "\"event\":\"%s\"%s%s}\n",
                       static_cast<long long>(time), id.c_str(), d.id.c_str(),
                       d.user.empty() ? "" : ",\"user_id\":\"", d.user.c_str(),
                       d.user.empty() ? "" : "\"", platform, version.name, d.os, d.model, d.region,
                       network, d.channel, name, properties[0] ? ",\"properties\":" : "",
                       properties);
          std::string quoted;
          for (const char* p = properties; *p; ++p) {
            quoted += *p;
            if (*p == '"')
              quoted += '"';
          }
          std::fprintf(csv, "%lld,%s,%s,%s,%s,%s,%d,%s,%s,%s,%s,%s,%s%s%s\n",
                       static_cast<long long>(time), id.c_str(), d.id.c_str(), d.user.c_str(),
                       platform, version.name, d.os, d.model, d.region, network, d.channel, name,
                       quoted.empty() ? "" : "\"", quoted.c_str(), quoted.empty() ? "" : "\"");
          ++total;
        }
      }
    }
  }
  std::fclose(ndjson);
  std::fclose(csv);
  std::printf("%llu\n", static_cast<unsigned long long>(total));
  return 0;
}
