#include "bench/bench.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "bench/histogram.h"
#include "bench/workers.h"

namespace tern::bench {

void AddOptions(CLI::App* app, Options* o) {
  app->add_option("--protocol", o->protocol, "grpc or aerospike (the wire protocol)")
      ->check(CLI::IsMember({"grpc", "aerospike"}))
      ->capture_default_str();
  app->add_option("--namespace", o->ns, "namespace")->capture_default_str();
  app->add_option("--set", o->set, "set")->capture_default_str();
  app->add_option("--workload", o->workload, "read, update, 50-50, 95-5 (read-update) or insert")
      ->check(CLI::IsMember({"read", "update", "50-50", "95-5", "insert"}))
      ->capture_default_str();
  app->add_option("--keys", o->keys, "key space (integer keys 0..keys-1)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_option("--value-size", o->value_size, "bytes of the one string bin")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  app->add_option("--concurrency", o->concurrency, "requests in flight (one worker each)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app->add_option("--duration", o->duration, "seconds to run")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app->add_flag("!--no-load", o->load, "skip writing every key before a read/update workload");
  // --port and --host are the global options of tern.
  app->add_option("--port", o->port, "port (default 3100 for grpc, 3000 for aerospike)");
}

namespace {

using Clock = std::chrono::steady_clock;

struct Slot {
  std::mutex mu;
  Histogram interval;
  Histogram total;
  uint64_t errors = 0;
  std::string last_error;
};

struct Phase {
  uint64_t ops = 0;
  uint64_t errors = 0;
  double seconds = 0;
  Histogram hist;
};

double Ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

nlohmann::json Figures(const Histogram& h, double seconds, uint64_t errors) {
  return {{"ops", h.count()},
          {"errors", errors},
          {"seconds", seconds},
          {"ops_per_sec", seconds > 0 ? static_cast<double>(h.count()) / seconds : 0},
          {"p50_ms", Ms(h.Percentile(0.50))},
          {"p90_ms", Ms(h.Percentile(0.90))},
          {"p99_ms", Ms(h.Percentile(0.99))},
          {"p999_ms", Ms(h.Percentile(0.999))},
          {"max_ms", Ms(h.max())}};
}

std::string Line(const char* label, const Histogram& h, double seconds, uint64_t errors) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%-8s %10.0f ops/s  p50 %7.3f  p90 %7.3f  p99 %7.3f  p99.9 %7.3f  max %8.3f ms"
                "  errors %llu",
                label, seconds > 0 ? static_cast<double>(h.count()) / seconds : 0.0,
                Ms(h.Percentile(0.5)), Ms(h.Percentile(0.9)), Ms(h.Percentile(0.99)),
                Ms(h.Percentile(0.999)), Ms(h.max()), static_cast<unsigned long long>(errors));
  return buf;
}

// Runs `concurrency` workers for `seconds` (or until `limit` ops when non-zero), each calling
// `op(worker, rng, seq)`; prints a line every second.
Phase RunPhase(const Options& o, std::vector<std::unique_ptr<Worker>>& workers, double seconds,
               uint64_t limit, const char* name,
               const std::function<bool(Worker&, std::mt19937_64&, uint64_t)>& op) {
  std::vector<Slot> slots(workers.size());
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> next_seq{0};
  const auto start = Clock::now();
  std::vector<std::jthread> threads;
  for (size_t i = 0; i < workers.size(); ++i) {
    threads.emplace_back([&, i] {
      std::mt19937_64 rng(0x7e57 + i);
      Slot& slot = slots[i];
      while (!stop.load(std::memory_order_relaxed)) {
        const uint64_t seq = next_seq.fetch_add(1, std::memory_order_relaxed);
        if (limit && seq >= limit) break;
        const auto t0 = Clock::now();
        const bool ok = op(*workers[i], rng, seq);
        const uint64_t ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
        std::lock_guard lock(slot.mu);
        if (ok) {
          slot.interval.Record(ns);
        } else {
          ++slot.errors;
          slot.last_error = workers[i]->last_error();
        }
      }
    });
  }
  Phase phase;
  auto tick = start;
  int second = 0;
  for (;;) {
    tick += std::chrono::seconds(1);
    bool finished = false;
    while (Clock::now() < tick) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (limit && next_seq.load() >= limit + workers.size()) {
        finished = true;
        break;
      }
      if (!limit && Clock::now() - start >= std::chrono::duration<double>(seconds)) {
        finished = true;
        break;
      }
    }
    if (limit && next_seq.load() >= limit) finished = true;  // workers draining
    Histogram interval;
    uint64_t errors = 0;
    std::string last_error;
    for (Slot& s : slots) {
      std::lock_guard lock(s.mu);
      interval.Merge(s.interval);
      s.total.Merge(s.interval);
      s.interval.Reset();
      errors += s.errors;
      if (!s.last_error.empty()) last_error = s.last_error;
    }
    ++second;
    const double dt =
        std::chrono::duration<double>(Clock::now() - (tick - std::chrono::seconds(1))).count();
    char label[32];
    std::snprintf(label, sizeof label, "%s %3ds", name, second);
    std::string line = Line(label, interval, std::min(dt, 1.0 + 1e-9), errors - phase.errors);
    std::fprintf(o.json ? stderr : stdout, "%s\n", line.c_str());
    if (errors > phase.errors && !last_error.empty()) {
      std::fprintf(stderr, "  last error: %s\n", last_error.c_str());
    }
    std::fflush(stdout);
    phase.errors = errors;
    if (finished) break;
  }
  stop = true;
  threads.clear();  // join
  phase.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (Slot& s : slots) {
    s.total.Merge(s.interval);
    phase.hist.Merge(s.total);
    phase.errors = 0;
  }
  for (Slot& s : slots) phase.errors += s.errors;
  phase.ops = phase.hist.count();
  return phase;
}

}  // namespace

