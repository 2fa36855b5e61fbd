// The collectives' accounting (suites/collectives/collective_formulas.hpp): nccl-tests' bus-bandwidth factors
// and sizes, rounding to whole elements, and the exactly known results — checked against a host simulation of
// what each collective computes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "suites/collectives/collective_formulas.hpp"

using namespace exacheck::collectives;

namespace {

collective_layout layout_of(collective op, element_type dtype, std::size_t bytes, int ranks, int root = 0) {
  const auto layout = layout_for_bytes(op, dtype, bytes, ranks, root);
  EXPECT_TRUE(layout.has_value()) << to_string(op) << " " << bytes << " B on " << ranks << " ranks";
  return layout.value_or(collective_layout{});
}

// What each rank's receive buffer holds after the collective, computed on the host from every rank's inputs
// (MPI semantics), independently of expected_output. Sums are in double: the narrow scheme's promise that
// they stay exact in the narrow type is tested separately below.
std::vector<std::vector<double>> simulate(const collective_layout& l) {
  const int n = l.ranks;
  std::vector<std::vector<double>> in,
      out(static_cast<std::size_t>(n), std::vector<double>(l.recv_count, 0.0));
  for (int r = 0; r < n; ++r) in.push_back(make_inputs(l, r));
  const std::size_t c = l.chunk_count;
  for (int r = 0; r < n; ++r) {
    auto& o = out[static_cast<std::size_t>(r)];
    for (std::size_t i = 0; i < l.recv_count; ++i) {
      switch (l.op) {
        case collective::allreduce:
        case collective::reduce:
          for (int s = 0; s < n; ++s) o[i] += in[static_cast<std::size_t>(s)][i];
          break;
        case collective::reduce_scatter:
          for (int s = 0; s < n; ++s)
            o[i] += in[static_cast<std::size_t>(s)][static_cast<std::size_t>(r) * c + i];
          break;
        case collective::allgather:
          o[i] = in[i / c][i % c];
          break;
        case collective::alltoall:
          o[i] = in[i / c][static_cast<std::size_t>(r) * c + i % c];
          break;
        case collective::broadcast:
          o[i] = in[static_cast<std::size_t>(l.root)][i];
          break;
        case collective::sendrecv:
          o[i] = in[static_cast<std::size_t>((r - 1 + n) % n)][i];
          break;
      }
    }
  }
  return out;
}

}  // namespace

TEST(collective_formulas, bus_bandwidth_factors_follow_nccl_tests) {
  for (int n : {1, 2, 4, 8, 1024}) {
    const double m = n;
    EXPECT_DOUBLE_EQ(bus_bandwidth_factor(collective::allreduce, n), 2 * (m - 1) / m) << n;
    EXPECT_DOUBLE_EQ(bus_bandwidth_factor(collective::allgather, n), (m - 1) / m) << n;
    EXPECT_DOUBLE_EQ(bus_bandwidth_factor(collective::reduce_scatter, n), (m - 1) / m) << n;
    EXPECT_DOUBLE_EQ(bus_bandwidth_factor(collective::alltoall, n), (m - 1) / m) << n;
    EXPECT_DOUBLE_EQ(bus_bandwidth_factor(collective::broadcast, n), 1.0) << n;
    EXPECT_DOUBLE_EQ(bus_bandwidth_factor(collective::reduce, n), 1.0) << n;
    EXPECT_DOUBLE_EQ(bus_bandwidth_factor(collective::sendrecv, n), 1.0) << n;
  }
  EXPECT_DOUBLE_EQ(bus_bandwidth_factor(collective::allreduce, 4), 1.5);
  EXPECT_THROW(bus_bandwidth_factor(collective::allreduce, 0), std::invalid_argument);
}

