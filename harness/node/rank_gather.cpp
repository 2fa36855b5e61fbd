#include "harness/node/rank_gather.hpp"

namespace exacheck {

std::vector<std::string> allgather_text(MPI_Comm comm, const std::string& mine) {
  int ranks = 1;
  MPI_Comm_size(comm, &ranks);
  const int my_size = static_cast<int>(mine.size());
  std::vector<int> sizes(static_cast<std::size_t>(ranks));
  MPI_Allgather(&my_size, 1, MPI_INT, sizes.data(), 1, MPI_INT, comm);
  std::vector<int> offsets(static_cast<std::size_t>(ranks), 0);
  int total = 0;
  for (std::size_t r = 0; r < sizes.size(); ++r) {
    offsets[r] = total;
    total += sizes[r];
  }
  std::string all(static_cast<std::size_t>(total), '\0');
  MPI_Allgatherv(mine.data(), my_size, MPI_CHAR, all.data(), sizes.data(), offsets.data(), MPI_CHAR, comm);
  std::vector<std::string> texts;
  for (std::size_t r = 0; r < sizes.size(); ++r)
    texts.push_back(all.substr(static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(sizes[r])));
  return texts;
}

visible_device_settings allgather_visible_device_settings(MPI_Comm comm) {
  // One leading byte tells unset ('-') from set ('='), as "" (hides every GPU) differs from unset (hides
  // none).
  const auto mine = cuda_visible_devices_setting();
  visible_device_settings settings;
  for (const std::string& text : allgather_text(comm, mine ? "=" + *mine : std::string("-")))
    settings.push_back(text.starts_with('=') ? std::optional<std::string>(text.substr(1)) : std::nullopt);
  return settings;
}

}  // namespace exacheck
