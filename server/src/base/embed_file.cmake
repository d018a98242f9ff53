# Writes a C++ source defining `std::string_view <NAMESPACE>::<FUNCTION>()` that returns the
# bytes of INPUT, as a raw-string literal. Run with cmake -P:
#   -DINPUT=<file> -DOUTPUT=<file.cc> -DNAMESPACE=<ns> -DFUNCTION=<name> [-DHEADER=<header.h>]
cmake_minimum_required(VERSION 3.25)  # script mode: use current policies (while(TRUE), ...)

foreach(var INPUT OUTPUT NAMESPACE FUNCTION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_file.cmake: ${var} is not set")
  endif()
endforeach()

file(READ "${INPUT}" content)

# The literal ends at `)<delimiter>"`, so pick a delimiter whose terminator is not in the file.
set(index 0)
set(delimiter "tern_embed")
while(TRUE)
  string(FIND "${content}" ")${delimiter}\"" found)
  if(found EQUAL -1)
    break()
  endif()
  math(EXPR index "${index} + 1")
  set(delimiter "tern_embed${index}")
endwhile()

set(include_line "")
if(DEFINED HEADER)
  set(include_line "#include \"${HEADER}\"\n")
endif()

file(RELATIVE_PATH input_name "${CMAKE_CURRENT_LIST_DIR}/../../.." "${INPUT}")
set(source "// Generated from ${input_name} by embed_file.cmake; do not edit.
${include_line}#include <string_view>

namespace ${NAMESPACE} {

std::string_view ${FUNCTION}() {
  static constexpr std::string_view kText = R\"${delimiter}(${content})${delimiter}\";
  return kText;
}

}  // namespace ${NAMESPACE}
")

# Leave an unchanged output alone so that nothing downstream rebuilds.
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" previous)
  if(previous STREQUAL source)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${source}")