TEST(collective_formulas, bandwidths_use_si_gigabytes) {
  EXPECT_DOUBLE_EQ(algorithm_bandwidth_gbps(1'000'000'000, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(algorithm_bandwidth_gbps(1 << 20, 1e-3), 1.048576);
  EXPECT_DOUBLE_EQ(bus_bandwidth_gbps(collective::allreduce, 4, 2'000'000'000, 1.0), 3.0);
  EXPECT_DOUBLE_EQ(bus_bandwidth_gbps(collective::allgather, 2, 2'000'000'000, 2.0), 0.5);
}

TEST(collective_formulas, size_is_one_rank_buffer_for_allreduce_broadcast_reduce_sendrecv) {
  for (collective op :
       {collective::allreduce, collective::broadcast, collective::reduce, collective::sendrecv}) {
    const auto l = layout_of(op, element_type::fp32, 1024, 4);
    EXPECT_EQ(l.send_count, 256u) << to_string(op);
    EXPECT_EQ(l.recv_count, 256u) << to_string(op);
    EXPECT_EQ(l.bytes, 1024u) << to_string(op);
  }
}

TEST(collective_formulas, size_is_the_whole_gathered_or_scattered_buffer_for_chunked_collectives) {
  const auto gather = layout_of(collective::allgather, element_type::fp32, 1024, 4);
  EXPECT_EQ(gather.chunk_count, 64u);
  EXPECT_EQ(gather.send_count, 64u);
  EXPECT_EQ(gather.recv_count, 256u);
  EXPECT_EQ(gather.bytes, 1024u);
  const auto scatter = layout_of(collective::reduce_scatter, element_type::fp64, 1024, 4);
  EXPECT_EQ(scatter.send_count, 128u);
  EXPECT_EQ(scatter.recv_count, 32u);
  EXPECT_EQ(scatter.bytes, 1024u);
  const auto all_to_all = layout_of(collective::alltoall, element_type::int32, 1024, 4);
  EXPECT_EQ(all_to_all.chunk_count, 64u);
  EXPECT_EQ(all_to_all.send_count, 256u);
  EXPECT_EQ(all_to_all.recv_count, 256u);
}

TEST(collective_formulas, sizes_round_down_to_whole_elements_and_chunks) {
  EXPECT_EQ(layout_of(collective::allreduce, element_type::fp64, 20, 2).bytes, 16u);
  EXPECT_EQ(layout_of(collective::allreduce, element_type::fp64, 20, 2).send_count, 2u);
  const auto gather =
      layout_of(collective::allgather, element_type::fp32, 100, 3);  // 100 / (4 · 3) = 8 per rank
  EXPECT_EQ(gather.chunk_count, 8u);
  EXPECT_EQ(gather.bytes, 96u);
  EXPECT_EQ(layout_of(collective::alltoall, element_type::fp64, 1000, 3).bytes, 984u);  // 41 per chunk
}

TEST(collective_formulas, sizes_below_one_element_per_rank_are_refused_with_reason) {
  std::string why;
  EXPECT_FALSE(layout_for_bytes(collective::allgather, element_type::fp64, 16, 4, 0, &why));
  EXPECT_NE(why.find("32 B"), std::string::npos) << why;
  EXPECT_NE(why.find("4 ranks"), std::string::npos) << why;
  EXPECT_FALSE(layout_for_bytes(collective::allreduce, element_type::fp32, 2, 1, 0, &why));
  EXPECT_NE(why.find("fp32"), std::string::npos) << why;
  EXPECT_TRUE(layout_for_bytes(collective::allreduce, element_type::fp64, 8, 4, 0));  // one element is enough
  EXPECT_EQ(minimum_bytes(collective::reduce_scatter, element_type::int32, 8), 32u);
  EXPECT_EQ(minimum_bytes(collective::broadcast, element_type::fp64, 8), 8u);
}

TEST(collective_formulas, inputs_name_their_rank_and_index) {
  EXPECT_EQ(input_value(collective::allgather, 0, 0), 1.0);
  EXPECT_EQ(input_value(collective::allgather, 2, 3), 3.0 * 4.0);
  EXPECT_EQ(input_value(collective::allgather, 2, 7), 3.0);   // index pattern repeats every 7
  EXPECT_EQ(input_value(collective::allreduce, 17, 0), 2.0);  // reduction weights repeat every 16 ranks
}

TEST(collective_formulas, allreduce_of_four_ranks_is_ten_times_the_index_pattern) {
  const auto l = layout_of(collective::allreduce, element_type::fp32, 64, 4);
  for (std::size_t i = 0; i < l.recv_count; ++i)
    EXPECT_EQ(expected_output(l, 3, i), 10.0 * (1.0 + static_cast<double>(i % 7)));
}

TEST(collective_formulas, expected_outputs_match_a_host_simulation_of_every_collective) {
  for (collective op : all_collectives())
    for (element_type dtype : {element_type::int32, element_type::fp32, element_type::fp64})
      for (int ranks : {1, 2, 3, 4, 5, 17})
        for (std::size_t bytes : {std::size_t{8}, std::size_t{200}, std::size_t{4096}}) {
          const int root = ranks > 2 ? 2 : 0;
          const auto layout = layout_for_bytes(op, dtype, bytes, ranks, root);
          if (!layout) continue;
          const auto outputs = simulate(*layout);
          for (int r = 0; r < ranks; ++r) {
            const auto mismatch = find_output_mismatch(*layout, r, outputs[static_cast<std::size_t>(r)]);
            EXPECT_FALSE(mismatch) << to_string(op) << " " << to_string(dtype) << " ranks " << ranks
                                   << " bytes " << bytes << " rank " << r << " index " << mismatch->index
                                   << " expected " << mismatch->expected << " got " << mismatch->got;
          }
        }
}

TEST(collective_formulas, reduction_results_stay_exact_in_fp32_at_thousands_of_ranks) {
  for (int ranks : {16, 1000, 4096, 100000}) {
    const auto l = layout_of(collective::allreduce, element_type::fp32, 64, ranks);
    const double largest = expected_output(l, 0, 6);  // index pattern 7
    EXPECT_LT(largest, 16777216.0) << ranks;          // 2^24: every partial sum is an exact fp32 integer
    EXPECT_EQ(static_cast<double>(static_cast<float>(largest)), largest);
  }
}

TEST(collective_formulas, reduce_defines_output_on_the_root_only) {
  const auto l = layout_of(collective::reduce, element_type::fp64, 64, 4, 1);
  EXPECT_TRUE(output_is_defined(l, 1));
  EXPECT_FALSE(output_is_defined(l, 0));
  EXPECT_FALSE(find_output_mismatch(l, 0, std::vector<double>(l.recv_count, poison_value)));
}

TEST(collective_formulas, mismatch_names_first_wrong_index_expected_got_and_count) {
  const auto l = layout_of(collective::allgather, element_type::int32, 64, 2);
  auto output = simulate(l)[1];
  output[5] = 99;
  output[9] = 98;
  const auto mismatch = find_output_mismatch(l, 1, output);
  ASSERT_TRUE(mismatch);
  EXPECT_EQ(mismatch->index, 5u);
  EXPECT_EQ(mismatch->expected, expected_output(l, 1, 5));
  EXPECT_EQ(mismatch->got, 99);
  EXPECT_EQ(mismatch->wrong_elements, 2u);
}

TEST(collective_formulas, poisoned_or_short_outputs_are_wrong) {
  const auto l = layout_of(collective::broadcast, element_type::fp32, 64, 2, 1);
  EXPECT_TRUE(find_output_mismatch(l, 0, std::vector<double>(l.recv_count, poison_value)));
  auto output = simulate(l)[0];
  output.pop_back();
  const auto mismatch = find_output_mismatch(l, 0, output);
  ASSERT_TRUE(mismatch);
  EXPECT_EQ(mismatch->index, l.recv_count - 1);
}

TEST(collective_formulas, names_round_trip) {
  for (collective op : all_collectives()) EXPECT_EQ(collective_from_string(to_string(op)), op);
  EXPECT_FALSE(collective_from_string("all_reduce"));
  for (auto dtype : all_element_types()) EXPECT_EQ(element_type_from_string(to_string(dtype)), dtype);
  EXPECT_EQ(all_element_types().size(), 7u);
  EXPECT_FALSE(element_type_from_string("fp8"));
  EXPECT_EQ(element_size(element_type::fp64), 8u);
  EXPECT_EQ(element_size(element_type::int32), 4u);
  EXPECT_EQ(element_size(element_type::bf16), 2u);
  EXPECT_EQ(element_size(element_type::fp16), 2u);
  EXPECT_EQ(element_size(element_type::fp8_e4m3), 1u);
  EXPECT_EQ(element_size(element_type::fp8_e5m2), 1u);
}

namespace {
const std::vector<element_type> k_narrow = {element_type::bf16, element_type::fp16, element_type::fp8_e4m3,
                                            element_type::fp8_e5m2};
}  // namespace

TEST(collective_formulas, narrow_expected_outputs_match_a_host_simulation_of_every_collective) {
  for (collective op : all_collectives())
    for (element_type dtype : k_narrow)
      for (int ranks : {1, 2, 3, 4, 5, 17, 70})
        for (std::size_t bytes : {std::size_t{8}, std::size_t{210}, std::size_t{4096}}) {
          const int root = ranks > 2 ? 2 : 0;
          const auto layout = layout_for_bytes(op, dtype, bytes, ranks, root);
          if (!layout) continue;
          const auto outputs = simulate(*layout);
          for (int r = 0; r < ranks; ++r) {
            const auto mismatch = find_output_mismatch(*layout, r, outputs[static_cast<std::size_t>(r)]);
            EXPECT_FALSE(mismatch) << to_string(op) << " " << to_string(dtype) << " ranks " << ranks
                                   << " bytes " << bytes << " rank " << r << " index " << mismatch->index
                                   << " expected " << mismatch->expected << " got " << mismatch->got;
          }
        }
}

// The scheme's promise: every input is a non-negative integer and, for every element, the sum of all ranks'
// values is at most the type's exact-integer limit, so every partial sum in any order is an exact integer.
TEST(collective_formulas, narrow_inputs_and_every_partial_sum_are_exact_integers_at_any_rank_count) {
  for (element_type dtype : k_narrow)
    for (collective op : {collective::allreduce, collective::allgather})
      for (int ranks : {1, 2, 7, 16, 64, 65, 1000, 4096}) {
        const auto layout = layout_for_bytes(op, dtype, 256 * element_size(dtype) * 4, ranks, 0);
        if (!layout) continue;
        const double limit = exact_integer_limit(dtype);
        for (std::size_t i = 0; i < std::min<std::size_t>(layout->send_count, 64); ++i) {
          double total = 0;
          int contributors = 0;
          for (int r = 0; r < ranks; ++r) {
            const double value = input_value(*layout, r, i);
            ASSERT_EQ(value, std::floor(value)) << to_string(dtype) << " rank " << r << " index " << i;
            ASSERT_GE(value, 0);
            ASSERT_LE(value, limit);
            total += value;
            if (value != 0) ++contributors;
          }
          if (is_reduction(op)) {
            EXPECT_LE(total, limit) << to_string(dtype) << " ranks " << ranks << " index " << i;
            EXPECT_EQ(contributors, std::min(ranks, narrow_scheme(dtype).contributors)) << to_string(dtype);
          } else {
            EXPECT_EQ(contributors, ranks) << "moving inputs are never 0";
          }
        }
      }
}

TEST(collective_formulas, narrow_reduction_windows_give_every_rank_a_non_zero_part) {
  const auto layout = layout_for_bytes(collective::allreduce, element_type::fp8_e5m2, 64, 8, 0);
  ASSERT_TRUE(layout);
  for (int r = 0; r < 8; ++r) {
    bool contributes = false;
    for (std::size_t i = 0; i < layout->send_count; ++i) contributes |= input_value(*layout, r, i) != 0;
    EXPECT_TRUE(contributes) << "rank " << r;
  }
  // 2 contributors of weights 1 and 2, index pattern 1 + i mod 2: sums 3 and 6.
  EXPECT_EQ(expected_output(*layout, 0, 0), 3.0);
  EXPECT_EQ(expected_output(*layout, 0, 1), 6.0);
}

TEST(collective_formulas, exact_integer_limits_are_the_significand_widths) {
  EXPECT_EQ(exact_integer_limit(element_type::bf16), 256.0);       // 8 significant bits
  EXPECT_EQ(exact_integer_limit(element_type::fp16), 2048.0);      // 11
  EXPECT_EQ(exact_integer_limit(element_type::fp8_e4m3), 16.0);    // 4
  EXPECT_EQ(exact_integer_limit(element_type::fp8_e5m2), 8.0);     // 3
  EXPECT_EQ(exact_integer_limit(element_type::fp32), 16777216.0);  // 24
  EXPECT_FALSE(is_narrow(element_type::fp32));
  EXPECT_TRUE(is_narrow(element_type::fp8_e4m3));
  EXPECT_THROW(narrow_scheme(element_type::fp64), std::invalid_argument);
}

TEST(collective_formulas, in_place_placement_follows_nccl_tests_and_mpi_in_place) {
  const auto gather = layout_for_bytes(collective::allgather, element_type::fp32, 1024, 4, 0);
  ASSERT_TRUE(gather);
  const auto g = placement_in_place(*gather, 3, false);
  EXPECT_EQ(g.buffer_count, 256u);
  EXPECT_EQ(g.input_offset, 3u * 64u);  // recvbuff + rank·chunk
  EXPECT_EQ(g.output_offset, 0u);
  const auto scatter = layout_for_bytes(collective::reduce_scatter, element_type::fp32, 1024, 4, 0);
  ASSERT_TRUE(scatter);
  const auto nccl = placement_in_place(*scatter, 2, false);
  EXPECT_EQ(nccl.buffer_count, 256u);  // the whole input
  EXPECT_EQ(nccl.input_offset, 0u);
  EXPECT_EQ(nccl.output_offset, 2u * 64u);                             // recvbuff = sendbuff + rank·chunk
  EXPECT_EQ(placement_in_place(*scatter, 2, true).output_offset, 0u);  // MPI_IN_PLACE: chunk 0
  const auto reduce = layout_for_bytes(collective::allreduce, element_type::fp64, 1024, 4, 0);
  ASSERT_TRUE(reduce);
  const auto a = placement_in_place(*reduce, 1, false);
  EXPECT_EQ(a.buffer_count, 128u);
  EXPECT_EQ(a.input_offset, 0u);
  EXPECT_EQ(a.output_offset, 0u);
}
