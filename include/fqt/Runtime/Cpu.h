//===- Cpu.h - Whether this CPU runs what a program was compiled for -*- C++ -*-===//
//
// fqt-compile targets the host CPU by default, and the machines a user
// moves an executable between differ (AVX2 only, AVX-512 with VNNI, AMX).
// A program records the CPU flags its code needs (`fqt_cpu_features()`,
// Linux's names of them); the runtime compares them with this CPU's before
// the first step, so that the wrong machine is a clear error and not an
// illegal instruction in the middle of a product.
//
//===----------------------------------------------------------------------===//

#ifndef FQT_RUNTIME_CPU_H
#define FQT_RUNTIME_CPU_H

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fqt::runtime {

/// The `flags` of the first processor in CPUINFO (the text of
/// /proc/cpuinfo).
std::set<std::string> parseCpuFlags(std::string_view cpuinfo);

/// The flags of the CPU this process runs on: /proc/cpuinfo's, or those of
/// the file the environment variable FQT_CPUINFO names (for tests). None
/// when that cannot be read (then nothing can be checked).
std::optional<std::set<std::string>> readCpuFlags();

/// The names of REQUIRED (separated by spaces) that FLAGS lacks, in order.
std::vector<std::string> missingCpuFlags(std::string_view required,
                                         const std::set<std::string> &flags);

/// Throws Error("cpu", ...) naming what this CPU lacks of REQUIRED.
void checkCpuFlags(std::string_view required);

} // namespace fqt::runtime

#endif // FQT_RUNTIME_CPU_H
