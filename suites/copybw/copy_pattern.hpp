#pragma once
// The byte pattern copybw verifies every copy with: byte `offset` of a buffer is byte offset % 8 (little
// endian) of splitmix64(seed, offset / 8), a hash of the 8-byte word's index. Not constant, not periodic, not
// zero: a copy that lands at the wrong offset, skips a range, repeats a chunk or leaves stale data shows up
// as wrong bytes. A plain header that nvcc (kernels/cuda/copy_pattern.cu, C++17) and the host code both
// include: the device kernels and the host functions compute the same bytes.
#include <cstddef>
#include <cstdint>

#if defined(__CUDACC__)
#define EXACHECK_COPY_PATTERN_FUNCTION __host__ __device__ inline constexpr
#else
#define EXACHECK_COPY_PATTERN_FUNCTION inline constexpr
#endif

namespace exacheck::membw {

// splitmix64's finaliser (Steele, Lea, Flood 2014) over seed + (word + 1) · golden ratio: every word of every
// seed differs, and neighbouring words share no structure.
EXACHECK_COPY_PATTERN_FUNCTION std::uint64_t copy_pattern_word(std::uint64_t word, std::uint64_t seed) {
  std::uint64_t z = seed + (word + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

EXACHECK_COPY_PATTERN_FUNCTION std::uint8_t copy_pattern_byte(std::uint64_t offset, std::uint64_t seed) {
  return static_cast<std::uint8_t>(copy_pattern_word(offset / 8, seed) >> (8 * (offset % 8)));
}

// The destination is poisoned with the pattern of another seed before a copy, so that bytes the copy never
// wrote are wrong (never zeros: a zero-filled destination hides an unwritten one).
EXACHECK_COPY_PATTERN_FUNCTION std::uint64_t poison_seed(std::uint64_t seed) {
  return ~seed ^ 0x5A5A5A5A5A5A5A5Aull;
}

// What a comparison of a buffer with the pattern found.
struct pattern_check {
  std::uint64_t bytes_compared = 0;
  std::uint64_t wrong_bytes = 0;
  std::uint64_t first_wrong_offset = 0;  // meaningful when wrong_bytes > 0
  std::uint8_t expected = 0;             // the pattern's byte at first_wrong_offset
  std::uint8_t got = 0;                  // the buffer's byte there
};

// Host memory: writes / compares bytes [first_offset, first_offset + bytes) of the pattern to / with `data`,
// which points at byte first_offset of the buffer. Serial: callers split work between threads by range.
void fill_copy_pattern_range(void* data, std::uint64_t first_offset, std::size_t bytes, std::uint64_t seed);
pattern_check check_copy_pattern_range(const void* data, std::uint64_t first_offset, std::size_t bytes,
                                       std::uint64_t seed);

// Part `part` of `parts` equal shares of [0, bytes), cut at 64-byte cache lines: the static partition every
// multi-threaded fill, check and host copy uses, so each thread touches the pages it first touched.
struct byte_range {
  std::uint64_t begin = 0, end = 0;
};
byte_range static_share(std::uint64_t bytes, int parts, int part);

// The same over a whole buffer with the OpenMP threads of the calling rank, each on one static share
// (the same share a first touch by fill_copy_pattern gives it); `threads` 0: as many as OpenMP would start.
void fill_copy_pattern(void* data, std::size_t bytes, std::uint64_t seed);
pattern_check check_copy_pattern(const void* data, std::size_t bytes, std::uint64_t seed, int threads = 0);

// Two checks of adjacent ranges as one (sums the counts, keeps the lower first wrong byte).
pattern_check merge(const pattern_check& a, const pattern_check& b);

}  // namespace exacheck::membw
