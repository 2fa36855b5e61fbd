#pragma once
// FNV-1a 64: tiny, and the same on every platform, compiler and standard library (std::hash is none of these:
// libstdc++, libc++ and their versions each hash differently), so what it derives is the same on every
// build: case ids (plan_expand.cpp), the seed of a case's random inputs, the simulated fleet.
#include <cstdint>
#include <string_view>

namespace exacheck {

inline constexpr std::uint64_t fnv1a_64_offset_basis = 0xcbf29ce484222325ull;
inline constexpr std::uint64_t fnv1a_64_prime = 0x100000001b3ull;

// One byte folded into an FNV-1a 64 state (for readers that hash bytes as they stream past).
constexpr std::uint64_t fnv1a_64_step(std::uint64_t hash, unsigned char byte) {
  return (hash ^ byte) * fnv1a_64_prime;
}

// FNV-1a 64 of `bytes`, continuing from `hash` (start from the offset basis).
constexpr std::uint64_t fnv1a_64(std::string_view bytes, std::uint64_t hash = fnv1a_64_offset_basis) {
  for (const char c : bytes) hash = fnv1a_64_step(hash, static_cast<unsigned char>(c));
  return hash;
}

// The seed of a case's random inputs (GEMM matrices, copybw patterns), written in its case.json: the
// low 32 bits of the FNV-1a 64 of its id, so one plan gives the same inputs on every build
// (docs/run-json.md).
constexpr std::uint32_t case_input_seed(std::string_view case_id) {
  return static_cast<std::uint32_t>(fnv1a_64(case_id) & 0xffffffffu);
}

}  // namespace exacheck
