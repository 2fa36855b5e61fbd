#pragma once
// The GEMM inputs every backend multiplies: element `index` of a matrix is a function of (key, index) alone,
// so a GPU fills gigabytes in one kernel and the oracle recomputes just the rows and columns it checks on the
// host, bit for bit, without a copy of A or B. Plain C++17 with no library: kernels/cuda/*.cu include it for
// device code, which is why there is no std::bit_cast or <cmath> here.
#include <cstdint>

#if defined(__CUDACC__)
#define EXACHECK_HOST_DEVICE __host__ __device__
#else
#define EXACHECK_HOST_DEVICE
#endif

namespace exacheck::gemm {

// Which matrix a key belongs to: A and B of one seed never share values.
enum class input_matrix : std::uint64_t { a = 1, b = 2 };

// splitmix64's finaliser (Steele, Lea, Flood 2014): a bijection of 64-bit words whose output bits each depend
// on every input bit, so consecutive counters give independent-looking words.
EXACHECK_HOST_DEVICE constexpr std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

EXACHECK_HOST_DEVICE constexpr std::uint64_t input_key(std::uint64_t seed, input_matrix matrix) {
  return mix64(seed ^ (static_cast<std::uint64_t>(matrix) * 0x9e3779b97f4a7c15ULL));
}

// Words per element: three give the twelve 16-bit uniforms, the fourth the fine bits.
inline constexpr std::uint64_t input_words_per_element = 4;

// Approximately standard normal, mean 0, standard deviation 1 (to 1e-10), |x| < 6: the classic sum of twelve
// uniforms minus six (its variance is exactly 12 · 1/12), with twelve 16-bit integer uniforms and 32 more
// random bits below them so that fp64 inputs use their whole mantissa. Computed in integers and scaled by a
// power of two, so the double is exact and identical on every host and device; Box–Muller would need log and
// cos, whose last bit differs between libm and CUDA, and the oracle must see exactly what was multiplied.
// Never zero or constant over a matrix: zeros hide unwritten outputs and run faster than real data.
EXACHECK_HOST_DEVICE constexpr double normal_input(std::uint64_t key, std::uint64_t index) {
  const std::uint64_t counter = key + index * input_words_per_element * 0x9e3779b97f4a7c15ULL;
  std::int64_t sum = 0;
  for (std::uint64_t word = 0; word < 3; ++word) {
    const std::uint64_t bits = mix64(counter + word * 0x9e3779b97f4a7c15ULL);
    for (int part = 0; part < 4; ++part) sum += static_cast<std::int64_t>((bits >> (16 * part)) & 0xffffu);
  }
  const std::uint64_t fine = mix64(counter + 3 * 0x9e3779b97f4a7c15ULL) >> 32;
  // 12 · (2^16 − 1) / 2 = 393210 centres the sum; the fine bits add a uniform offset in [−1/2, 1/2) units.
  // |numerator| < 393211 · 2^32 < 2^51: exact in a double, and so is the scaling by 2^-48.
  const std::int64_t numerator =
      (sum - 393210) * (std::int64_t{1} << 32) + (static_cast<std::int64_t>(fine) - (std::int64_t{1} << 31));
  return static_cast<double>(numerator) * (1.0 / 281474976710656.0);  // 2^-48
}

// Round-to-nearest-even of fp32 bits to tf32 (fp32 with 10 explicit mantissa bits): tf32 inputs are stored
// rounded, so whichever rounding the tensor cores apply leaves them unchanged and the oracle sees what is
// multiplied. Infinity and NaN pass.
EXACHECK_HOST_DEVICE constexpr std::uint32_t round_bits_to_tf32(std::uint32_t bits) {
  if ((bits & 0x7f800000u) == 0x7f800000u) return bits;
  constexpr std::uint32_t dropped = 13;  // 23 − 10 mantissa bits
  bits += ((std::uint32_t{1} << (dropped - 1)) - 1) + ((bits >> dropped) & 1u);
  return bits & ~((std::uint32_t{1} << dropped) - 1);
}

// int8 inputs: the normal value times 16, rounded half away from zero. |x| < 6 gives |a| ≤ 96, so nothing
// clamps (the clamp to ±127 only guards the type) and |a·b| < 2^14; x · 16 is exact, so the result is too.
EXACHECK_HOST_DEVICE constexpr std::int8_t int8_input(double normal) {
  const double scaled = normal * 16.0;
  const std::int64_t rounded =
      scaled >= 0 ? static_cast<std::int64_t>(scaled + 0.5) : -static_cast<std::int64_t>(-scaled + 0.5);
  return static_cast<std::int8_t>(rounded > 127 ? 127 : rounded < -127 ? -127 : rounded);
}

}  // namespace exacheck::gemm
