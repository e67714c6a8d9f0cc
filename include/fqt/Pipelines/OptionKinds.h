//===- OptionKinds.h - The C++ types of the option lists --------*- C++ -*-===//
//
// The member type of each KIND of TrainOptions.def and CompileOptions.def:
// FQT_OPTION_TYPE(KIND).
//
//===----------------------------------------------------------------------===//

#ifndef FQT_PIPELINES_OPTIONKINDS_H
#define FQT_PIPELINES_OPTIONKINDS_H

#include <cstdint>
#include <string>
#include <vector>

#define FQT_OPTION_TYPE(KIND) FQT_OPTION_TYPE_##KIND
#define FQT_OPTION_TYPE_String std::string
#define FQT_OPTION_TYPE_Int int64_t
#define FQT_OPTION_TYPE_Real double
#define FQT_OPTION_TYPE_Bool bool
#define FQT_OPTION_TYPE_Level unsigned
#define FQT_OPTION_TYPE_Size int64_t
#define FQT_OPTION_TYPE_List std::vector<std::string>
#define FQT_OPTION_TYPE_CommaList std::vector<std::string>

#endif // FQT_PIPELINES_OPTIONKINDS_H