int Run(const Options& in) {
  Options o = in;
  if (o.port == 0) o.port = o.protocol == "grpc" ? 3100 : 3000;
  std::unique_ptr<WorkerFactory> factory =
      o.protocol == "grpc" ? MakeGrpcFactory(o) : MakeWireFactory(o);
  if (!factory->error().empty()) {
    std::fprintf(stderr, "tern: bench: %s\n", factory->error().c_str());
    return 1;
  }
  std::vector<std::unique_ptr<Worker>> workers;
  for (uint32_t i = 0; i < o.concurrency; ++i) {
    auto w = factory->Make();
    if (!w) {
      std::fprintf(stderr, "tern: bench: %s\n", factory->error().c_str());
      return 1;
    }
    workers.push_back(std::move(w));
  }
  const std::string value(o.value_size, 'x');
  if (!o.json) {
    std::printf("tern bench: %s %s:%u  ns %s  workload %s  keys %llu  value %u B  concurrency %u\n",
                o.protocol.c_str(), o.host.c_str(), o.port, o.ns.c_str(), o.workload.c_str(),
                static_cast<unsigned long long>(o.keys), o.value_size, o.concurrency);
  }
  nlohmann::json out = {
      {"protocol", o.protocol},     {"workload", o.workload},       {"keys", o.keys},
      {"value_size", o.value_size}, {"concurrency", o.concurrency}, {"namespace", o.ns}};
  if (o.workload != "insert" && o.load) {
    Phase load =
        RunPhase(o, workers, 0, o.keys, "load",
                 [&](Worker& w, std::mt19937_64&, uint64_t seq) { return w.Write(seq, value); });
    out["load"] = Figures(load.hist, load.seconds, load.errors);
    if (!o.json) std::printf("%s\n", Line("load", load.hist, load.seconds, load.errors).c_str());
    if (load.errors == load.hist.count() + load.errors) {
      std::fprintf(stderr, "tern: bench: every write failed; is namespace '%s' there?\n",
                   o.ns.c_str());
      return 1;
    }
  }
  int read_pct = 0;
  if (o.workload == "read") read_pct = 100;
  if (o.workload == "50-50") read_pct = 50;
  if (o.workload == "95-5") read_pct = 95;
  const bool insert = o.workload == "insert";
  Phase run = RunPhase(o, workers, o.duration, 0, "run",
                       [&](Worker& w, std::mt19937_64& rng, uint64_t seq) {
                         if (insert) return w.Write(o.keys + seq, value);
                         const uint64_t key = rng() % o.keys;
                         if (static_cast<int>(rng() % 100) < read_pct) return w.Read(key);
                         return w.Write(key, value);
                       });
  out["run"] = Figures(run.hist, run.seconds, run.errors);
  if (o.json) {
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("%s\n", Line("summary", run.hist, run.seconds, run.errors).c_str());
  }
  return run.hist.count() == 0 ? 1 : 0;
}

}  // namespace tern::bench
