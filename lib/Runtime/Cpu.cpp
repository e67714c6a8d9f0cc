//===- Cpu.cpp - Whether this CPU runs what a program was compiled for ----===//

#include "fqt/Runtime/Cpu.h"
#include "fqt/Runtime/Error.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace fqt::runtime {

std::set<std::string> parseCpuFlags(std::string_view cpuinfo) {
  std::istringstream lines{std::string(cpuinfo)};
  std::string line;
  while (std::getline(lines, line)) {
    // "flags\t\t: fpu vme de ..." (the first processor's; all are equal).
    if (line.compare(0, 5, "flags") != 0)
      continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos)
      continue;
    std::istringstream words(line.substr(colon + 1));
    std::set<std::string> flags;
    for (std::string word; words >> word;)
      flags.insert(word);
    return flags;
  }
  return {};
}

std::optional<std::set<std::string>> readCpuFlags() {
  const char *override = std::getenv("FQT_CPUINFO");
  std::ifstream file(override && *override ? override : "/proc/cpuinfo");
  if (!file)
    return std::nullopt;
  std::stringstream text;
  text << file.rdbuf();
  std::set<std::string> flags = parseCpuFlags(text.str());
  if (flags.empty())
    return std::nullopt;
  return flags;
}

std::vector<std::string> missingCpuFlags(std::string_view required,
                                         const std::set<std::string> &flags) {
  std::istringstream words{std::string(required)};
  std::vector<std::string> missing;
  for (std::string word; words >> word;)
    if (!flags.count(word))
      missing.push_back(word);
  return missing;
}

void checkCpuFlags(std::string_view required) {
  std::optional<std::set<std::string>> flags = readCpuFlags();
  if (!flags)
    return;
  std::vector<std::string> missing = missingCpuFlags(required, *flags);
  if (missing.empty())
    return;
  std::string names;
  for (const std::string &name : missing)
    names += (names.empty() ? "" : " ") + name;
  throw Error("cpu", "this program was compiled for a CPU with " + names +
                         ", which this one lacks; compile it on this machine, "
                         "or for a CPU it has in common with the others "
                         "(fqt-compile --mcpu=x86-64-v3: any AVX2 CPU)");
}

} // namespace fqt::runtime
