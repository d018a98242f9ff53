// The CLI's readable output: left-aligned columns with a rule under the header.
#pragma once

#include <string>
#include <vector>

namespace tern::cli {

void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

}  // namespace tern::cli
