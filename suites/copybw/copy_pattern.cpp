#include "suites/copybw/copy_pattern.hpp"

#include <omp.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <vector>

namespace exacheck::membw {
namespace {

// The words are stored with memcpy: the pattern is defined byte by byte, little endian.
static_assert(std::endian::native == std::endian::little, "copy_pattern stores words little endian");

int nonzero_bytes(std::uint64_t x) {
  int count = 0;
  for (int b = 0; b < 8; ++b) count += ((x >> (8 * b)) & 0xFF) != 0;
  return count;
}

}  // namespace

void fill_copy_pattern_range(void* data, std::uint64_t first_offset, std::size_t bytes, std::uint64_t seed) {
  auto* out = static_cast<unsigned char*>(data);
  std::uint64_t offset = first_offset;
  const std::uint64_t end = first_offset + bytes;
  for (; offset < end && offset % 8 != 0; ++offset) *out++ = copy_pattern_byte(offset, seed);
  for (; offset + 8 <= end; offset += 8, out += 8) {
    const std::uint64_t word = copy_pattern_word(offset / 8, seed);
    std::memcpy(out, &word, 8);
  }
  for (; offset < end; ++offset) *out++ = copy_pattern_byte(offset, seed);
}

pattern_check check_copy_pattern_range(const void* data, std::uint64_t first_offset, std::size_t bytes,
                                       std::uint64_t seed) {
  const auto* in = static_cast<const unsigned char*>(data);
  pattern_check check;
  check.bytes_compared = bytes;
  const auto note = [&](std::uint64_t offset, std::uint8_t got) {
    const std::uint8_t expected = copy_pattern_byte(offset, seed);
    if (got == expected) return;
    if (check.wrong_bytes++ == 0) {
      check.first_wrong_offset = offset;
      check.expected = expected;
      check.got = got;
    }
  };
  std::uint64_t offset = first_offset;
  const std::uint64_t end = first_offset + bytes;
  for (; offset < end && offset % 8 != 0; ++offset) note(offset, *in++);
  for (; offset + 8 <= end; offset += 8, in += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, in, 8);
    const std::uint64_t difference = word ^ copy_pattern_word(offset / 8, seed);
    if (difference == 0) continue;
    if (check.wrong_bytes == 0) {
      const int byte = std::countr_zero(difference) / 8;  // the lowest wrong byte comes first in memory
      check.first_wrong_offset = offset + static_cast<std::uint64_t>(byte);
      check.expected = static_cast<std::uint8_t>(copy_pattern_word(offset / 8, seed) >> (8 * byte));
      check.got = in[byte];
    }
    check.wrong_bytes += static_cast<std::uint64_t>(nonzero_bytes(difference));
  }
  for (; offset < end; ++offset) note(offset, *in++);
  return check;
}

byte_range static_share(std::uint64_t bytes, int parts, int part) {
  const auto count = static_cast<std::uint64_t>(std::max(parts, 1));
  const auto index = static_cast<std::uint64_t>(std::clamp(part, 0, std::max(parts, 1)));
  const auto cut = [&](std::uint64_t i) {
    if (i >= count) return bytes;
    // bytes · i / count without overflow for any size a machine holds, then down to a cache line.
    const std::uint64_t exact = bytes / count * i + bytes % count * i / count;
    return std::min(exact / 64 * 64, bytes);
  };
  return {cut(index), cut(index + 1)};
}

void fill_copy_pattern(void* data, std::size_t bytes, std::uint64_t seed) {
  auto* base = static_cast<unsigned char*>(data);
#pragma omp parallel
  {
    const byte_range share = static_share(bytes, omp_get_num_threads(), omp_get_thread_num());
    fill_copy_pattern_range(base + share.begin, share.begin, share.end - share.begin, seed);
  }
}

pattern_check check_copy_pattern(const void* data, std::size_t bytes, std::uint64_t seed, int threads) {
  const auto* base = static_cast<const unsigned char*>(data);
  std::vector<pattern_check> parts(static_cast<std::size_t>(threads > 0 ? threads : omp_get_max_threads()));
#pragma omp parallel num_threads(static_cast <int>(parts.size()))
  {
    const int thread = omp_get_thread_num();
    const byte_range share = static_share(bytes, omp_get_num_threads(), thread);
    parts[static_cast<std::size_t>(thread)] =
        check_copy_pattern_range(base + share.begin, share.begin, share.end - share.begin, seed);
  }
  pattern_check total;
  for (const auto& part : parts) total = merge(total, part);
  return total;
}

pattern_check merge(const pattern_check& a, const pattern_check& b) {
  pattern_check total;
  total.bytes_compared = a.bytes_compared + b.bytes_compared;
  total.wrong_bytes = a.wrong_bytes + b.wrong_bytes;
  const pattern_check* first = nullptr;
  if (a.wrong_bytes > 0 && (b.wrong_bytes == 0 || a.first_wrong_offset <= b.first_wrong_offset))
    first = &a;
  else if (b.wrong_bytes > 0)
    first = &b;
  if (first) {
    total.first_wrong_offset = first->first_wrong_offset;
    total.expected = first->expected;
    total.got = first->got;
  }
  return total;
}

}  // namespace exacheck::membw
