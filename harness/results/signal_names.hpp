#pragma once
// Signals by name, as a person reading a failure wants them: "SIGSEGV (Segmentation fault)" rather than
// "signal 11" or a launcher's "exited with status 139". The descriptions are glibc's strsignal texts, fixed
// here so that a report reads the same on every machine, and so that srun's messages (which print strsignal's
// text: "node04: task 3: Segmentation fault") can be read back into a signal.
#include <optional>
#include <string>
#include <string_view>

namespace exacheck {

// "SIGSEGV"; "signal 40" for one without a name here.
std::string signal_name(int signal_number);
// "Segmentation fault" (glibc's strsignal text); "" for one without a description here.
std::string signal_description(int signal_number);
// "SIGSEGV (Segmentation fault)", or "signal 40".
std::string describe_signal_by_name(int signal_number);
// The signal whose strsignal text `text` is ("Segmentation fault", "Killed", "Bus error"; a trailing
// " (core dumped)" is allowed), or nullopt.
std::optional<int> signal_from_description(std::string_view text);
// A launcher's exit status 128+N (N a standard signal, 1–31) is the shell convention for "killed by signal
// N": srun exits so when its first abnormal task was signalled, mpirun when a rank was. The signal, or
// nullopt for any other status. A convention, not a proof: mpirun also exits 132 when it could not start an
// executable, so callers prefer what the launcher's messages say.
std::optional<int> signal_of_exit_status(int exit_status);

}  // namespace exacheck
