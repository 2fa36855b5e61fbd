// The simulated machine: GPU identities, per-GPU spread, planted slow GPUs.
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

#include "harness/simulate/simulate.hpp"

namespace exacheck {

namespace {

// The per-GPU spread of a healthy fleet: 1% (one standard deviation), never past 2 σ, so that whatever the
// fleet size a healthy GPU stays below the outlier rules of the shipped plans: robust z 4, 10% below the
// median, and (max − min) / mean within 5% (acceptance.yaml's membw spread rule).
constexpr double k_gpu_spread = 0.01;
constexpr double k_spread_limit_sigma = 2.0;

// PCI bus numbers of the GPUs of an HGX H100 baseboard, in GPU index order (as nvidia-smi lists them).
constexpr std::array<int, 8> k_hgx_bus_numbers{0x18, 0x2a, 0x3a, 0x5d, 0x9a, 0xab, 0xba, 0xdb};

std::string fake_uuid(random_stream& stream) {
  const std::uint64_t a = stream.next(), b = stream.next();
  return fmt::format("GPU-{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xffff,
                     b >> 48, b & 0xffffffffffffull);
}

}  // namespace

synthetic_fleet::synthetic_fleet(int nodes, int gpus_per_node, std::uint64_t seed, int slow_gpus,
                                 int missing_nodes)
    : m_nodes(nodes), m_gpus_per_node(gpus_per_node), m_seed(seed) {
  if (nodes < 1 || gpus_per_node < 1)
    throw std::invalid_argument(fmt::format(
        "a simulated machine needs at least 1 node and 1 GPU per node (got {} × {})", nodes, gpus_per_node));
  const long long total = static_cast<long long>(nodes) * gpus_per_node;
  if (total > 1'000'000)
    throw std::invalid_argument(
        fmt::format("{} × {} = {} GPUs: at most 1,000,000 can be simulated", nodes, gpus_per_node, total));
  if (missing_nodes < 0 || missing_nodes >= nodes)
    throw std::invalid_argument(fmt::format(
        "--missing-nodes {}: between 0 and {} of the machine's {} nodes can be missing (one must report)",
        missing_nodes, nodes - 1, nodes));
  const long long reporting = static_cast<long long>(nodes - missing_nodes) * gpus_per_node;
  if (slow_gpus < 0 || slow_gpus > reporting)
    throw std::invalid_argument(
        fmt::format("--slow {}: between 0 and the {} GPUs that report can be planted", slow_gpus, reporting));
  // The missing nodes (a partial Fisher–Yates shuffle of the nodes), drawn apart from everything else.
  std::vector<char> missing(static_cast<std::size_t>(nodes), 0);
  {
    random_stream vanishing(mix_seed(seed, "missing"));
    std::vector<int> order(static_cast<std::size_t>(nodes));
    for (int n = 0; n < nodes; ++n) order[static_cast<std::size_t>(n)] = n;
    for (int i = 0; i < missing_nodes; ++i) {
      const auto pick = static_cast<std::size_t>(i) +
                        static_cast<std::size_t>(vanishing.next() % static_cast<std::uint64_t>(nodes - i));
      std::swap(order[static_cast<std::size_t>(i)], order[pick]);
      missing[static_cast<std::size_t>(order[static_cast<std::size_t>(i)])] = 1;
    }
  }
  const int width = std::max(3, static_cast<int>(std::to_string(nodes).size()));
  random_stream identity(mix_seed(seed, "identity"));
  random_stream spread(mix_seed(seed, "spread"));
  m_gpus.reserve(static_cast<std::size_t>(reporting));
  for (int node = 0; node < nodes; ++node) {
    m_hosts.push_back(fmt::format("node{:0{}}", node + 1, width));
    if (missing[static_cast<std::size_t>(node)]) m_missing_hosts.push_back(m_hosts.back());
    for (int index = 0; index < gpus_per_node; ++index) {
      simulated_gpu gpu;
      gpu.host = m_hosts.back();
      gpu.index = index;
      gpu.rank = static_cast<int>(m_gpus.size());
      gpu.uuid = fake_uuid(identity);
      // NVIDIA board serials are 13 digits.
      gpu.serial = fmt::format("{:013}", identity.next() % 10'000'000'000'000ull);
      const int bus = index < static_cast<int>(k_hgx_bus_numbers.size())
                          ? k_hgx_bus_numbers[static_cast<std::size_t>(index)]
                          : 0x20 + index;
      gpu.pci_bus_id = fmt::format("00000000:{:02X}:00.0", bus % 256);
      gpu.speed = 1.0 + k_gpu_spread * spread.truncated_normal(k_spread_limit_sigma);
      // A missing node's GPUs are drawn all the same, so that every other GPU is as without the option.
      if (!missing[static_cast<std::size_t>(node)]) m_gpus.push_back(std::move(gpu));
    }
  }

  // Distinct slow GPUs (a partial Fisher–Yates shuffle of the ranks), each slow at one benchmark.
  static constexpr std::array<std::string_view, 3> slow_at{"gemm", "membw", "flops"};
  random_stream planting(mix_seed(seed, "planted"));
  std::vector<int> ranks(static_cast<std::size_t>(reporting));
  for (int r = 0; r < reporting; ++r) ranks[static_cast<std::size_t>(r)] = r;
  for (int i = 0; i < slow_gpus; ++i) {
    const auto pick = static_cast<std::size_t>(i) +
                      static_cast<std::size_t>(planting.next() % static_cast<std::uint64_t>(reporting - i));
    std::swap(ranks[static_cast<std::size_t>(i)], ranks[pick]);
    const simulated_gpu& gpu = m_gpus[static_cast<std::size_t>(ranks[static_cast<std::size_t>(i)])];
    m_planted.push_back({gpu.host, gpu.index, gpu.rank, std::string(slow_at[static_cast<std::size_t>(i) % 3]),
                         0.70 + 0.10 * planting.uniform()});
  }
  std::sort(m_planted.begin(), m_planted.end(), [](const auto& a, const auto& b) { return a.rank < b.rank; });
}

double synthetic_fleet::factor(int rank, std::string_view benchmark) const {
  double value = m_gpus.at(static_cast<std::size_t>(rank)).speed;
  for (const auto& slow : m_planted)
    if (slow.rank == rank && slow.benchmark == benchmark) value *= slow.factor;
  return value * drift_factor(rank);
}

void synthetic_fleet::set_night(int night, const std::vector<gpu_drift>& drift) {
  if (night < 1) throw std::invalid_argument(fmt::format("--night {}: nights count from 1", night));
  std::vector<double> factors(m_gpus.size(), 1.0);
  for (const auto& d : drift) {
    const auto gpu = std::find_if(m_gpus.begin(), m_gpus.end(), [&](const simulated_gpu& g) {
      return g.host == d.host && g.index == d.gpu;
    });
    if (gpu == m_gpus.end())
      throw std::invalid_argument(
          fmt::format("--drift {}:{}: no such GPU reports on this machine (hosts {}…{}, GPUs 0…{} a node{})",
                      d.host, d.gpu, m_hosts.front(), m_hosts.back(), m_gpus_per_node - 1,
                      m_missing_hosts.empty() ? "" : ", missing nodes excluded"));
    if (!(d.percent_per_night > -100.0) || !std::isfinite(d.percent_per_night))
      throw std::invalid_argument(fmt::format("--drift {}:{}={}: a GPU can lose less than 100 % a night",
                                              d.host, d.gpu, d.percent_per_night));
    // Compounded: night 1 is the baseline, each later night loses (or gains) PCT % of the night before.
    factors[static_cast<std::size_t>(gpu->rank)] *= std::pow(1.0 + d.percent_per_night / 100.0, night - 1);
  }
  m_night = night;
  m_drift = drift;
  m_drift_factor = drift.empty() ? std::vector<double>{} : std::move(factors);
}

double synthetic_fleet::drift_factor(int rank) const {
  return m_drift_factor.empty() ? 1.0 : m_drift_factor.at(static_cast<std::size_t>(rank));
}

std::uint64_t synthetic_fleet::noise_seed() const {
  return m_night == 0 ? m_seed : mix_seed(mix_seed(m_seed, "night"), static_cast<std::uint64_t>(m_night));
}

}  // namespace exacheck
